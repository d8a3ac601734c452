/**
 * Action descriptions: for every class a few synonyms of its name, one sentence about the
 * whole body and one per body part (head, hands, arms, hips, legs, feet). They are data
 * (`datasets/<dataset>/descriptions.json`, format in docs/descriptions-format.md), written
 * by this project for NTU RGB+D 120, NW-UCLA, UTKinect and the ML Kit fitness poses; users
 * pass their own file for their own classes.
 *
 * Classes are matched by name, exactly as the cache's class list spells them.
 */
import { existsSync, readFileSync } from 'node:fs';
import * as z from 'zod';
import { datasetsPath } from '../util/paths.js';
import { SkelactError, parseWith, optionName } from '../core/errors.js';

export const DESCRIPTION_PARTS = ['head', 'hands', 'arms', 'hips', 'legs', 'feet'] as const;
export type DescriptionPart = (typeof DESCRIPTION_PARTS)[number];

const sentence = z.string().trim().min(3);

const classSchema = z
  .object({
    id: z.string().optional(),
    name: z.string().min(1),
    synonyms: z.array(sentence).default([]),
    description: sentence,
    parts: z.record(z.string(), z.string()),
  })
  .strict();

const fileSchema = z
  .object({
    dataset: z.string().optional(),
    format: z.literal('skelact-descriptions').optional(),
    version: z.literal(1).optional(),
    source: z.string().optional(),
    parts: z.array(z.string()).optional(),
    classes: z.array(z.unknown()).min(1),
  })
  .strict();

export interface ClassDescription {
  readonly id?: string;
  readonly name: string;
  readonly synonyms: readonly string[];
  readonly description: string;
  readonly parts: Readonly<Record<DescriptionPart, string>>;
}

export interface DescriptionSet {
  /** Where the descriptions came from (a file path). */
  readonly source: string;
  readonly classes: ReadonlyMap<string, ClassDescription>;
}

export class DescriptionError extends SkelactError {
  readonly code = 'invalid-descriptions';

  constructor(file: string, message: string) {
    super(`${file}: ${message}`);
  }
}

/** Reads and validates a description file; every problem is collected and reported at once. */
export function readDescriptions(file: string): DescriptionSet {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new DescriptionError(file, `cannot read it as JSON (${(e as Error).message})`);
  }
  const top = parseWith(
    fileSchema,
    raw,
    file,
    (field, detail) => new DescriptionError(file, `field '${field ?? '(root)'}': ${detail}`),
  );
  const problems: string[] = [];
  const classes = new Map<string, ClassDescription>();
  top.classes.forEach((entry, i) => {
    const parsed = classSchema.safeParse(entry);
    const where = `classes[${i}]${typeof (entry as { name?: unknown })?.name === 'string' ? ` ('${(entry as { name: string }).name}')` : ''}`;
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      problems.push(`${where}.${issue.path.join('.')}: ${issue.message}`);
      return;
    }
    const c = parsed.data;
    const missing = DESCRIPTION_PARTS.filter((p) => typeof c.parts[p] !== 'string' || c.parts[p].trim().length < 3);
    const unknown = Object.keys(c.parts).filter((p) => !(DESCRIPTION_PARTS as readonly string[]).includes(p));
    if (missing.length > 0)
      problems.push(
        `${where}: no description of ${missing.join(', ')} (every class needs ${DESCRIPTION_PARTS.join(', ')})`,
      );
    if (unknown.length > 0)
      problems.push(`${where}: unknown part ${unknown.join(', ')} (parts are ${DESCRIPTION_PARTS.join(', ')})`);
    if (classes.has(c.name)) problems.push(`${where}: class '${c.name}' is described twice`);
    if (missing.length === 0 && unknown.length === 0) {
      classes.set(c.name, {
        ...(c.id ? { id: c.id } : {}),
        name: c.name,
        synonyms: c.synonyms,
        description: c.description,
        parts: c.parts as Record<DescriptionPart, string>,
      });
    }
  });
  if (problems.length > 0)
    throw new DescriptionError(
      file,
      `${problems.length} problem${problems.length > 1 ? 's' : ''}:\n  ${problems.join('\n  ')}`,
    );
  return { source: file, classes };
}

/** The shipped description file of a dataset (the synthetic data uses NTU's classes). */
export function shippedDescriptionsFile(dataset: string): string | undefined {
  const name = dataset === 'synthetic' ? 'ntu' : dataset;
  const file = datasetsPath(name, 'descriptions.json');
  return existsSync(file) ? file : undefined;
}

/**
 * The descriptions of `classNames`, in that order. With `exact`, the file must describe these
 * classes and no others (a user's own file); otherwise it may describe more (a shipped file
 * covers all of NTU RGB+D 120, a cache often fewer).
 */
export function descriptionsFor(
  set: DescriptionSet,
  classNames: readonly string[],
  options: { exact?: boolean } = {},
): ClassDescription[] {
  const missing = classNames.filter((n) => !set.classes.has(n));
  const known = new Set(classNames);
  const extra = options.exact ? [...set.classes.keys()].filter((n) => !known.has(n)) : [];
  if (missing.length > 0 || extra.length > 0) {
    const parts: string[] = [];
    if (missing.length > 0)
      parts.push(
        `no description for ${missing.length} class${missing.length > 1 ? 'es' : ''} of the data: ${missing.map((n) => `'${n}'`).join(', ')}`,
      );
    if (extra.length > 0)
      parts.push(
        `${extra.length} described class${extra.length > 1 ? 'es are' : ' is'} not in the data: ${extra.map((n) => `'${n}'`).join(', ')}`,
      );
    throw new DescriptionError(set.source, parts.join('; '));
  }
  return classNames.map((n) => set.classes.get(n)!);
}

/** Descriptions for a dataset's classes: the given file (exact match required) or the shipped one. */
export function loadDescriptionsFor(dataset: string, classNames: readonly string[], file?: string): ClassDescription[] {
  if (file) return descriptionsFor(readDescriptions(file), classNames, { exact: true });
  const shipped = shippedDescriptionsFile(dataset);
  if (!shipped)
    throw new DescriptionError(
      `datasets/${dataset}/descriptions.json`,
      `skelact ships no descriptions for dataset '${dataset}'; write your own (docs/descriptions-format.md) and pass it as text.descriptions in the config or ${optionName('descriptions')}`,
    );
  return descriptionsFor(readDescriptions(shipped), classNames);
}
