/** Class tables of the shipped datasets (datasets/<name>/classes.json). */
import { readFileSync } from 'node:fs';
import * as z from 'zod';
import { datasetsPath } from '../util/paths.js';

const classTableSchema = z.object({
  dataset: z.string(),
  title: z.string(),
  source: z.string(),
  classes: z
    .array(z.object({ id: z.string(), name: z.string(), persons: z.number().int().optional() }).strict())
    .min(1),
});

export type ClassTable = z.infer<typeof classTableSchema>;

export const CLASS_TABLE_DATASETS = ['ntu', 'nw-ucla', 'utkinect', 'mlkit-fitness'] as const;
export type ClassTableDataset = (typeof CLASS_TABLE_DATASETS)[number];

const cache = new Map<string, ClassTable>();

export function loadClassTable(dataset: ClassTableDataset): ClassTable {
  let table = cache.get(dataset);
  if (!table) {
    const file = datasetsPath(dataset, 'classes.json');
    const parsed = classTableSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    if (!parsed.success)
      throw new Error(`${file}: ${parsed.error.issues[0].path.join('.')}: ${parsed.error.issues[0].message}`);
    table = parsed.data;
    cache.set(dataset, table);
  }
  return table;
}

/** Class names in label order (label i is classes[i]). */
export function classNames(dataset: ClassTableDataset): string[] {
  return loadClassTable(dataset).classes.map((c) => c.name);
}
