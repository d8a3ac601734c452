/** NTU RGB+D 60/120 as a prepare-able dataset. */
import { readFileSync } from 'node:fs';
import { datasetsPath } from '../../util/paths.js';
import { classNames } from '../classes.js';
import { NTU_BENCHMARKS, type NtuBenchmark, isNtu60Sample, isNtuBenchmark, ntuSplit } from '../ntu/benchmarks.js';
import { parseNtuName } from '../ntu/parser.js';
import { NTU_ALIGNMENTS, type NtuAlignment, ntuSampleFromBytes } from '../ntu/sample.js';
import { XYZ } from '../types.js';
import type { DatasetSpec, SourceFile } from './spec.js';
import { optionName } from '../../core/errors.js';

let missing: Set<string> | undefined;

/** The official NTU RGB+D 120 list of samples with missing or incomplete skeletons (it contains NTU60's 302). */
export function ntuMissingSamples(): Set<string> {
  if (!missing) {
    missing = new Set<string>();
    for (const file of ['missing-ntu60.txt', 'missing-ntu120.txt']) {
      for (const line of readFileSync(datasetsPath('ntu', file), 'utf8').split('\n')) {
        const name = line.trim();
        if (name && !name.startsWith('#')) missing.add(name);
      }
    }
  }
  return missing;
}

export interface NtuDatasetOptions {
  readonly alignment: NtuAlignment;
}

export const ntuDataset: DatasetSpec<NtuDatasetOptions> = {
  name: 'ntu',
  title: 'NTU RGB+D 60/120 (.skeleton files)',
  layout: 'ntu-25',
  channels: XYZ,
  fileExtensions: ['.skeleton'],
  benchmarks: NTU_BENCHMARKS,

  parseOptions(raw) {
    const alignment = (raw.alignment ?? 'ctrgcn') as string;
    if (!(NTU_ALIGNMENTS as readonly string[]).includes(alignment)) {
      throw new Error(`${optionName('alignment')} must be one of ${NTU_ALIGNMENTS.join(', ')}, got '${alignment}'`);
    }
    return { alignment: alignment as NtuAlignment };
  },

  selectFiles(files: SourceFile[], benchmark: string | undefined) {
    if (benchmark !== undefined && !isNtuBenchmark(benchmark))
      throw new Error(`unknown NTU benchmark '${benchmark}': expected one of ${NTU_BENCHMARKS.join(', ')}`);
    const gone = ntuMissingSamples();
    const selected: SourceFile[] = [];
    const skipped: Array<{ file: string; reason: string }> = [];
    for (const f of files) {
      const name = parseNtuName(f.path);
      if (!name) {
        skipped.push({ file: f.path, reason: 'file name is not an NTU sample name (SsssCcccPpppRrrrAaaa.skeleton)' });
        continue;
      }
      if (gone.has(name.name)) {
        skipped.push({ file: f.path, reason: 'listed in the official NTU missing/incomplete-skeleton list' });
        continue;
      }
      if (benchmark !== undefined && ntuSplit(benchmark as NtuBenchmark, name) === undefined) continue;
      selected.push(f);
    }
    return { selected, skipped };
  },

  readFile(bytes, file, options) {
    return { samples: [ntuSampleFromBytes(bytes, file, options)], skipped: [] };
  },

  classNames(files: SourceFile[], benchmark: string | undefined) {
    const all = classNames('ntu');
    const only60 =
      benchmark?.startsWith('ntu60') ||
      (files.length > 0 &&
        files.every((f) => {
          const n = parseNtuName(f.path);
          return n !== undefined && isNtu60Sample(n);
        }));
    return only60 ? all.slice(0, 60) : all;
  },

  benchmarksFor(files, benchmark) {
    if (benchmark !== undefined) return benchmark.startsWith('ntu60') ? ['ntu60-xsub', 'ntu60-xview'] : NTU_BENCHMARKS;
    const only60 = files.every((f) => {
      const n = parseNtuName(f.path);
      return n !== undefined && isNtu60Sample(n);
    });
    return only60 ? ['ntu60-xsub', 'ntu60-xview'] : NTU_BENCHMARKS;
  },

  splits(sample) {
    const name = parseNtuName(sample.name);
    const out: Record<string, 'train' | 'test' | undefined> = {};
    if (name) for (const b of NTU_BENCHMARKS) out[b] = ntuSplit(b, name);
    return out;
  },

  preprocessing(options) {
    return {
      denoise:
        'SGN/CTR-GCN: drop bodies of ≤ 11 frames, spread rule 0.8 / 69.754 %, order by motion, ≤ 2 non-overlapping actors',
      alignment: options.alignment,
      emptyFrames: 'dropped',
      missingSamples: 'official NTU RGB+D 60/120 lists skipped',
    };
  },
};
