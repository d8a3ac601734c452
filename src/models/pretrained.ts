/**
 * The models that ship inside the package (`pretrained/<name>/`): each a saved-model folder
 * plus `card.json`, which says what the model recognises, the recipe that made it, what it
 * scored on which split, and when. Commands take `--model <name>` as well as a folder path;
 * `resolveModelDir` decides which one was meant (Node only: it reads the package folder).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as z from 'zod';
import { packageRoot } from '../util/paths.js';

export const PRETRAINED_FOLDER = 'pretrained';
export const MODEL_CARD_FILE = 'card.json';

const cardSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9-]+$/),
    title: z.string().min(1),
    /** What goes in: the layout and the skeleton source it expects. */
    input: z.string().min(1),
    classes: z.array(z.string().min(1)).min(1),
    /** The experiment config that made it (path inside the package) and the command. */
    recipe: z.object({ config: z.string().min(1), command: z.string().min(1), trainedOn: z.string().min(1) }).strict(),
    /** Measured accuracy: on what, how, and the number. */
    accuracy: z
      .array(
        z
          .object({
            split: z.string().min(1),
            top1: z.number().min(0).max(1),
            samples: z.number().int().min(1),
            note: z.string().optional(),
          })
          .strict(),
      )
      .min(1),
    trainingSeconds: z.number().positive(),
    machine: z.string().min(1),
    date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
    /** Weight storage of the shipped folder (float32 or a quantisation). */
    weights: z.string().min(1),
  })
  .strict();

export type ModelCard = z.infer<typeof cardSchema>;

/** The folder holding the shipped models. */
export function pretrainedRoot(): string {
  return join(packageRoot(), PRETRAINED_FOLDER);
}

/** Reads and validates one shipped model's card. */
export function readModelCard(dir: string): ModelCard {
  const path = join(dir, MODEL_CARD_FILE);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new Error(`${path}: cannot read the model card (${(e as Error).message})`);
  }
  const parsed = cardSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${path}: field '${issue.path.join('.')}': ${issue.message}`);
  }
  return parsed.data;
}

export interface PretrainedModel {
  readonly name: string;
  readonly dir: string;
  readonly card: ModelCard;
  /** Bytes of the folder's files. */
  readonly bytes: number;
}

/** The shipped models, by name. */
export function listPretrained(root = pretrainedRoot()): PretrainedModel[] {
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .filter((name) => existsSync(join(root, name, MODEL_CARD_FILE)))
    .sort()
    .map((name) => {
      const dir = join(root, name);
      const bytes = readdirSync(dir).reduce((sum, f) => sum + statSync(join(dir, f)).size, 0);
      return { name, dir, card: readModelCard(dir), bytes };
    });
}

/**
 * A `--model` argument as a folder: an existing path is taken as it is; otherwise a shipped
 * model's name; otherwise an error that lists the names that exist.
 */
export function resolveModelDir(nameOrDir: string, root = pretrainedRoot()): string {
  if (existsSync(nameOrDir)) return nameOrDir;
  const models = listPretrained(root);
  const found = models.find((m) => m.name === nameOrDir);
  if (found) return found.dir;
  const names = models.map((m) => m.name);
  throw new Error(
    `model '${nameOrDir}' is neither a model folder nor a shipped model; shipped models: ${names.length ? names.join(', ') : '(none in this install)'} (skelact models lists them)`,
  );
}
