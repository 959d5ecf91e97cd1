#!/usr/bin/env node
/**
 * Extracts the GitHub REST operations the action uses from GitHub's published OpenAPI description
 * (@octokit/openapi, api.github.com.deref.json, ~70 MB) into __tests__/fixtures/github-openapi.json:
 * operation ids, parameters and JSON request bodies, fully dereferenced, descriptions and examples
 * stripped. The end-to-end GitHub fake validates every request against it, so a request GitHub would
 * reject (or silently misread) fails the test instead of passing against a lenient fake.
 *
 * Usage: node scripts/trim-openapi.mjs   (re-run when @octokit/openapi or the operation list changes)
 */
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** The operations the action calls, as [method, path template]. Keep in step with src/github and src/report. */
export const OPERATIONS = [
  ['get', '/repos/{owner}/{repo}/pulls'],
  ['get', '/repos/{owner}/{repo}/pulls/{pull_number}'],
  ['get', '/repos/{owner}/{repo}/pulls/{pull_number}/files'],
  ['get', '/repos/{owner}/{repo}/pulls/{pull_number}/reviews'],
  ['post', '/repos/{owner}/{repo}/pulls/{pull_number}/reviews'],
  ['get', '/repos/{owner}/{repo}/pulls/{pull_number}/comments'],
  ['get', '/repos/{owner}/{repo}/issues/{issue_number}/comments'],
  ['post', '/repos/{owner}/{repo}/issues/{issue_number}/comments'],
  ['patch', '/repos/{owner}/{repo}/issues/comments/{comment_id}'],
  ['get', '/repos/{owner}/{repo}/collaborators/{username}/permission'],
  ['get', '/repos/{owner}/{repo}/issues/comments/{comment_id}'],
  ['get', '/repos/{owner}/{repo}/pulls/comments/{comment_id}'],
  ['post', '/repos/{owner}/{repo}/pulls/{pull_number}/comments/{comment_id}/replies'],
];

/** Schema keywords that only document; dropping them keeps the fixture small and the validation identical. */
const DOC_KEYS = new Set([
  'description',
  'example',
  'examples',
  'externalDocs',
  'title',
  'deprecated',
  'x-github',
]);

/** @param {unknown} node @returns {unknown} */
function stripDocs(node) {
  if (Array.isArray(node)) return node.map(stripDocs);
  if (node === null || typeof node !== 'object') return node;
  /** @type {Record<string, unknown>} */
  const out = {};
  for (const [k, v] of Object.entries(node)) {
    if (DOC_KEYS.has(k)) continue;
    // `properties` maps field names (which may be "title" or "description") to schemas: keep every name.
    out[k] =
      k === 'properties' ? mapValues(/** @type {Record<string, unknown>} */ (v), stripDocs) : stripDocs(v);
  }
  return out;
}

/** @param {Record<string, unknown>} o @param {(v: unknown) => unknown} f */
function mapValues(o, f) {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, f(v)]));
}

/**
 * @param {any} spec the dereferenced description
 * @param {string} version of @octokit/openapi, recorded in the fixture
 */
function trim(spec, version) {
  /** @type {Record<string, Record<string, unknown>>} */
  const paths = {};
  for (const [method, template] of OPERATIONS) {
    const op = spec.paths?.[template]?.[method];
    if (!op)
      throw new Error(`trim-openapi: ${method.toUpperCase()} ${template} is not in the OpenAPI description`);
    const json = op.requestBody?.content?.['application/json'];
    paths[template] ??= {};
    paths[template][method] = {
      operationId: op.operationId,
      parameters: (op.parameters ?? []).map(
        /** @param {any} p */ (p) => ({
          name: p.name,
          in: p.in,
          required: p.required === true,
          schema: stripDocs(p.schema),
        }),
      ),
      ...(json
        ? { requestBody: { required: op.requestBody.required === true, schema: stripDocs(json.schema) } }
        : {}),
    };
  }
  return {
    openapi: spec.openapi,
    info: {
      source: `@octokit/openapi@${version} generated/api.github.com.deref.json`,
      version: spec.info?.version,
    },
    paths,
  };
}

function main() {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const require = createRequire(path.join(root, 'package.json'));
  const pkgDir = path.dirname(require.resolve('@octokit/openapi/package.json'));
  const version = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8')).version;
  const spec = JSON.parse(
    fs.readFileSync(path.join(pkgDir, 'generated', 'api.github.com.deref.json'), 'utf8'),
  );
  const out = path.join(root, '__tests__', 'fixtures', 'github-openapi.json');
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, JSON.stringify(trim(spec, version), null, 1) + '\n');
  console.log(
    `wrote ${path.relative(root, out)} (${fs.statSync(out).size} bytes, ${OPERATIONS.length} operations)`,
  );
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) main();
