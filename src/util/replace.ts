/**
 * The one rule every writer of an output folder or file follows before it replaces anything:
 * a missing path or an empty folder may be written; an existing output of the writer's own
 * kind (a saved model, a cache, an SVG) may be replaced only when the caller allows it (the
 * CLI's --force); anything else (a user's documents, another kind of output) is never
 * replaced, whatever the flags.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { SkelactError } from '../core/errors.js';

export class OutputInTheWayError extends SkelactError {
  readonly code = 'output-in-the-way';

  constructor(
    readonly path: string,
    message: string,
  ) {
    super(message);
  }
}

export interface ReplaceRule {
  /** What the writer writes, for messages: 'a saved model', 'a skelact cache'. */
  readonly kind: string;
  /** Whether the existing path is an output of this kind. */
  readonly isOwnKind: (path: string) => boolean;
  /** Whether an output of the same kind may be replaced (the CLI's --force). */
  readonly replace: boolean;
  /** How the user allows a replacement, e.g. 'add --force to replace it'. */
  readonly howToReplace?: string;
  /** How to avoid the problem, e.g. 'choose another --out'. */
  readonly howToAvoid?: string;
}

/** Throws OutputInTheWayError unless `path` may be (re)written under `rule`. */
export function checkReplaceable(path: string, rule: ReplaceRule): void {
  if (!existsSync(path)) return;
  const st = statSync(path);
  if (st.isDirectory() && readdirSync(path).length === 0) return;
  const avoid = rule.howToAvoid ?? 'choose another path';
  if (!rule.isOwnKind(path)) {
    const entries = st.isDirectory() ? readdirSync(path).length : 0;
    const holds = st.isDirectory() ? `a folder of ${entries} entr${entries === 1 ? 'y' : 'ies'}` : 'a file';
    throw new OutputInTheWayError(
      path,
      `${path} exists and is not ${rule.kind} (it is ${holds}); skelact does not replace it: ${avoid}`,
    );
  }
  if (!rule.replace)
    throw new OutputInTheWayError(
      path,
      `${path} already holds ${rule.kind}: ${rule.howToReplace ? `${rule.howToReplace}, or ` : ''}${avoid}`,
    );
}

/** Whether a file is an SVG (so a plot may replace it): its first bytes open an <svg> or XML document. */
export function isSvgFile(path: string): boolean {
  try {
    return /^\s*(<\?xml|<svg)/.test(readFileSync(path, 'utf8').slice(0, 256));
  } catch {
    return false;
  }
}

/** The rule for an SVG plot: replaces an SVG, nothing else. */
export const SVG_OUTPUT: ReplaceRule = {
  kind: 'an SVG file',
  isOwnKind: isSvgFile,
  replace: true,
  howToAvoid: 'choose another path for the plot',
};
