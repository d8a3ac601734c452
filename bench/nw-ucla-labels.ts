/**
 * The audit behind datasets/nw-ucla/label-errata.json: which NW-UCLA training-view clips move
 * against their published label (docs/nw-ucla-accuracy.md section 9).
 *
 *   npm run build && node dist/bench/nw-ucla-labels.js [--raw ../shared/data/nw_ucla_train]
 *       [--scores 'view1->view2=<run>/scores,<run>/scores,<run>/scores;view2->view1=…'] [--json out.json]
 *
 * 1. Model-free: every "sit down" clip whose head rises and every "stand up" clip whose head
 *    falls by more than 0.15 m (last eighth of the clip against the first).
 * 2. With --scores: per set of held-out models (trained on the other view, scores on this one),
 *    the clips every model of the set puts in one and the same other class, counted per subject,
 *    view and label; a group whose clips all go one way is what a swapped label looks like.
 * 3. Each errata entry beside the evidence found for it.
 */
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { writeFileAtomic } from '../src/core/files.js';
import { classNames, loadClassTable } from '../src/data/classes.js';
import { readNwUcla, readNwUclaErrata } from '../src/data/formats/index.js';
import type { SkeletonSample } from '../src/data/types.js';
import { readScores } from '../src/train/evaluate.js';
import {
  consensusErrors,
  consensusGroups,
  heightContradictions,
  type ConsensusGroup,
} from '../src/train/label-audit.js';
import { datasetsPath, packageRoot } from '../src/util/paths.js';
import { arg } from './args.js';

const raw = arg('raw', join(packageRoot(), '..', 'shared', 'data', 'nw_ucla_train'));
const scoreSets = arg('scores', '')
  .split(';')
  .filter((s) => s.trim() !== '')
  .map((s) => {
    const [name, dirs] = s.includes('=') ? s.split('=') : [s, s];
    return { name: name.trim(), dirs: dirs.split(',').map((d) => d.trim()) };
  });

const names = classNames('nw-ucla');
const samples: SkeletonSample[] = readdirSync(raw)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .flatMap((f) => readNwUcla(join(raw, f)).samples);

const height = heightContradictions(samples, names, { lowering: 'sit down', raising: 'stand up' });
console.log(`${samples.length} clips read from ${raw}`);
console.log(`\nModel-free: sit down with the head rising, stand up with it falling (> 0.15 m): ${height.length}`);
for (const h of height)
  console.log(`  ${h.name}  ${h.label}  head ${h.change >= 0 ? '+' : ''}${h.change.toFixed(2)} m`);

const subjectView = (name: string) =>
  name
    .split('_')
    .slice(1)
    .filter((p) => !p.startsWith('e'))
    .join(' ');
const consensus: Record<string, { errors: number; clips: number; groups: ConsensusGroup[]; names: string[] }> = {};
for (const set of scoreSets) {
  const runs = set.dirs.map(readScores);
  const errors = consensusErrors(runs);
  const groups = consensusGroups(runs[0], errors, subjectView);
  consensus[set.name] = {
    errors: errors.length,
    clips: runs[0].names.length,
    groups,
    names: errors.map((e) => e.name),
  };
  console.log(
    `\n${set.name}: ${errors.length} of ${runs[0].names.length} clips put in one other class by all ${runs.length} models; the groups where that is at least half of the clips:`,
  );
  for (const g of groups.filter((g) => g.errors * 2 >= g.clips && g.clips >= 3))
    console.log(`  ${g.group}  ${g.label} -> ${g.predicted}: ${g.errors} of ${g.clips}`);
}

const errata = readNwUclaErrata(datasetsPath('nw-ucla', 'label-errata.json'));
const ids = loadClassTable('nw-ucla').classes.map((c) => c.id);
const heightNames = new Set(height.map((h) => h.name));
const rows = [...errata.clips].map(([name, entry]) => ({
  name,
  published: names[ids.indexOf(name.slice(0, 3))],
  corrected: names[ids.indexOf(entry.label)],
  evidence: entry.evidence,
  // The head rule speaks only of sit down and stand up.
  headContradicts: ['a05', 'a06'].includes(name.slice(0, 3)) ? heightNames.has(name) : null,
  consensusOf: Object.entries(consensus)
    .filter(([, c]) => c.names.includes(name))
    .map(([set]) => set),
}));
const unlisted = height.filter((h) => !errata.clips.has(h.name));
if (unlisted.length > 0)
  console.log(
    `\nFlagged by the head rule but not in the errata (read each before listing it): ${unlisted.map((h) => h.name).join(', ')}`,
  );
console.log(`\nErrata (${rows.length} clips): head rule / held-out models agree`);
for (const r of rows)
  console.log(
    `  ${r.name}  ${r.published} -> ${r.corrected}  head: ${r.headContradicts === null ? 'n/a' : r.headContradicts ? 'yes' : 'no'}  models: ${r.consensusOf.join(', ') || '-'}`,
  );

const out = arg('json', '');
if (out)
  writeFileAtomic(
    out,
    `${JSON.stringify({ raw: relative(packageRoot(), raw), clips: samples.length, height, consensus, errata: rows }, null, 1)}\n`,
  );
