/**
 * BRL's "spatial-temporal action exploration" (firework8/BRL `mixup_recognizergcn.py`,
 * ../shared/reference/models.md §4): in a share of each training batch, a sample takes its
 * upper body from itself and its lower body from another sample of the batch, for every frame
 * and person (the halves come from the layout: src/graph `bodyHalves`). Its loss is
 * λ · L(own label) + (1 − λ) · L(the other's label) with λ the upper body's share (BRL: 0.64 =
 * 16 / 25 joints), except that the whole weight goes to the rarer class when one class has more
 * than `tailRatio` times the other's training samples.
 */
import type { Layout } from '../graph/layout.js';
import { bodyHalves } from '../graph/parts.js';
import type { UniformRandom } from '../data/transforms/sampling.js';
import type { HostBatch, LoaderModelSpec } from './loader.js';

export interface MixupOptions {
  readonly share: number;
  readonly lambda: number;
  readonly tailRatio: number;
}

export function partialBodyMixup(
  host: HostBatch,
  model: LoaderModelSpec,
  layout: Layout,
  counts: readonly number[],
  options: MixupOptions,
  random: UniformRandom,
): { host: HostBatch; labelsB: Int32Array; lambda: Float32Array } {
  const B = host.size;
  const labelsB = Int32Array.from(host.labels);
  const lambda = new Float32Array(B).fill(1);
  if (B < 2) return { host, labelsB, lambda };
  const { upper } = bodyHalves(layout);
  const isUpper = new Set(upper);
  const J = model.jointOrder.length;
  const V = model.persons * J;
  const T = model.frames;
  const C = model.inChannels;
  // Model token v is person floor(v / J), layout joint jointOrder[v % J].
  const lowerTokens = Array.from({ length: V }, (_, v) => v).filter((v) => !isUpper.has(model.jointOrder[v % J]));
  const x = Float32Array.from(host.x);
  const mixCount = Math.max(1, Math.round(options.share * B));
  const chosen = new Set<number>();
  while (chosen.size < Math.min(mixCount, B)) chosen.add(Math.min(B - 1, Math.floor(random() * B)));
  for (const a of chosen) {
    let b = Math.min(B - 1, Math.floor(random() * (B - 1)));
    if (b >= a) b++;
    for (let t = 0; t < T; t++) {
      for (const v of lowerTokens) {
        const to = ((a * T + t) * V + v) * C;
        const from = ((b * T + t) * V + v) * C;
        for (let c = 0; c < C; c++) x[to + c] = host.x[from + c];
      }
    }
    const na = counts[host.labels[a]] ?? 0;
    const nb = counts[host.labels[b]] ?? 0;
    labelsB[a] = host.labels[b];
    lambda[a] = na > options.tailRatio * nb ? 0 : nb > options.tailRatio * na ? 1 : options.lambda;
  }
  return { host: { ...host, x }, labelsB, lambda };
}
