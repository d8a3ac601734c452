#!/usr/bin/env node
/**
 * node scripts/longest-functions.mjs [--top N] [dir] — the longest functions under src/ (or
 * `dir`), by lines from the line of their first token to the line of their last (the body
 * and signature, comments inside included, the doc comment above not). Every function-like
 * node counts: declarations, methods, constructors, accessors, function expressions and
 * arrow functions; a function nested in another counts on its own and inside its parent.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

const args = process.argv.slice(2);
const topIndex = args.indexOf('--top');
const top = topIndex >= 0 ? Number(args[topIndex + 1]) : 10;
const dir = args.filter((a, i) => !a.startsWith('--') && i !== topIndex + 1)[0] ?? 'src';

function* files(d) {
  for (const e of readdirSync(d)) {
    const p = join(d, e);
    if (statSync(p).isDirectory()) yield* files(p);
    else if (p.endsWith('.ts') && !p.endsWith('.d.ts')) yield p;
  }
}

const rows = [];
for (const file of files(dir)) {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
  const visit = (node) => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const start = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
      const end = source.getLineAndCharacterOfPosition(node.getEnd()).line;
      const name =
        node.name?.getText(source) ??
        (ts.isVariableDeclaration(node.parent)
          ? node.parent.name.getText(source)
          : ts.isPropertyAssignment(node.parent)
            ? node.parent.name.getText(source)
            : '(anonymous)');
      rows.push({ lines: end - start + 1, where: `${relative(process.cwd(), file)}:${start + 1}`, name });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
}
rows.sort((a, b) => b.lines - a.lines);
for (const r of rows.slice(0, top)) process.stdout.write(`${String(r.lines).padStart(5)}  ${r.name}  ${r.where}\n`);
