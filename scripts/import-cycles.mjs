#!/usr/bin/env node
/**
 * Lists the import cycles among the TypeScript files under a directory (default: src/). Every relative
 * import counts, type-only ones included: a cycle of types is still a tangle a newcomer must untie.
 * Exits 1 when there is a cycle (run by `npm run lint` and by a unit test).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/** file → the files under `root` it imports (resolved, `.js` specifiers mapped to `.ts`). */
export function importGraph(root) {
  const files = [];
  const walk = (dir) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) files.push(p);
    }
  };
  walk(root);
  const known = new Set(files);
  const graph = new Map();
  for (const file of files) {
    const info = ts.preProcessFile(fs.readFileSync(file, 'utf8'), true, true);
    const targets = new Set();
    for (const { fileName } of info.importedFiles) {
      if (!fileName.startsWith('.')) continue;
      const base = path.resolve(path.dirname(file), fileName);
      const candidates = [base.replace(/\.js$/, '.ts'), `${base}.ts`, path.join(base, 'index.ts')];
      const hit = candidates.find((c) => known.has(c));
      if (hit) targets.add(hit);
    }
    graph.set(file, [...targets].sort());
  }
  return graph;
}

/** Every strongly connected group of more than one file (or a file importing itself), as sorted lists. */
export function findCycles(graph) {
  // Tarjan's algorithm.
  let index = 0;
  const stack = [];
  const meta = new Map();
  const groups = [];
  const visit = (v) => {
    meta.set(v, { index, low: index, onStack: true });
    index++;
    stack.push(v);
    for (const w of graph.get(v) ?? []) {
      if (!meta.has(w)) {
        visit(w);
        meta.get(v).low = Math.min(meta.get(v).low, meta.get(w).low);
      } else if (meta.get(w).onStack) {
        meta.get(v).low = Math.min(meta.get(v).low, meta.get(w).index);
      }
    }
    if (meta.get(v).low === meta.get(v).index) {
      const group = [];
      let w;
      do {
        w = stack.pop();
        meta.get(w).onStack = false;
        group.push(w);
      } while (w !== v);
      if (group.length > 1 || (graph.get(v) ?? []).includes(v)) groups.push(group.sort());
    }
  };
  for (const v of graph.keys()) if (!meta.has(v)) visit(v);
  return groups;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = path.resolve(process.argv[2] ?? 'src');
  const cycles = findCycles(importGraph(root));
  for (const group of cycles)
    console.error(`import cycle: ${group.map((f) => path.relative(process.cwd(), f)).join(' ↔ ')}`);
  if (cycles.length > 0) process.exit(1);
  console.log(`no import cycle under ${path.relative(process.cwd(), root) || '.'}`);
}
