// Bundles the entry points with esbuild into dist/ (committed; the runner executes it as is):
// dist/main (the main step), dist/post (the post step), dist/proxy (the key proxy process), dist/hook (the Bash
// PreToolUse hook the agent's CLI runs), each a minified
// ESM index.js (Node 24; @actions/* 3.x are ESM-only), a licenses.txt naming every package bundled into it
// with its licence text, and a package.json that marks the folder as ESM. Type checking is `npm run build`.
//
// Reproducible: the same source and lockfile give the same bytes (no timestamps, no absolute paths, sorted
// licence list), so comparing a fresh build with the committed dist/ is a meaningful check.
//
// One HTTP client: @actions/github sends Octokit's requests through the npm copy of undici (to attach a proxy
// dispatcher) and @actions/http-client builds undici's ProxyAgent when a proxy is configured. Node 24's own
// fetch is undici, so the bundle routes 'undici' to scripts/bundle/undici-on-demand.mjs: Node's fetch without
// a proxy, and the npm undici, split into a chunk of its own, loaded only when HTTPS_PROXY/HTTP_PROXY is set.
//
// Usage: node scripts/bundle.mjs [--out DIR] [--entry main|post|proxy|hook]...   (default: all into dist/)
//        node scripts/bundle.mjs --entry proxy --dir DIR                         (one entry straight into DIR)
import * as esbuild from 'esbuild';
import fs from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { foldsToAscii } from '../src/policy/injection-signals.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const ENTRIES = {
  main: 'src/entries/main.ts',
  post: 'src/entries/post.ts',
  proxy: 'src/entries/proxy.ts',
  hook: 'src/entries/hook.ts',
};
const UNDICI_ON_DEMAND = path.join(ROOT, 'scripts/bundle/undici-on-demand.mjs');

/** 'undici' from any package but the on-demand module itself resolves to the on-demand module. */
const undiciOnDemand = {
  name: 'undici-on-demand',
  setup(build) {
    build.onResolve({ filter: /^undici$/ }, (args) =>
      args.importer === UNDICI_ON_DEMAND ? undefined : { path: UNDICI_ON_DEMAND },
    );
  },
};

/**
 * Node's built-in modules are loaded with require() (the banner's), not as ESM imports. An ESM import of a
 * built-in builds its ESM facade, which reads every export; node:http's exports include WebSocket,
 * CloseEvent and MessageEvent, lazy getters that load Node's internal undici (measured on Node 24: ~70 ms of
 * CPU per process, in the key proxy, the post step and the main step alike, for a client none of them uses
 * through node:http). require() returns the module object without touching those getters.
 */
const BUILTIN = new RegExp(`^(node:)?(${builtinModules.map((m) => m.replace(/[/]/g, '\\/')).join('|')})$`);
const builtinsByRequire = {
  name: 'builtins-by-require',
  setup(build) {
    build.onResolve({ filter: BUILTIN }, (args) =>
      args.namespace === 'builtin-by-require'
        ? { path: args.path, external: true } // the require() below: Node's own module
        : { path: `node:${args.path.replace(/^node:/, '')}`, namespace: 'builtin-by-require' },
    );
    build.onLoad({ filter: /.*/, namespace: 'builtin-by-require' }, (args) => ({
      contents: `module.exports = require(${JSON.stringify(args.path)});`,
      loader: 'js',
    }));
  },
};

/**
 * @actions/core imports, for functions a step may never call, @actions/http-client (its OIDC client: http,
 * https, tls and tunnel) and @actions/exec (its `platform` details). The package declares no
 * `sideEffects`, so esbuild kept them in every entry that logs a line. Their modules only define
 * functions and classes; marked side-effect free, an entry keeps just what it calls (the post step, which
 * calls neither, no longer loads Node's TLS stack).
 */
const SIDE_EFFECT_FREE = /node_modules\/@actions\/(core|http-client|exec|io)\//;
const actionsSideEffectFree = {
  name: 'actions-side-effect-free',
  setup(build) {
    build.onResolve({ filter: /^(\.\.?\/|@actions\/(core|http-client|exec|io)(\/|$))/ }, async (args) => {
      if (args.pluginData === 'actions-side-effect-free') return undefined;
      const inPackage = SIDE_EFFECT_FREE.test(args.importer);
      if (!inPackage && args.path.startsWith('.')) return undefined;
      const result = await build.resolve(args.path, {
        kind: args.kind,
        importer: args.importer,
        resolveDir: args.resolveDir,
        pluginData: 'actions-side-effect-free',
      });
      if (result.errors.length || !SIDE_EFFECT_FREE.test(result.path)) return undefined;
      return { path: result.path, namespace: result.namespace, sideEffects: false };
    });
  },
};

/** unhomoglyph's confusables table (115 KB, 6,311 entries) reduced to the entries injection-signals.ts folds
 * with (its own predicate, `foldsToAscii`: 1,791 entries, 16 KB): the main step parsed and filtered the whole
 * table at every start (~19 ms of CPU; issue 12). The source checks each entry it reads with the same predicate,
 * so the folding is the same with either table. */
export function confusablesSubset(json) {
  const kept = Object.entries(JSON.parse(json)).filter(([from, to]) => foldsToAscii(from, to));
  return JSON.stringify(Object.fromEntries(kept));
}
const confusablesOnlyFolded = {
  name: 'confusables-only-folded',
  setup(build) {
    build.onLoad({ filter: /node_modules[\\/]unhomoglyph[\\/]data\.json$/ }, (args) => ({
      contents: confusablesSubset(fs.readFileSync(args.path, 'utf8')),
      loader: 'json',
    }));
  },
};

/** The package a bundled file belongs to: its innermost node_modules/<name> or node_modules/@scope/<name>. */
function packageDirOf(file) {
  const m = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(file);
  return m ? m[1] : undefined;
}

function licenceText(dir) {
  const file = fs
    .readdirSync(path.join(ROOT, dir))
    .filter((f) => /^(licen[sc]e|copying)/i.test(f))
    .sort()[0];
  return file
    ? fs.readFileSync(path.join(ROOT, dir, file), 'utf8').trim()
    : '(the package ships no licence file)';
}

/** ncc's licenses.txt format: per package its name, its licence identifier and the licence text. */
function licences(inputs) {
  const dirs = [...new Set(Object.keys(inputs).map(packageDirOf).filter(Boolean))];
  const packages = dirs.map((dir) => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, dir, 'package.json'), 'utf8'));
    const licence = typeof pkg.license === 'string' ? pkg.license : (pkg.license?.type ?? 'UNKNOWN');
    return { id: `${pkg.name}@${pkg.version}`, text: `${pkg.name}\n${licence}\n${licenceText(dir)}\n` };
  });
  packages.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  if (packages.length === 0)
    return 'No third-party package is bundled into this entry: only claude-guard (MIT).\n';
  return [...new Map(packages.map((p) => [p.id, p.text])).values()].join('\n');
}

/** Builds one entry into `outdir` (emptied first); returns the files written, relative to it. */
export async function bundleEntry(name, outdir) {
  fs.rmSync(outdir, { recursive: true, force: true });
  const result = await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: { index: ENTRIES[name] },
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node24',
    minify: true,
    // Error classes and Octokit plugins are told apart by name in places; keep names through minifying.
    keepNames: true,
    legalComments: 'none',
    chunkNames: 'chunk-[hash]',
    // CommonJS dependencies require() Node's built-in modules: give the ESM bundle a require.
    banner: {
      js: "import{createRequire as __cgRequire}from'node:module';const require=__cgRequire(import.meta.url);",
    },
    plugins: [undiciOnDemand, builtinsByRequire, actionsSideEffectFree, confusablesOnlyFolded],
    metafile: true,
    logLevel: 'warning',
  });
  fs.writeFileSync(path.join(outdir, 'licenses.txt'), licences(result.metafile.inputs));
  fs.writeFileSync(path.join(outdir, 'package.json'), '{\n  "type": "module"\n}\n');
  return fs.readdirSync(outdir).sort();
}

/** Builds `names` into <outRoot>/<name>/. */
export async function bundle(outRoot = path.join(ROOT, 'dist'), names = Object.keys(ENTRIES)) {
  for (const name of names) await bundleEntry(name, path.join(outRoot, name));
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const value = (flag) => args.flatMap((a, i) => (a === flag ? [args[i + 1]] : []));
  const [out] = value('--out');
  const [dir] = value('--dir');
  const names = value('--entry');
  for (const n of names) if (!(n in ENTRIES)) throw new Error(`unknown entry ${n}: ${Object.keys(ENTRIES)}`);
  if (dir !== undefined) {
    if (names.length !== 1) throw new Error('--dir builds exactly one --entry');
    await bundleEntry(names[0], path.resolve(dir));
  } else {
    await bundle(out ? path.resolve(out) : undefined, names.length ? names : undefined);
  }
}
