#!/usr/bin/env node
/**
 * A small mutation check of the security decisions (`npm run mutate`): for each decision module it
 * makes one small change at a time — a comparison or logical operator flipped, a `!` dropped, a boolean
 * literal inverted, one string removed from a list — and runs that module's tests against it. A mutant
 * the tests do not notice "survives": a change to a security decision no test would catch. Prints each
 * survivor and the score (killed / tried).
 *
 * Mutants are made from TypeScript's syntax tree (never inside comments or strings), in a copy of the
 * repository under $TMPDIR (node_modules linked), so the working tree is never touched.
 *
 *   node scripts/mutate.mjs [--per-module N | --all] [--min-score P] [module ...]
 *
 * --per-module N   try N mutants per module, spread evenly over the file (default 12)
 * --all            try every mutant (slow: each one is a jest run)
 * --min-score P    exit 1 when the score is below P percent (default 0: report only)
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

/** The security decision modules, and the tests that speak for each. */
export const MODULES = {
  permissions: {
    file: 'src/policy/permissions.ts',
    tests: ['permissions', 'mutations', 'settings-file', 'central-policy'],
  },
  'default-rules': {
    file: 'src/policy/default-rules.ts',
    tests: ['permissions', 'mutations', 'settings-file'],
  },
  'child-env': { file: 'src/policy/child-env.ts', tests: ['child-env'] },
  redact: { file: 'src/findings/redact.ts', tests: ['redact'] },
  gate: { file: 'src/findings/gate.ts', tests: ['gate', 'mutations'] },
  'trigger-guard': { file: 'src/policy/trigger-guard.ts', tests: ['trigger-guard', 'mutations'] },
  'review-scope': { file: 'src/review-scope.ts', tests: ['review-scope', 'inputs'] },
  'claude-args': { file: 'src/policy/claude-args.ts', tests: ['claude-args', 'mutations', 'inputs'] },
  // Untrusted PR text before it reaches the agent, with its fast paths for plain text (issue 12).
  sanitize: {
    file: 'src/policy/sanitize.ts',
    tests: [
      'sanitize',
      'sanitize-ascii',
      'sanitize-inert',
      'sanitize-notes',
      'sanitize-rendered',
      'parity-sanitizer',
    ],
  },
  'injection-signals': {
    file: 'src/policy/injection-signals.ts',
    tests: ['injection-signals', 'injection-signals-filter'],
  },
  'audit-permissions': {
    file: 'src/policy/workflow-audit/rules/permissions.ts',
    tests: ['workflow-audit', 'workflow-audit-parity'],
  },
  'audit-injection': {
    file: 'src/policy/workflow-audit/rules/injection.ts',
    tests: ['workflow-audit', 'workflow-audit-parity'],
  },
  'audit-pinning': {
    file: 'src/policy/workflow-audit/rules/pinning.ts',
    tests: ['workflow-audit', 'workflow-audit-parity'],
  },
};

const SWAP = {
  [ts.SyntaxKind.EqualsEqualsEqualsToken]: '!==',
  [ts.SyntaxKind.ExclamationEqualsEqualsToken]: '===',
  [ts.SyntaxKind.AmpersandAmpersandToken]: '||',
  [ts.SyntaxKind.BarBarToken]: '&&',
  [ts.SyntaxKind.LessThanToken]: '<=',
  [ts.SyntaxKind.LessThanEqualsToken]: '<',
  [ts.SyntaxKind.GreaterThanToken]: '>=',
  [ts.SyntaxKind.GreaterThanEqualsToken]: '>',
};

/** Every mutant of `text`: { start, end, replacement, description } (pure). */
export function mutants(text, fileName = 'x.ts') {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true);
  const out = [];
  const line = (pos) => source.getLineAndCharacterOfPosition(pos).line + 1;
  const visit = (node) => {
    if (ts.isBinaryExpression(node) && SWAP[node.operatorToken.kind] !== undefined) {
      const op = node.operatorToken;
      out.push({
        start: op.getStart(source),
        end: op.getEnd(),
        replacement: SWAP[op.kind],
        description: `line ${line(op.getStart(source))}: ${op.getText(source)} → ${SWAP[op.kind]}`,
      });
    } else if (ts.isPrefixUnaryExpression(node) && node.operator === ts.SyntaxKind.ExclamationToken) {
      const start = node.getStart(source);
      out.push({
        start,
        end: start + 1,
        replacement: '',
        description: `line ${line(start)}: !${node.operand.getText(source).slice(0, 40)} → without !`,
      });
    } else if (node.kind === ts.SyntaxKind.TrueKeyword || node.kind === ts.SyntaxKind.FalseKeyword) {
      const flipped = node.kind === ts.SyntaxKind.TrueKeyword ? 'false' : 'true';
      out.push({
        start: node.getStart(source),
        end: node.getEnd(),
        replacement: flipped,
        description: `line ${line(node.getStart(source))}: ${node.getText(source)} → ${flipped}`,
      });
    } else if (ts.isArrayLiteralExpression(node)) {
      for (const element of node.elements) {
        if (!ts.isStringLiteral(element)) continue;
        // Remove the element and its trailing comma.
        const after = text.slice(element.getEnd()).match(/^\s*,/)?.[0] ?? '';
        out.push({
          start: element.getStart(source),
          end: element.getEnd() + after.length,
          replacement: '',
          description: `line ${line(element.getStart(source))}: ${element.getText(source)} removed from a list`,
        });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return out.sort((a, b) => a.start - b.start);
}

/** `n` items spread evenly over `items` (all of them when n >= length). */
export function spread(items, n) {
  if (n >= items.length) return items;
  return Array.from({ length: n }, (_, i) => items[Math.floor(((i + 0.5) * items.length) / n)]);
}

function copyRepo() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'claude-guard-mutate-'));
  // Everything the tests may read, but not node_modules (linked), git's data or the bundles.
  for (const entry of fs.readdirSync(ROOT))
    if (!['node_modules', '.git', 'dist', '.ci'].includes(entry))
      fs.cpSync(path.join(ROOT, entry), path.join(dir, entry), { recursive: true });
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  return dir;
}

function runTests(dir, tests, timeoutMs) {
  const files = tests
    .map((t) => `__tests__/unit/${t}.test.ts`)
    .filter((f) => fs.existsSync(path.join(dir, f)));
  const result = spawnSync(
    process.execPath,
    [
      path.join(dir, 'node_modules/jest/bin/jest.js'),
      '--selectProjects',
      'unit',
      '-i',
      '--bail',
      '--',
      ...files,
    ],
    {
      cwd: dir,
      env: { ...process.env, NODE_OPTIONS: '--experimental-vm-modules' },
      encoding: 'utf8',
      timeout: timeoutMs,
      killSignal: 'SIGKILL',
    },
  );
  if (result.error && result.error.code === 'ETIMEDOUT') return 'timeout';
  if (result.status !== 0 && process.env.MUTATE_VERBOSE) process.stderr.write(result.stderr.slice(-4000));
  return result.status === 0 ? 'passed' : 'failed';
}

function main(argv) {
  let perModule = 12;
  let minScore = 0;
  const names = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--all') perModule = Infinity;
    else if (argv[i] === '--per-module') perModule = Number(argv[++i]);
    else if (argv[i] === '--min-score') minScore = Number(argv[++i]);
    else names.push(argv[i]);
  }
  const chosen = names.length ? names : Object.keys(MODULES);
  for (const n of chosen)
    if (!MODULES[n]) throw new Error(`unknown module ${n}; known: ${Object.keys(MODULES)}`);
  const dir = copyRepo();
  let tried = 0;
  let killed = 0;
  const survivors = [];
  try {
    for (const name of chosen) {
      const { file, tests } = MODULES[name];
      const target = path.join(dir, file);
      const original = fs.readFileSync(target, 'utf8');
      if (runTests(dir, tests, 600_000) !== 'passed')
        throw new Error(`${name}: the tests fail without any mutant (MUTATE_VERBOSE=1 shows why)`);
      const all = mutants(original, file);
      const picked = spread(all, perModule);
      let moduleKilled = 0;
      for (const m of picked) {
        fs.writeFileSync(target, original.slice(0, m.start) + m.replacement + original.slice(m.end));
        const outcome = runTests(dir, tests, 300_000);
        tried++;
        if (outcome === 'passed') survivors.push(`${file} ${m.description}`);
        else {
          killed++;
          moduleKilled++;
        }
        process.stdout.write(`${outcome === 'passed' ? 'SURVIVED' : 'killed  '} ${file} ${m.description}\n`);
      }
      fs.writeFileSync(target, original);
      console.log(`${name}: ${moduleKilled}/${picked.length} killed (${all.length} mutants in the file)`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const score = tried ? (100 * killed) / tried : 100;
  console.log(`\nmutation score: ${killed}/${tried} killed = ${score.toFixed(1)}%`);
  if (survivors.length) console.log(`survivors:\n  ${survivors.join('\n  ')}`);
  if (score < minScore) process.exit(1);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main(process.argv.slice(2));
