/** Which reader a raw file needs, from its name and first bytes (skelact inspect, predict). */
import { extname } from 'node:path';
import { readFileSync } from 'node:fs';
import { DATASETS } from '../data/datasets/index.js';
import { isPoseFile } from './pose-file.js';
import { optionName } from '../core/errors.js';

/** Guesses the dataset of a raw file from its extension and first bytes. */
export function detectFormat(file: string): string {
  const ext = extname(file).toLowerCase();
  if (ext === '.skeleton') return 'ntu';
  if (ext === '.csv') return 'mlkit-fitness';
  if (ext === '.jsonl') return 'generic';
  if (ext === '.txt' && /joints_s\d+_e\d+\.txt$/.test(file)) return 'utkinect';
  if (isPoseFile(file)) return 'poses';
  if (ext === '.json') {
    const head = readFileSync(file, 'utf8').slice(0, 4096);
    if (/"skeletons"\s*:/.test(head) && /"file_name"\s*:/.test(head)) return 'nw-ucla';
    if (/"data"\s*:\s*\[/.test(head) && /"frame_index"/.test(head)) return 'kinetics-skeleton';
    return 'generic';
  }
  throw new Error(
    `cannot tell the format of ${file} from its name; pass ${optionName('format')} (one of ${[...Object.keys(DATASETS), 'poses'].join(', ')})`,
  );
}
