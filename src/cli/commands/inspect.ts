/** `skelact inspect <file|cache>`: what a raw file or a prepared cache holds. */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { SkeletonCache } from '../../data/cache/reader.js';
import { DATASETS, optionsForFile, type DatasetSpec } from '../../data/datasets/index.js';
import { parseGenericJson } from '../../data/formats/generic.js';
import { readPoseFile, toGenericRecord as poseRecord } from '../../pose/pose-file.js';
import { parseNtuSkeleton } from '../../data/ntu/parser.js';
import { summariseCache } from '../../data/cache/summary.js';
import { detectFormat } from '../../pose/detect-format.js';
import { type GlobalOptions, log, print, printJson } from '../output.js';
import { writeFileAtomic } from '../../core/files.js';
import type { SkeletonClip } from '../../graph/clip.js';
import { getLayout } from '../../graph/layout.js';
import { checkReplaceable, SVG_OUTPUT } from '../../util/replace.js';
import { renderSkeletonSvg } from '../../viz/skeleton-svg.js';

interface InspectArgs extends GlobalOptions {
  path: string;
  format?: string;
  classes: boolean;
  plot?: string;
  sample?: string;
}

/** Writes an SVG strip of one sample's frames (cache: by index or name; raw file: by index). */
function plotSample(clip: SkeletonClip, layoutName: string, title: string, file: string): void {
  writeSvgPlot(file, renderSkeletonSvg(clip, getLayout(layoutName), { title }));
}

function pickIndex(names: readonly string[], wanted: string | undefined, where: string): number {
  if (wanted === undefined) return 0;
  const byName = names.indexOf(wanted);
  if (byName >= 0) return byName;
  const i = Number(wanted);
  if (Number.isInteger(i) && i >= 0 && i < names.length) return i;
  throw new Error(`--sample ${wanted}: ${where} has no sample with that name or index (0..${names.length - 1})`);
}

function inspectRawFile(file: string, format: string | undefined) {
  const dataset = format ?? detectFormat(file);
  const spec = DATASETS[dataset] as DatasetSpec<unknown> | undefined;
  if (!spec)
    throw new Error(`format '${dataset}' is not supported: expected one of ${Object.keys(DATASETS).join(', ')}`);
  const bytes = readFileSync(file);
  const options = optionsForFile(dataset, file);
  const result = spec.readFile(bytes, file, options);
  const names = spec.classNames([], undefined, options);
  const raw = dataset === 'ntu' ? parseNtuSkeleton(bytes, file) : undefined;
  // The generic format's layout is the file's own (kinect-20, coco-17, …), not the spec's default.
  const { layout, channels } = spec.layoutFor
    ? spec.layoutFor(options)
    : { layout: spec.layout, channels: spec.channels };
  return {
    kind: 'file' as const,
    path: file,
    format: dataset,
    layout,
    channels,
    bytes: bytes.length,
    ntu: raw && {
      declaredFrames: raw.declaredFrames,
      framesWithBodies: raw.validFrames,
      bodies: raw.bodies.map((b) => ({
        id: b.id,
        frames: b.frames.length,
        first: b.frames[0],
        last: b.frames[b.frames.length - 1],
      })),
    },
    samples: result.samples.map((s) => ({
      name: s.name,
      label: s.label,
      className: names !== 'discover' && s.label >= 0 ? names[s.label] : (s.meta.labelName ?? null),
      persons: s.clip.persons,
      frames: s.clip.frames,
      joints: s.clip.joints,
      channels: s.clip.channels,
      meta: s.meta,
      notes: s.notes,
    })),
    skipped: result.skipped,
    failed: result.failed ?? [],
    read: result,
  };
}

/** A pose file written by `skelact extract`: its video, engine, frames and tracks, read as one blazepose-33 sample. */
function inspectPoseFile(file: string) {
  const poses = readPoseFile(file);
  const name = basename(file).replace(/\.poses\.json$/, '');
  const result = parseGenericJson(JSON.stringify(poseRecord(poses, { layout: 'blazepose-33', name })), basename(file));
  const s = result.samples[0];
  return {
    kind: 'file' as const,
    path: file,
    format: 'poses',
    layout: s.layout,
    channels: s.channels,
    bytes: statSync(file).size,
    ntu: undefined,
    poses: {
      video: poses.source.file,
      engine: `${poses.extraction.engine} ${poses.extraction.model}`,
      fps: poses.extraction.fps,
      frames: poses.frames.length,
      framesWithPeople: poses.frames.filter((f) => f.people.length > 0).length,
      tracks: poses.tracks.map((t) => ({ id: t.id, frames: t.frames, first: t.firstFrame, last: t.lastFrame })),
    },
    samples: [
      {
        name: s.name,
        label: -1,
        className: null,
        persons: s.clip.persons,
        frames: s.clip.frames,
        joints: s.clip.joints,
        channels: s.clip.channels,
        meta: s.meta,
        notes: s.notes,
      },
    ],
    skipped: [],
    failed: [],
    read: result,
  };
}

export const inspectCommand: CommandModule<GlobalOptions, InspectArgs> = {
  command: 'inspect <path>',
  // Its one-line description is in src/cli/command-table.ts.
  builder: (y: Argv<GlobalOptions>) =>
    y
      .positional('path', {
        describe:
          'a raw file (.skeleton, NW-UCLA/Kinetics/generic .json, .jsonl, UTKinect joints_*.txt, fitness .csv), a .poses.json of skelact extract, or a cache folder',
        type: 'string',
        demandOption: true,
      })
      .option('format', {
        describe: 'raw format, when it cannot be told from the file name (poses: a .poses.json of skelact extract)',
        choices: [...Object.keys(DATASETS), 'poses'],
        type: 'string',
      })
      .option('classes', { describe: 'list the class counts of every split', type: 'boolean', default: false })
      .option('plot', {
        describe: 'write an SVG of one sample: evenly spaced frames, bones coloured by side',
        type: 'string',
      })
      .option('sample', { describe: 'sample to plot: index or name (default the first)', type: 'string' })
      .example('$0 inspect cache/utk --plot walk.svg --sample s01_e01_walk', 'look at one sequence')
      .example('$0 inspect cache/ntu60', 'sizes, frames, persons and class counts of a cache')
      .example(
        '$0 inspect S001C001P001R001A001.skeleton --json',
        'bodies and frames of a raw NTU file, as JSON',
      ) as unknown as Argv<InspectArgs>,
  handler: (args: ArgumentsCamelCase<InspectArgs>) => {
    if (!existsSync(args.path)) throw new Error(`${args.path} does not exist`);
    if (statSync(args.path).isDirectory()) {
      const s = summariseCache(args.path);
      if (args.plot) {
        const cache = SkeletonCache.open(args.path);
        try {
          const i = pickIndex(
            cache.samples().map((r) => r.name),
            args.sample,
            args.path,
          );
          const { clip, name, label } = cache.read(i);
          plotSample(
            clip,
            cache.manifest.layout,
            `${name} · ${label >= 0 ? cache.manifest.classNames[label] : 'unlabelled'}`,
            args.plot,
          );
          log(args, `wrote ${args.plot} (sample ${i}, ${name})`);
        } finally {
          cache.close();
        }
      }
      if (args.json) return printJson(s);
      print(`cache ${s.path} (${s.megabytes.toFixed(1)} MB of clips, made ${s.createdAt})`);
      print(
        `dataset ${s.dataset} · layout ${s.layout} · channels ${s.channels.join(',')} · ${s.classes.length} classes · ${s.samples} samples`,
      );
      print(
        `frames per sample: min ${s.frames.min}, median ${s.frames.median}, mean ${s.frames.mean.toFixed(1)}, max ${s.frames.max}`,
      );
      print(
        `persons per sample: ${Object.entries(s.persons)
          .map(([k, v]) => `${k}: ${v}`)
          .join(', ')}`,
      );
      print(
        `preprocessing: ${Object.entries(s.preprocessing)
          .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
          .join('; ')}`,
      );
      for (const [b, sp] of Object.entries(s.splits)) print(`benchmark ${b}: ${sp.train} train / ${sp.test} test`);
      print(
        `report: ${s.report.skipped} skipped, ${s.report.failed} failed, ${s.report.denoised} with preprocessing notes`,
      );
      const benchmarks = Object.entries(s.splits);
      const rows = s.classes.map((name, c) => {
        const cells = benchmarks.flatMap(([, sp]) => [sp.trainClassCounts[c], sp.testClassCounts[c]]);
        return { name, all: s.allClassCounts[c], cells };
      });
      const shown = args.classes ? rows : rows.filter((r) => r.all > 0).slice(0, 12);
      if (shown.length > 0) {
        print('');
        print(
          [
            'class'.padEnd(32),
            'all'.padStart(6),
            ...benchmarks.flatMap(([b]) => [`${b}:train`.padStart(18), 'test'.padStart(6)]),
          ].join(' '),
        );
        for (const r of shown)
          print(
            [
              r.name.slice(0, 32).padEnd(32),
              String(r.all).padStart(6),
              ...r.cells.map((c, i) => String(c).padStart(i % 2 === 0 ? 18 : 6)),
            ].join(' '),
          );
        if (!args.classes && rows.length > shown.length)
          print(`… ${rows.length - shown.length} more classes (use --classes for all)`);
      }
      return;
    }
    const s =
      (args.format ?? detectFormat(args.path)) === 'poses'
        ? inspectPoseFile(args.path)
        : inspectRawFile(args.path, args.format);
    if (args.plot) {
      const samples = s.read.samples;
      if (samples.length === 0) throw new Error(`${args.path} holds no sample to plot`);
      const i = pickIndex(
        samples.map((x) => x.name),
        args.sample,
        args.path,
      );
      plotSample(
        samples[i].clip,
        samples[i].layout,
        `${samples[i].name} · ${s.samples[i].className ?? 'unlabelled'}`,
        args.plot,
      );
      log(args, `wrote ${args.plot} (${samples[i].name})`);
    }
    if (args.json) {
      const { read: _read, ...summary } = s;
      return printJson(summary);
    }
    print(
      `${s.path}: ${s.format} file, ${(s.bytes / 1e3).toFixed(1)} kB, layout ${s.layout}, channels ${s.channels.join(',')}`,
    );
    if ('poses' in s && s.poses) {
      print(
        `pose file of ${s.poses.video} (${s.poses.engine}, ${s.poses.fps} fps): ${s.poses.frames} frames, ${s.poses.framesWithPeople} with people, ${s.poses.tracks.length} track(s)`,
      );
      for (const t of s.poses.tracks) print(`  track ${t.id}: ${t.frames} frames (${t.first}..${t.last})`);
    }
    if (s.ntu) {
      print(
        `declared frames ${s.ntu.declaredFrames}, frames with bodies ${s.ntu.framesWithBodies}, body ids ${s.ntu.bodies.length}:`,
      );
      for (const b of s.ntu.bodies) print(`  body ${b.id}: ${b.frames} frames (${b.first}..${b.last})`);
    }
    for (const x of s.samples) {
      print(
        `sample ${x.name}: label ${x.label}${x.className !== null ? ` (${x.className})` : ''}, ${x.persons} person(s) × ${x.frames} frames × ${x.joints} joints × ${x.channels} channels`,
      );
      for (const n of x.notes) print(`  ${n}`);
    }
    for (const k of s.skipped) print(`skipped: ${k.reason}`);
    for (const f of s.failed) print(`failed: ${f.reason}`);
  },
};

/** Writes an SVG plot, replacing an SVG but nothing else (src/util/replace.ts). */
function writeSvgPlot(path: string, svg: string): void {
  checkReplaceable(path, SVG_OUTPUT);
  writeFileAtomic(path, svg);
}
