/**
 * The prepare-able datasets besides NTU: NW-UCLA, UTKinect-Action3D, Kinetics-skeleton,
 * the ML Kit fitness CSV and skelact's generic format. Their readers live in ../formats;
 * this file says which files to read, how to split them and what their classes are.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import type { LayoutName } from '../../graph/layout.js';
import { basename, dirname, join, resolve } from 'node:path';
import { classNames } from '../classes.js';
import { parseGeneric } from '../formats/generic.js';
import {
  kineticsClassNames,
  parseKineticsSkeleton,
  readKineticsLabels,
  type KineticsLabelTable,
} from '../formats/kinetics-skeleton.js';
import { parseMlkitFitness } from '../formats/mlkit-fitness.js';
import { readTextFile } from '../formats/common.js';
import {
  applyNwUclaErrata,
  parseNwUcla,
  parseNwUclaErrata,
  readNwUclaErrata,
  type NwUclaErrata,
} from '../formats/nw-ucla.js';
import { datasetsPath } from '../../util/paths.js';
import { parseUtkinect, parseUtkinectRecording, readUtkinectLabels, type UtkinectLabels } from '../formats/utkinect.js';
import { SkeletonFormatError, XY_SCORE, XYZ, type SkeletonSample } from '../types.js';
import type { DatasetSpec, SourceFile } from './spec.js';
import { optionName } from '../../core/errors.js';

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

/** Per-thread caches of label files, so a worker parses each one once. */
const utkLabelCache = new Map<string, UtkinectLabels>();
const kineticsLabelCache = new Map<string, KineticsLabelTable>();

/** `cache`'s entry for `key`, read with `read` the first time this thread asks. */
function readOnce<T>(cache: Map<string, T>, key: string, read: () => T): T {
  let value = cache.get(key);
  if (value === undefined) {
    value = read();
    cache.set(key, value);
  }
  return value;
}

// ---------------------------------------------------------------------------------------
export interface NwUclaOptions {
  /** Absolute path of the label errata applied; undefined: the published labels. */
  readonly errata?: string;
  /** SHA-256 of the errata file: part of the cache's fingerprint, so edited errata rebuild the cache. */
  readonly errataDigest?: string;
}

/** Per-thread cache of errata files, so a worker reads each one once. */
const nwUclaErrataCache = new Map<string, NwUclaErrata>();

export const nwUclaDataset: DatasetSpec<NwUclaOptions> = {
  name: 'nw-ucla',
  title: 'Northwestern-UCLA Multiview Action3D (CTR-GCN JSON)',
  layout: 'kinect-20',
  channels: XYZ,
  fileExtensions: ['.json'],
  benchmarks: ['nw-ucla', 'nw-ucla-view1-view2', 'nw-ucla-view2-view1', 'nw-ucla-xsub-val'],
  parseOptions(raw) {
    // --labels: 'published' (the papers' labels, default), 'audited' (skelact's errata of the
    // training views, datasets/nw-ucla/label-errata.json) or the path of an errata file.
    const given = raw.labels === undefined ? 'published' : String(raw.labels);
    if (given === 'published') return {};
    const path = given === 'audited' ? datasetsPath('nw-ucla', 'label-errata.json') : resolve(given);
    if (!existsSync(path))
      throw new Error(
        `NW-UCLA label errata ${path} does not exist; pass ${optionName('labels')} published, audited or the path of an errata JSON file`,
      );
    const { text: errata, fileName } = readTextFile(path);
    parseNwUclaErrata(errata, fileName); // checked here, so a bad file fails before any worker starts
    return { errata: path, errataDigest: createHash('sha256').update(errata).digest('hex') };
  },
  selectFiles: (files) => ({ selected: files, skipped: [] }),
  readFile(bytes, file, options) {
    const result = parseNwUcla(text(bytes), file);
    const path = options.errata;
    if (path === undefined) return result;
    // Keyed by content too: a long-lived process (a queue worker) must see an edited file.
    const errata = readOnce(nwUclaErrataCache, `${path}\n${options.errataDigest ?? ''}`, () => readNwUclaErrata(path));
    return { ...result, samples: result.samples.map((s) => applyNwUclaErrata(s, errata)) };
  },
  classNames: () => classNames('nw-ucla'),
  // The standard protocol (CTR-GCN, SkateFormer): views 1 and 2 train, view 3 tests. The
  // other benchmarks stay inside the training views (view 3 is never touched), so a recipe can
  // be chosen without looking at the test view: two cross-view ones (one view trains, the other
  // validates) and a cross-subject one (odd subjects of both views train, even ones validate).
  splits: (sample) => {
    const view = Number(sample.meta.view);
    const trainingView = view === 1 || view === 2;
    return {
      'nw-ucla': view === 3 ? 'test' : 'train',
      'nw-ucla-view1-view2': view === 1 ? 'train' : view === 2 ? 'test' : undefined,
      'nw-ucla-view2-view1': view === 2 ? 'train' : view === 1 ? 'test' : undefined,
      'nw-ucla-xsub-val': !trainingView ? undefined : Number(sample.meta.subject) % 2 === 1 ? 'train' : 'test',
    };
  },
  preprocessing: (options) => ({
    labels: options.errata === undefined ? 'published' : `corrected by ${basename(options.errata)}`,
    coordinates: 'raw Kinect v1 camera coordinates (metres)',
  }),
};

// ---------------------------------------------------------------------------------------
export interface UtkinectOptions {
  /** Absolute path of the label file; undefined ('none'): each file is one unlabelled recording. */
  readonly labels?: string;
}

export const utkinectDataset: DatasetSpec<UtkinectOptions> = {
  name: 'utkinect',
  title: 'UTKinect-Action3D (joints_sNN_eMM.txt + actionLabel.txt)',
  layout: 'kinect-20',
  channels: XYZ,
  fileExtensions: ['.txt'],
  benchmarks: ['utkinect-xsub', 'utkinect-xsub-val'],
  parseOptions(raw, rawDir) {
    // --labels: a path, or 'original' / 'modified' for the two files shipped with the data set.
    const folder = existsSync(rawDir) && !rawDir.endsWith('.txt') ? rawDir : dirname(rawDir);
    if (raw.labels === 'none') return {};
    const given = raw.labels === undefined ? 'original' : String(raw.labels);
    const path =
      given === 'original'
        ? join(folder, 'actionLabel.txt')
        : given === 'modified'
          ? join(folder, 'actionLabel_modified.txt')
          : resolve(given);
    if (!existsSync(path)) {
      throw new Error(
        `UTKinect label file ${path} does not exist; pass ${optionName('labels')} <actionLabel.txt> (or 'original' / 'modified' when it sits in ${optionName('raw')})`,
      );
    }
    return { labels: path };
  },
  selectFiles(files) {
    const selected: SourceFile[] = [];
    const skipped: Array<{ file: string; reason: string }> = [];
    for (const f of files) {
      if (/^joints_s\d+_e\d+\.txt$/.test(basename(f.path))) selected.push(f);
      else if (!/^actionLabel.*\.txt$/.test(basename(f.path)))
        skipped.push({ file: f.path, reason: 'not a UTKinect joints file (joints_sNN_eMM.txt)' });
    }
    return { selected, skipped };
  },
  readFile(bytes, file, options) {
    const path = options.labels;
    if (path === undefined) return parseUtkinectRecording(text(bytes), basename(file));
    const labels = readOnce(utkLabelCache, path, () => readUtkinectLabels(path));
    // The take (sNN_eMM) comes from the base name.
    return parseUtkinect(text(bytes), basename(file), labels);
  },
  classNames: () => classNames('utkinect'),
  // Cross-subject protocol: odd subjects train, even subjects test. 'utkinect-xsub-val' stays
  // inside the training subjects (1, 3, 5 train; 7, 9 validate) for choosing a recipe.
  splits: (sample) => {
    const subject = Number(sample.meta.subject);
    const train = subject % 2 === 1;
    return {
      'utkinect-xsub': train ? 'train' : 'test',
      'utkinect-xsub-val': !train ? undefined : subject <= 5 ? 'train' : 'test',
    };
  },
  preprocessing: (options) => ({
    labels: options.labels ? basename(options.labels) : 'none (whole recordings, unlabelled)',
    coordinates: 'raw Kinect v1 camera coordinates (metres)',
  }),
};

// ---------------------------------------------------------------------------------------
export interface KineticsOptions {
  /** Absolute path of the label JSON, if any. */
  readonly labels?: string;
  readonly persons: number;
}

export const kineticsDataset: DatasetSpec<KineticsOptions> = {
  name: 'kinetics-skeleton',
  title: 'Kinetics-skeleton (ST-GCN OpenPose-18 JSON)',
  layout: 'openpose-18',
  channels: XY_SCORE,
  fileExtensions: ['.json'],
  benchmarks: ['kinetics'],
  parseOptions(raw, rawDir) {
    const persons = raw.persons === undefined ? 2 : Number(raw.persons);
    if (!Number.isInteger(persons) || persons < 1 || persons > 5)
      throw new Error(`${optionName('persons')} must be an integer 1..5, got ${String(raw.persons)}`);
    let labels: string | undefined;
    if (raw.labels !== undefined) {
      labels = resolve(String(raw.labels));
      if (!existsSync(labels)) throw new Error(`Kinetics label file ${labels} does not exist`);
    } else {
      // ST-GCN keeps kinetics_val/ next to kinetics_val_label.json.
      const sibling = `${rawDir.replace(/[\\/]+$/, '')}_label.json`;
      if (existsSync(sibling)) labels = sibling;
    }
    return { labels, persons };
  },
  selectFiles(files, _benchmark, options) {
    const skipped: Array<{ file: string; reason: string }> = [];
    const selected = files.filter((f) => {
      const isLabelFile =
        (options.labels !== undefined && resolve(f.path) === options.labels) || /_label\.json$/.test(basename(f.path));
      if (isLabelFile) skipped.push({ file: f.path, reason: 'a label file, not a clip' });
      return !isLabelFile;
    });
    return { selected, skipped };
  },
  readFile(bytes, file, options) {
    const path = options.labels;
    const labels = path ? readOnce(kineticsLabelCache, path, () => readKineticsLabels(path)) : undefined;
    const result = parseKineticsSkeleton(text(bytes), file, { personsOut: options.persons, labels });
    // The split is the clip's folder (kinetics_train/ or kinetics_val/).
    const folder = basename(dirname(file));
    return { samples: result.samples.map((s) => ({ ...s, meta: { ...s.meta, folder } })), skipped: result.skipped };
  },
  classNames(_files, _benchmark, options) {
    return options.labels ? kineticsClassNames(readKineticsLabels(options.labels), options.labels) : 'discover';
  },
  // ST-GCN's folders are kinetics_train/ and kinetics_val/; the folder name decides.
  splits(sample) {
    const folder = String(sample.meta.folder ?? '');
    return { kinetics: /train/i.test(folder) ? 'train' : 'test' };
  },
  preprocessing: (options) => ({
    persons: options.persons,
    ranking: 'ST-GCN: person slots ranked by summed joint score per frame',
    centring: 'x, y minus 0.5; joints with score 0 set to 0',
    labels: options.labels ? basename(options.labels) : 'label and label_index inside each clip',
  }),
};

// ---------------------------------------------------------------------------------------
export const mlkitFitnessDataset: DatasetSpec<Record<string, never>> = {
  name: 'mlkit-fitness',
  title: 'ML Kit fitness pose samples (BlazePose-33 CSV, single frames)',
  layout: 'blazepose-33',
  channels: XYZ,
  fileExtensions: ['.csv'],
  benchmarks: ['mlkit-fitness-holdout'],
  parseOptions: () => ({}),
  selectFiles: (files) => ({ selected: files, skipped: [] }),
  readFile: (bytes, file) => parseMlkitFitness(text(bytes), file),
  classNames: () => classNames('mlkit-fitness'),
  // No official split: every 5th CSV row is held out (the rows come grouped by class, so each
  // class gives about a fifth). Sample names start with their line number.
  splits: (sample) => ({ 'mlkit-fitness-holdout': Number(sample.name.split(':')[0]) % 5 === 0 ? 'test' : 'train' }),
  preprocessing: () => ({ coordinates: 'image pixels (x, y) and BlazePose relative z, as in the CSV' }),
};

// ---------------------------------------------------------------------------------------
export interface GenericOptions {
  /** Layout and channels of the first record found: one cache holds one layout. */
  readonly layout: LayoutName;
  readonly channels: readonly string[];
  /** Class names in label order, from --classes (a JSON array file). */
  readonly classes?: readonly string[];
}

/** Every generic file under a folder (or the file itself), sorted by path. */
function genericFiles(rawDir: string): string[] {
  if (!existsSync(rawDir)) return [];
  if (statSync(rawDir).isFile()) return [rawDir];
  const stack = [rawDir];
  const found: string[] = [];
  while (stack.length > 0) {
    const dir = stack.pop()!;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) stack.push(path);
      else if (/\.(json|jsonl|ndjson)$/i.test(entry.name)) found.push(path);
    }
  }
  return found.sort();
}

/**
 * The layout of the data set: that of the first good record of the first file that has one. A
 * file that is not generic (a stray package.json, say) is passed over here and reported as a
 * failed file by prepare; only when no file holds a good record is this an error.
 */
function firstGenericSample(rawDir: string): SkeletonSample | undefined {
  const files = genericFiles(rawDir);
  let firstError: Error | undefined;
  for (const file of files) {
    try {
      const sample = parseGeneric(readFileSync(file, 'utf8'), file).samples[0];
      if (sample) return sample;
    } catch (e) {
      firstError ??= e as Error;
    }
  }
  if (firstError)
    throw new Error(
      `no generic record could be read from the ${files.length} file(s) under ${rawDir}; first error: ${firstError.message}`,
    );
  return undefined;
}

export const genericDataset: DatasetSpec<GenericOptions> = {
  name: 'generic',
  title: 'skelact generic format (.json / .jsonl records)',
  layout: 'ntu-25',
  channels: XYZ,
  fileExtensions: ['.json', '.jsonl', '.ndjson'],
  benchmarks: ['records'],
  layoutFor: (options) => ({ layout: options.layout, channels: options.channels }),
  parseOptions(raw, rawDir) {
    let classes: string[] | undefined;
    if (raw.classes !== undefined) {
      const path = resolve(String(raw.classes));
      let parsed: unknown;
      try {
        parsed = JSON.parse(readFileSync(path, 'utf8'));
      } catch (e) {
        throw new Error(`${optionName('classes')} ${path}: ${(e as Error).message}`);
      }
      if (
        !Array.isArray(parsed) ||
        parsed.length === 0 ||
        !parsed.every((c) => typeof c === 'string' && c.length > 0)
      ) {
        throw new Error(`${optionName('classes')} ${path}: expected a JSON array of class names (non-empty strings)`);
      }
      if (new Set(parsed).size !== parsed.length)
        throw new Error(`${optionName('classes')} ${path}: class names must be unique`);
      classes = parsed as string[];
    }
    // One cache holds one layout: take it from the first record of the first file.
    const sample = firstGenericSample(rawDir);
    if (!sample) return { layout: 'ntu-25', channels: XYZ, classes };
    return { layout: sample.layout, channels: [...sample.channels], classes };
  },
  selectFiles: (files) => ({ selected: files, skipped: [] }),
  readFile(bytes, file, options) {
    const result = parseGeneric(text(bytes), file);
    // A record that does not fit the cache (another layout, a label outside --classes) is
    // skipped and reported like a malformed one; the file's other records are kept.
    const failed = [...(result.failed ?? [])];
    const index = options.classes ? new Map(options.classes.map((c, i) => [c, i])) : undefined;
    const samples: SkeletonSample[] = [];
    let firstProblem: SkeletonFormatError | undefined;
    for (const s of result.samples) {
      let problem: SkeletonFormatError | undefined;
      let label = s.label;
      if (s.layout !== options.layout || s.channels.join(',') !== options.channels.join(',')) {
        problem = new SkeletonFormatError({
          file,
          field: `${s.name}: layout`,
          expected: `layout ${options.layout} with channels ${options.channels.join(',')} (those of the first file; one cache holds one layout)`,
          found: `${s.layout} with channels ${s.channels.join(',')}`,
        });
      } else if (index && options.classes) {
        const name = s.meta.labelName;
        if (typeof name === 'string') {
          const found = index.get(name);
          if (found === undefined)
            problem = new SkeletonFormatError({
              file,
              field: `${s.name}: label`,
              expected: `one of the ${options.classes.length} ${optionName('classes')} names`,
              found: name,
            });
          else label = found;
        } else if (s.label >= options.classes.length) {
          problem = new SkeletonFormatError({
            file,
            field: `${s.name}: label`,
            expected: `a class index below ${options.classes.length}`,
            found: String(s.label),
          });
        }
      }
      if (problem) {
        firstProblem ??= problem;
        failed.push({ file, reason: problem.message });
      } else samples.push(label === s.label ? s : { ...s, label });
    }
    if (samples.length === 0 && failed.length === 1 && firstProblem) throw firstProblem; // a one-record file fails as a file
    return { samples, skipped: result.skipped, failed };
  },
  classNames: (_files, _benchmark, options) => (options.classes ? [...options.classes] : 'discover'),
  // The records' own split field ('train' / 'test') makes the benchmark 'records'.
  splits: (sample) => {
    const split = sample.meta.split;
    return { records: split === 'train' || split === 'test' ? split : undefined };
  },
  preprocessing: (options) => ({
    classes: options.classes ? 'from --classes' : 'label names found, sorted (numeric labels become "class N")',
  }),
};
