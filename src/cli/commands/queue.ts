/** `skelact queue status|retry-failed --queue redis://host:port/db`: a job queue's progress, and its failed jobs tried again. */
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { openQueue, queueStatus, retryFailed } from '../../queue/index.js';
import { type GlobalOptions, print, printJson } from '../output.js';

interface QueueArgs extends GlobalOptions {
  action: 'status' | 'retry-failed';
  queue: string;
  queueName: string;
  failures: number;
}

function duration(seconds: number): string {
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

export const queueCommand: CommandModule<GlobalOptions, QueueArgs> = {
  command: 'queue <action>',
  // Its one-line description is in src/cli/command-table.ts.
  builder: (y: Argv<GlobalOptions>) =>
    y
      .positional('action', {
        describe:
          'status: counts, rate, ETA and failures; retry-failed: put every failed job back to waiting (with its tries counted afresh)',
        choices: ['status', 'retry-failed'],
        demandOption: true,
      })
      .option('queue', { describe: 'the Redis queue: redis://host:port/db', type: 'string', demandOption: true })
      .option('queue-name', { describe: 'the queue in that Redis database', type: 'string', default: 'skelact' })
      .option('failures', { describe: 'status: list at most this many failed jobs', type: 'number', default: 20 })
      .example('$0 queue status --queue redis://127.0.0.1:6379/0', 'how far the work is')
      .example(
        '$0 queue retry-failed --queue redis://127.0.0.1:6379/0',
        'after fixing what made them fail',
      ) as unknown as Argv<QueueArgs>,
  handler: async (args: ArgumentsCamelCase<QueueArgs>) => {
    const opened = await openQueue(args.queue, { name: args.queueName, record: false });
    try {
      if (args.action === 'retry-failed') {
        const ids = await retryFailed(opened);
        if (args.json) return printJson({ queue: opened.address.display, queueName: opened.name, retried: ids });
        print(`${ids.length} failed job(s) put back to waiting in ${opened.address.display} (queue ${opened.name})`);
        return;
      }
      const status = await queueStatus(opened, { failures: args.failures });
      if (args.json) return printJson(status);
      const c = status.counts;
      print(
        `${status.address} queue ${status.queue}: ${status.total} jobs: ${c.waiting} waiting, ${c.active} running, ${c.done} done, ${c.failed} failed${c.delayed > 0 ? `, ${c.delayed} waiting to be tried again` : ''}; ${status.workers} worker connection(s)`,
      );
      print(
        status.perMinute === null
          ? 'rate: not yet known (fewer than 2 jobs done in the last 15 minutes)'
          : `rate: ${status.perMinute.toFixed(1)} jobs/min over the last jobs done; ${status.etaSeconds === 0 ? 'nothing left to do' : `ETA ${duration(status.etaSeconds!)}`}`,
      );
      for (const r of status.running)
        print(
          `  running ${r.kind} ${r.label}${r.progress ? `: ${r.progress.done}/${r.progress.total}` : ''}${r.startedAt ? ` (since ${r.startedAt})` : ''}`,
        );
      if (status.failures.length > 0) {
        print(
          `failed${c.failed > status.failures.length ? ` (the last ${status.failures.length} of ${c.failed})` : ''}:`,
        );
        for (const f of status.failures)
          print(`  ${f.label}: ${f.reason} (${f.attempts} tr${f.attempts === 1 ? 'y' : 'ies'}) [${f.id}]`);
        print(`after fixing the cause: skelact queue retry-failed --queue ${status.address}`);
      }
    } finally {
      await opened.close();
    }
  },
};
