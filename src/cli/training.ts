/**
 * A training run as the CLI shows it (skelact train, skelact quickstart): runTraining
 * (src/train/run.ts) with the text-priors objective plugged in, a progress bar, a line per
 * epoch, and Ctrl-C / SIGTERM turned into a stop with a checkpoint.
 */
import { type TrainingRunOptions, type TrainingSummary, runTraining } from '../train/run.js';
import { textHeadParameterCount } from '../models/text-head.js';
import { gapTextObjective } from '../text-priors/objective.js';
import { createProgressBar, type ProgressBar } from './progress.js';
import { type GlobalOptions, log } from './output.js';

/** Config sections whose objectives come from above the training layer. */
export const SECTION_OBJECTIVES = { text: textObjectiveWithSummary } as const;

/** GAP's text objective, with the line the CLI prints about it. */
async function textObjectiveWithSummary(...args: Parameters<typeof gapTextObjective>) {
  const [, , cache] = args;
  const text = await gapTextObjective(...args);
  const { texts = 0, computed = 0 } = text.embedded ?? {};
  const summary = `text priors: ${cache.manifest.classNames.length} classes, ${texts} texts from ${text.supervision.descriptionsSource}; ${computed} embedded by ${text.supervision.table.encoder}, ${texts - computed} from the cache; text head ${textHeadParameterCount(text.supervision.spec).toLocaleString('en-US')} parameters (not used at inference), loss weight ${text.supervision.weight}`;
  return Object.assign(text, { summary });
}

/** runTraining (src/train/run.ts) with the CLI's progress bar, epoch lines and signal handling. */
export async function trainWithProgress(
  args: Pick<GlobalOptions, 'json' | 'quiet'> &
    Omit<TrainingRunOptions, 'sections' | 'signal' | 'onProgress' | 'log'> & {
      /** Called after each step with the steps done and to do in this run (a queue worker's progress). */
      readonly onStep?: (done: number, total: number) => void;
    },
): Promise<TrainingSummary> {
  let bar: ProgressBar | undefined;
  let firstStep = 0;
  let totalSteps = 0;
  const controller = new AbortController();
  // Ctrl-C and SIGTERM (a scheduler's stop) both stop at the next micro-batch and write a
  // checkpoint; a second signal ends the process at once.
  let stoppedBy: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    stoppedBy = signal;
    log(
      args,
      `\n${signal === 'SIGINT' ? 'interrupted (Ctrl-C)' : `stopped by ${signal}`}: stopping at the next micro-batch and writing a checkpoint (a second ${signal === 'SIGINT' ? 'Ctrl-C' : 'signal'} stops without one)`,
    );
    controller.abort();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const summary = await runTraining({
      ...args,
      sections: SECTION_OBJECTIVES,
      signal: controller.signal,
      log: (line) => log(args, line),
      onProgress: (event) => {
        switch (event.type) {
          case 'start': {
            const total = (event.untilEpoch - event.startEpoch) * event.itersPerEpoch - event.startBatch;
            firstStep = event.startEpoch * event.itersPerEpoch + event.startBatch;
            totalSteps = total;
            log(
              args,
              `${event.resumed ? `resuming at epoch ${event.startEpoch + 1}, batch ${event.startBatch + 1}` : 'starting'}; ${event.itersPerEpoch} iterations per epoch, epochs ${event.startEpoch + 1}..${event.untilEpoch} of ${event.epochs}; schedule ${event.schedule}`,
            );
            bar = createProgressBar({
              total,
              unit: 'it',
              extraFormat: '| epoch {epoch} | loss {loss} | acc {acc} | lr {lr} | {sps} samples/s',
              extra: { epoch: event.startEpoch + 1, loss: '-', acc: '-', lr: '-', sps: '-' },
              silent: args.json || args.quiet,
            });
            break;
          }
          case 'step':
            args.onStep?.(event.step - firstStep, totalSteps);
            bar?.update(event.step - firstStep, {
              epoch: event.epoch + 1,
              loss: event.loss.toFixed(3),
              acc: (100 * event.accuracy).toFixed(1),
              lr: event.lr.toExponential(2),
              sps: event.samplesPerSecond.toFixed(1),
            });
            break;
          case 'epoch':
            if (!args.json && !args.quiet) {
              const m = event.metrics;
              const val =
                m.valTop1 !== undefined
                  ? `, validation top-1 ${(100 * m.valTop1).toFixed(2)} % top-5 ${(100 * (m.valTop5 ?? 0)).toFixed(2)} %${event.best ? ' (best)' : ''}`
                  : '';
              process.stderr.write(
                `\nepoch ${m.epoch}: train loss ${m.trainLoss.toFixed(4)}, accuracy ${(100 * m.trainAccuracy).toFixed(2)} %${val}, ${m.samplesPerSecond.toFixed(1)} samples/s (${m.seconds.toFixed(0)} s)\n`,
              );
            }
            break;
          default:
            break;
        }
      },
    });
    return { ...summary, stoppedBy: stoppedBy ?? null };
  } finally {
    bar?.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
