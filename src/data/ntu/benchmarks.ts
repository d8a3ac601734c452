/**
 * The standard NTU RGB+D evaluation protocols (reference data.md §1.4), decided from the
 * sample name alone.
 */
import { type NtuSampleName, parseNtuName } from './parser.js';

export const NTU_BENCHMARKS = ['ntu60-xsub', 'ntu60-xview', 'ntu120-xsub', 'ntu120-xset'] as const;
export type NtuBenchmark = (typeof NTU_BENCHMARKS)[number];

/** Cross-subject training performers of NTU60. */
export const NTU60_XSUB_TRAIN: readonly number[] = [
  1, 2, 4, 5, 8, 9, 13, 14, 15, 16, 17, 18, 19, 25, 27, 28, 31, 34, 35, 38,
];
/** Cross-subject training performers of NTU120 (the NTU60 list plus 33 more; 53 in all). */
export const NTU120_XSUB_TRAIN: readonly number[] = [
  ...NTU60_XSUB_TRAIN,
  45,
  46,
  47,
  49,
  50,
  52,
  53,
  54,
  55,
  56,
  57,
  58,
  59,
  70,
  74,
  78,
  80,
  81,
  82,
  83,
  84,
  85,
  86,
  89,
  91,
  92,
  93,
  94,
  95,
  97,
  98,
  100,
  103,
];

/** Documented split sizes of the usable samples (missing skeletons excluded). */
export const NTU_BENCHMARK_SIZES: Record<NtuBenchmark, { train: number; test: number }> = {
  'ntu60-xsub': { train: 40_091, test: 16_487 },
  'ntu60-xview': { train: 37_646, test: 18_932 },
  'ntu120-xsub': { train: 63_026, test: 50_919 },
  'ntu120-xset': { train: 54_468, test: 59_477 },
};

export const NTU_BENCHMARK_CLASSES: Record<NtuBenchmark, number> = {
  'ntu60-xsub': 60,
  'ntu60-xview': 60,
  'ntu120-xsub': 120,
  'ntu120-xset': 120,
};

const xsub60 = new Set(NTU60_XSUB_TRAIN);
const xsub120 = new Set(NTU120_XSUB_TRAIN);

export function isNtuBenchmark(name: string): name is NtuBenchmark {
  return (NTU_BENCHMARKS as readonly string[]).includes(name);
}

/** True when a sample belongs to NTU60 (setups 1–17, actions 1–60). */
export function isNtu60Sample(s: NtuSampleName): boolean {
  return s.setup <= 17 && s.action <= 60;
}

/** 'train', 'test', or undefined when the sample is not part of the benchmark. */
export function ntuSplit(benchmark: NtuBenchmark, sample: NtuSampleName | string): 'train' | 'test' | undefined {
  const s = typeof sample === 'string' ? parseNtuName(sample) : sample;
  if (!s) return undefined;
  switch (benchmark) {
    case 'ntu60-xsub':
      return isNtu60Sample(s) ? (xsub60.has(s.performer) ? 'train' : 'test') : undefined;
    case 'ntu60-xview':
      return isNtu60Sample(s) ? (s.camera === 2 || s.camera === 3 ? 'train' : 'test') : undefined;
    case 'ntu120-xsub':
      return xsub120.has(s.performer) ? 'train' : 'test';
    case 'ntu120-xset':
      return s.setup % 2 === 0 ? 'train' : 'test';
  }
}
