/**
 * `skelact worker --queue redis://host:port/db`: runs a queue's jobs (pose extraction added by
 * `extract --queue`, training runs added by `sweep`) until stopped, or with --until-empty until
 * nothing is left to do. Ctrl-C / SIGTERM: the running jobs finish, then it exits.
 */
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { openQueue, queueStatus, startWorker, type WorkerEvent } from '../../queue/index.js';
import { extractHandler, runTrainJob } from '../queue-jobs.js';
import { EXIT, type GlobalOptions, log } from '../output.js';

interface WorkerArgs extends GlobalOptions {
  queue: string;
  queueName: string;
  concurrency: number;
  stallSeconds: number;
  untilEmpty: boolean;
}

function describeEvent(event: WorkerEvent, name: string): string {
  switch (event.type) {
    case 'start':
      return `worker ${name}: start ${event.kind} ${event.label}${event.attempt > 1 ? ` (try ${event.attempt})` : ''} [${event.id}]`;
    case 'done':
      return `worker ${name}: done ${event.kind} ${event.label} in ${event.seconds.toFixed(1)} s [${event.id}]`;
    case 'failed':
      return `worker ${name}: failed ${event.kind} ${event.label} (try ${event.attempt}${event.final ? ', no more tries' : ', will be tried again'}): ${event.reason} [${event.id}]`;
    case 'connection':
      return `worker ${name}: ${event.message}`;
  }
}

export const workerCommand: CommandModule<GlobalOptions, WorkerArgs> = {
  command: 'worker',
  // Its one-line description is in src/cli/command-table.ts.
  builder: (y: Argv<GlobalOptions>) =>
    y
      .option('queue', { describe: 'the Redis queue: redis://host:port/db', type: 'string', demandOption: true })
      .option('queue-name', { describe: 'the queue in that Redis database', type: 'string', default: 'skelact' })
      .option('concurrency', {
        describe: 'jobs this process runs at once (extraction: 1 per CPU core is the most that helps; training: 1)',
        type: 'number',
        default: 1,
      })
      .option('stall-seconds', {
        describe:
          'a job whose worker has not renewed its lock for this long (killed, machine gone) is given to another worker; workers check this often',
        type: 'number',
        default: 30,
      })
      .option('until-empty', {
        describe: 'exit once no job is waiting, running or delayed (for batch schedulers: one worker per task)',
        type: 'boolean',
        default: false,
      })
      .example(
        '$0 worker --queue redis://10.0.0.5:6379/0',
        'run jobs until stopped (Ctrl-C finishes the running ones first)',
      )
      .example(
        '$0 worker --queue redis://127.0.0.1:6379/0 --concurrency 2 --until-empty',
        'two jobs at a time, exit when all are done',
      ) as unknown as Argv<WorkerArgs>,
  handler: async (args: ArgumentsCamelCase<WorkerArgs>) => {
    if (!(Number.isInteger(args.concurrency) && args.concurrency >= 1))
      throw new Error(`--concurrency must be a whole number of at least 1, got ${args.concurrency}`);
    if (!(args.stallSeconds >= 1)) throw new Error(`--stall-seconds must be at least 1, got ${args.stallSeconds}`);
    const extraction = extractHandler();
    let name = '';
    const worker = await startWorker(
      args.queue,
      { extract: extraction.handler, train: runTrainJob as never },
      {
        queueName: args.queueName,
        concurrency: args.concurrency,
        stallSeconds: args.stallSeconds,
        onEvent: (event) => {
          // --json: one event per line on stdout, for scripts; otherwise one line on stderr.
          if (args.json) process.stdout.write(`${JSON.stringify({ worker: name, ...event })}\n`);
          else log(args, describeEvent(event, name));
        },
      },
    );
    name = worker.name;
    log(
      args,
      `worker ${name}: running jobs from ${args.queue} (queue ${args.queueName}), ${args.concurrency} at a time; a job that stops renewing its lock for ${args.stallSeconds} s goes to another worker`,
    );
    let stopping: Promise<void> | undefined;
    const stop = (why: string) => {
      if (stopping) return stopping;
      log(args, `worker ${name}: ${why}: finishing the running jobs, taking no more`);
      stopping = worker.close().then(() => extraction.close());
      return stopping;
    };
    await new Promise<void>((resolve) => {
      // Stopped by a signal: the exit code says so (README: exit codes), after the running jobs finish.
      process.once('SIGINT', () => {
        process.exitCode = EXIT.interrupted;
        void stop('interrupted').then(resolve);
      });
      process.once('SIGTERM', () => {
        process.exitCode = EXIT.terminated;
        void stop('stopped by SIGTERM').then(resolve);
      });
      if (args.untilEmpty) {
        void (async () => {
          const opened = await openQueue(args.queue, { name: args.queueName, record: false });
          try {
            for (;;) {
              await new Promise((r) => setTimeout(r, 1000));
              if (stopping) break;
              const { counts } = await queueStatus(opened, { failures: 1 });
              if (counts.waiting + counts.active + counts.delayed === 0) {
                await stop('the queue is empty');
                break;
              }
            }
          } finally {
            await opened.close();
          }
          resolve();
        })();
      }
    });
    await stopping;
    log(args, `worker ${name}: stopped`);
  },
};
