/**
 * Progress bars for long CLI work (cli-progress): count, rate and ETA on a terminal; on a
 * non-terminal (CI logs, pipes) a plain line every few seconds instead of redraws.
 */
import cliProgress from 'cli-progress';

export interface ProgressBar {
  update(done: number, extra?: Record<string, string | number>): void;
  stop(): void;
}

export interface ProgressOptions {
  readonly total: number;
  /** Unit of `done`, e.g. "files". */
  readonly unit: string;
  /** Extra fields shown after the rate, e.g. {mbps: '12.3'} rendered by `extraFormat`. */
  readonly extraFormat?: string;
  readonly extra?: Record<string, string | number>;
  /** No output at all (for --json). */
  readonly silent?: boolean;
}

export function createProgressBar(options: ProgressOptions): ProgressBar {
  const stream = process.stderr;
  if (options.silent) return { update: () => undefined, stop: () => undefined };
  const started = performance.now();
  if (!stream.isTTY) {
    let lastPrint = 0;
    let last = 0;
    const line = (done: number, extra: Record<string, string | number>) => {
      const seconds = (performance.now() - started) / 1000;
      const rate = seconds > 0 ? done / seconds : 0;
      const eta = rate > 0 ? (options.total - done) / rate : 0;
      let text = `${done}/${options.total} ${options.unit} (${((100 * done) / Math.max(1, options.total)).toFixed(0)} %), ${rate.toFixed(1)} ${options.unit}/s, ETA ${eta.toFixed(0)} s`;
      if (options.extraFormat)
        text += ` ${options.extraFormat.replace(/\{(\w+)\}/g, (_, k: string) => String(extra[k] ?? ''))}`;
      stream.write(`${text}\n`);
    };
    let latest: Record<string, string | number> = options.extra ?? {};
    return {
      update(done, extra) {
        last = done;
        latest = { ...latest, ...extra };
        const now = performance.now();
        if (now - lastPrint > 5000) {
          lastPrint = now;
          line(done, latest);
        }
      },
      stop() {
        line(last, latest);
      },
    };
  }
  const bar = new cliProgress.SingleBar(
    {
      format: `{bar} {percentage}% | {value}/{total} ${options.unit} | {rate} ${options.unit}/s${options.extraFormat ? ` ${options.extraFormat}` : ''} | ETA {eta_formatted}`,
      stream,
      hideCursor: true,
      etaBuffer: 50,
      fps: 5,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(options.total, 0, { rate: '0.0', ...options.extra });
  return {
    update(done, extra) {
      const seconds = (performance.now() - started) / 1000;
      bar.update(done, { rate: seconds > 0 ? (done / seconds).toFixed(1) : '0.0', ...extra });
    },
    stop() {
      bar.stop();
    },
  };
}
