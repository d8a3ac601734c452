/**
 * The official SkateFormer on PyTorch as a child process (bench/pytorch_skateformer.py), so
 * bench:model can time it interleaved with skelact in the same run: same shapes, batch sizes
 * and thread count, the two alternating so that load from other processes falls on both.
 *
 * Python: --python, else /usr/bin/python3 (Debian's, which has python3-torch), else python3.
 * BLAS: Debian's torch links the reference BLAS through libblas.so.3; the OpenMP build of
 * OpenBLAS put first on LD_LIBRARY_PATH replaces it (--pytorch-blas <dir>, else
 * SKELACT_PYTORCH_BLAS, else the copy `npm run setup:pytorch-bench` unpacks into
 * .skelact-cache, else /usr/lib/x86_64-linux-gnu/openblas-openmp where installed). The
 * pthread build fights torch's OpenMP threads; the README says how to unpack the OpenMP one
 * without installing it.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export type PytorchCase = 'ntu' | 'ntu-1person' | 'nwucla';

export interface PytorchOptions {
  readonly checkout: string;
  readonly threads: number;
  readonly python?: string;
  readonly blasDir?: string;
}

/** Where the OpenMP OpenBLAS is, if anywhere. */
export function pytorchBlasDir(explicit?: string): string | undefined {
  // npm run setup:pytorch-bench unpacks it under .skelact-cache/openblas-openmp.
  const cache = join(
    dirname(fileURLToPath(import.meta.url)),
    '..',
    '..',
    '.skelact-cache',
    'openblas-openmp',
    'usr',
    'lib',
  );
  const unpacked = existsSync(cache) ? readdirSync(cache).map((arch) => join(cache, arch, 'openblas-openmp')) : [];
  const candidates = [
    explicit,
    process.env.SKELACT_PYTORCH_BLAS,
    ...unpacked,
    '/usr/lib/x86_64-linux-gnu/openblas-openmp',
  ];
  return candidates.find((d) => d && existsSync(join(d, 'libblas.so.3')));
}

export class PytorchModel {
  private readonly lines: AsyncIterator<string>;
  private stderr = '';
  /** OpenBLAS's kernel set in the library torch loaded, as it reports it once started. */
  private blasCore?: string;

  private constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    private readonly library: string,
  ) {
    this.lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    child.stderr.on('data', (d: Buffer) => (this.stderr = (this.stderr + d.toString()).slice(-4000)));
  }

  /** The BLAS torch runs on, with its kernel set: OPENBLAS_CORETYPE reaches torch's OpenBLAS too. */
  get blas(): string {
    if (!this.blasCore) return this.library;
    return `${this.library} (${this.blasCore}${process.env.OPENBLAS_CORETYPE ? ' by OPENBLAS_CORETYPE' : ''})`;
  }

  static async start(which: PytorchCase, options: PytorchOptions): Promise<PytorchModel> {
    if (!existsSync(join(options.checkout, 'model', 'SkateFormer.py'))) {
      throw new Error(
        `--pytorch ${options.checkout}: not a checkout of the official SkateFormer repository (no model/SkateFormer.py)`,
      );
    }
    const python = options.python ?? (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');
    const blasDir = pytorchBlasDir(options.blasDir);
    const env = {
      ...process.env,
      OMP_NUM_THREADS: String(options.threads),
      ...(blasDir ? { LD_LIBRARY_PATH: [blasDir, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':') } : {}),
    };
    const script = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench', 'pytorch_skateformer.py');
    const child = spawn(python, [script, options.checkout, which, String(options.threads)], {
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const model = new PytorchModel(
      child,
      blasDir
        ? `OpenBLAS (OpenMP) from ${blasDir}`
        : "Debian's default BLAS (no OpenMP OpenBLAS found: slow; see the README)",
    );
    const ready = (await model.read()) as { ready?: boolean; threads?: number; blasCore?: string | null };
    if (!ready.ready) throw new Error(`PyTorch did not start: ${JSON.stringify(ready)}`);
    model.blasCore = ready.blasCore ?? undefined;
    return model;
  }

  private async read(): Promise<Record<string, unknown>> {
    const next = await this.lines.next();
    if (next.done)
      throw new Error(`the PyTorch process ended: ${this.stderr.trim().split('\n').slice(-3).join(' | ')}`);
    return JSON.parse(next.value) as Record<string, unknown>;
  }

  private async ask(command: Record<string, unknown>): Promise<Record<string, unknown>> {
    this.child.stdin.write(`${JSON.stringify(command)}\n`);
    const answer = await this.read();
    if (answer.error) throw new Error(`PyTorch: ${String(answer.error)}`);
    return answer;
  }

  /** Forward passes at batch 1 (eval mode, no gradients); ms of each. */
  async forward(runs: number): Promise<number[]> {
    return (await this.ask({ op: 'forward', runs })).ms as number[];
  }

  /** Training steps (forward, loss, backward, clipping, AdamW); ms of each. */
  async train(batch: number, steps: number): Promise<number[]> {
    return (await this.ask({ op: 'train', batch, steps })).ms as number[];
  }

  async peakRssMiB(): Promise<number> {
    return (await this.ask({ op: 'memory' })).peakRssMiB as number;
  }

  close(): void {
    this.child.stdin.end();
    this.child.kill();
  }
}
