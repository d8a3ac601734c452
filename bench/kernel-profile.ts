/**
 * Op-by-op time of a TensorFlow.js computation on one backend: every kernel registered on the
 * backend is wrapped with a timer (tf.profile's own timing reads every output back, which
 * distorts a wasm profile). Kernels that other kernels call (skelact's composite kernels run
 * Transpose, Slice, … inside themselves) are counted in their caller only, so the rows add up
 * to the time spent in kernels; the rest of a step is the engine's own bookkeeping, the
 * gradient tape and the optimiser's JavaScript.
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs';

export interface KernelRow {
  readonly kernel: string;
  calls: number;
  ms: number;
}

export interface ShapeRow extends KernelRow {
  readonly shapes: string;
}

export class KernelProfile {
  private depth = 0;
  private on = false;
  readonly byKernel = new Map<string, KernelRow>();
  readonly byShape = new Map<string, ShapeRow>();

  /** Wraps every kernel now registered on `backendName`. Call once, after the backend's kernels are final. */
  constructor(backendName: string) {
    for (const config of tf.getKernelsForBackend(backendName)) {
      const inner = config.kernelFunc;
      const wrapped: KernelConfig = {
        ...config,
        kernelFunc: (args) => {
          if (!this.on || this.depth > 0) {
            this.depth++;
            try {
              return inner(args);
            } finally {
              this.depth--;
            }
          }
          this.depth++;
          const t0 = performance.now();
          try {
            return inner(args);
          } finally {
            const ms = performance.now() - t0;
            this.depth--;
            this.add(config.kernelName, args.inputs as Record<string, TensorInfo>, ms);
          }
        },
      };
      // Keep the symbols that mark skelact's kernels (copied by the spread above).
      for (const s of Object.getOwnPropertySymbols(config))
        (wrapped as unknown as Record<symbol, unknown>)[s] = (config as unknown as Record<symbol, unknown>)[s];
      tf.unregisterKernel(config.kernelName, backendName);
      tf.registerKernel(wrapped);
    }
  }

  private add(kernel: string, inputs: Record<string, TensorInfo>, ms: number): void {
    const row = this.byKernel.get(kernel) ?? { kernel, calls: 0, ms: 0 };
    row.calls++;
    row.ms += ms;
    this.byKernel.set(kernel, row);
    const shapes = Object.entries(inputs)
      .filter(([, v]) => v && Array.isArray(v.shape))
      .map(([k, v]) => `${k}[${v.shape.join(',')}]`)
      .join(' ');
    const key = `${kernel} ${shapes}`;
    const srow = this.byShape.get(key) ?? { kernel, shapes, calls: 0, ms: 0 };
    srow.calls++;
    srow.ms += ms;
    this.byShape.set(key, srow);
  }

  /** Times `body` (and counts what it runs) while recording. */
  async record(body: () => Promise<void>): Promise<number> {
    this.on = true;
    const t0 = performance.now();
    try {
      await body();
    } finally {
      this.on = false;
    }
    return performance.now() - t0;
  }

  reset(): void {
    this.byKernel.clear();
    this.byShape.clear();
  }

  /** A Markdown table: per kernel, then the most expensive kernel-and-shape entries; times per step. */
  table(wallMs: number, steps: number, top = 25): string {
    const rows = [...this.byKernel.values()].sort((a, b) => b.ms - a.ms);
    const inKernels = rows.reduce((s, r) => s + r.ms, 0);
    const pct = (ms: number) => `${((100 * ms) / wallMs).toFixed(1)}%`;
    const lines = ['| kernel | calls per step | ms per step | share of the step |', '|---|---|---|---|'];
    for (const r of rows.slice(0, top))
      lines.push(`| ${r.kernel} | ${(r.calls / steps).toFixed(0)} | ${(r.ms / steps).toFixed(1)} | ${pct(r.ms)} |`);
    const rest = rows.slice(top).reduce((s, r) => s + r.ms, 0);
    if (rest > 0) lines.push(`| ${rows.length - top} other kernels | | ${(rest / steps).toFixed(1)} | ${pct(rest)} |`);
    lines.push(
      `| outside kernels (engine, gradient tape, JavaScript) | | ${((wallMs - inKernels) / steps).toFixed(1)} | ${pct(wallMs - inKernels)} |`,
    );
    lines.push(`| **step** | | **${(wallMs / steps).toFixed(1)}** | 100% |`);
    const shapes = [...this.byShape.values()].sort((a, b) => b.ms - a.ms).slice(0, 15);
    lines.push(
      '',
      '| kernel and input shapes (most expensive) | calls per step | ms per step | share |',
      '|---|---|---|---|',
    );
    for (const r of shapes)
      lines.push(
        `| ${r.kernel} ${r.shapes} | ${(r.calls / steps).toFixed(0)} | ${(r.ms / steps).toFixed(1)} | ${pct(r.ms)} |`,
      );
    return lines.join('\n');
  }
}
