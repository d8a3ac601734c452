/**
 * From descriptions to the texts of GAP's five slots, and their embeddings as the tables the
 * trainer and the zero-shot classifier read.
 *
 * Slot texts per class (GAP's `text_prompt_openai_pasta_pool_4part`, with skelact's own
 * descriptions): global = the name, or in training one of {name, synonyms, whole-body
 * description} drawn at random (GAP draws among synonyms); head = name + head; hand = name +
 * hands + arms; hip = name + hips; foot = name + legs + feet.
 */
import { TEXT_SLOTS } from '../models/text-head.js';
import type { ClassDescription } from './descriptions.js';
import { embedCached, type EmbedReport } from './embedding-cache.js';
import type { SentenceEncoder } from './encoder.js';

export interface ClassPrompts {
  /** Texts the global slot is trained on; the first is the class name. */
  readonly global: readonly string[];
  readonly head: string;
  readonly hand: string;
  readonly hip: string;
  readonly foot: string;
}

export function classPrompts(d: ClassDescription): ClassPrompts {
  const lead = d.name;
  return {
    global: [d.name, ...d.synonyms, d.description],
    head: `${lead}: ${d.parts.head}`,
    hand: `${lead}: ${d.parts.hands} ${d.parts.arms}`,
    hip: `${lead}: ${d.parts.hips}`,
    foot: `${lead}: ${d.parts.legs} ${d.parts.feet}`,
  };
}

/** Unit-length embeddings of every class's slot texts. */
export interface TextTable {
  readonly encoder: string;
  readonly dim: number;
  readonly classNames: readonly string[];
  /** Per class, the global slot's candidates (name first), each [dim]. */
  readonly globalCandidates: readonly (readonly Float32Array[])[];
  /**
   * Class prototypes per slot, [slots][classes · dim]: global = the normalised mean of its
   * candidates, the parts their one text. Zero-shot scores compare against these.
   */
  readonly prototypes: readonly Float32Array[];
}

/** v / ‖v‖ (a zero vector stays zero). */
export function normalised(v: Float32Array): Float32Array {
  let s = 0;
  for (const x of v) s += x * x;
  const n = Math.sqrt(s) || 1;
  return v.map((x) => x / n);
}

/** Embeds (through the cache) and tabulates the slot texts of `descriptions`, in their order. */
export async function buildTextTable(
  encoder: SentenceEncoder,
  descriptions: readonly ClassDescription[],
  options: { cacheDir?: string; onReport?: (r: EmbedReport) => void } = {},
): Promise<TextTable> {
  const prompts = descriptions.map(classPrompts);
  const texts: string[] = [];
  for (const p of prompts) texts.push(...p.global, p.head, p.hand, p.hip, p.foot);
  const vectors = (await embedCached(encoder, texts, { dir: options.cacheDir, onReport: options.onReport })).map(
    normalised,
  );
  const C = descriptions.length;
  const dim = encoder.dim;
  const prototypes = TEXT_SLOTS.map(() => new Float32Array(C * dim));
  const globalCandidates: Float32Array[][] = [];
  let at = 0;
  prompts.forEach((p, c) => {
    const candidates = vectors.slice(at, at + p.global.length);
    at += p.global.length;
    globalCandidates.push(candidates);
    const mean = new Float32Array(dim);
    for (const v of candidates) for (let i = 0; i < dim; i++) mean[i] += v[i];
    prototypes[0].set(normalised(mean), c * dim);
    for (let k = 1; k < TEXT_SLOTS.length; k++) prototypes[k].set(vectors[at++], c * dim);
  });
  return { encoder: encoder.id, dim, classNames: descriptions.map((d) => d.name), globalCandidates, prototypes };
}

/**
 * The text targets of a training batch, [slots, B, dim]: per sample its class's slot texts;
 * in the global slot, candidate `choice(c)` of its class (GAP's random synonym).
 */
export function batchTextTargets(
  table: TextTable,
  labels: Int32Array,
  choice: (classIndex: number) => number,
): Float32Array {
  const B = labels.length;
  const { dim } = table;
  const out = new Float32Array(TEXT_SLOTS.length * B * dim);
  for (let i = 0; i < B; i++) {
    const c = labels[i];
    const candidates = table.globalCandidates[c];
    out.set(candidates[choice(c) % candidates.length], i * dim);
    for (let k = 1; k < TEXT_SLOTS.length; k++)
      out.set(table.prototypes[k].subarray(c * dim, (c + 1) * dim), (k * B + i) * dim);
  }
  return out;
}
