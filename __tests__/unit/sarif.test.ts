import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule, { type FormatsPlugin } from 'ajv-formats';
import type { Finding } from '../../src/findings/schema.js';
import type { GatedFinding } from '../../src/report/types.js';
import {
  buildSarif,
  categorySlug,
  FINGERPRINT_KEY,
  pathToUri,
  SARIF_SCHEMA_URI,
  writeSarif,
  type SarifInput,
  type SarifLog,
} from '../../src/report/sarif.js';

/** ajv-formats is CommonJS: under native ESM its default export may be the module object. */
const addFormats: FormatsPlugin =
  (addFormatsModule as unknown as { default?: FormatsPlugin }).default ??
  (addFormatsModule as unknown as FormatsPlugin);

const SCHEMA_FILE = new URL('../fixtures/sarif-schema-2.1.0.json', import.meta.url);

let validate: ValidateFunction;
beforeAll(() => {
  const schema = JSON.parse(fs.readFileSync(SCHEMA_FILE, 'utf8')) as Record<string, unknown>;
  expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
  // The official schema uses `required` inside anyOf branches, which Ajv's strict mode (a lint for
  // schema authors) rejects; validation itself, formats included, is unchanged.
  const ajv = new Ajv({ allErrors: true, strict: false });
  addFormats(ajv);
  validate = ajv.compile(schema);
});

function errorsOf(log: unknown): string {
  return validate(log) ? '' : JSON.stringify(validate.errors, null, 1);
}

function finding(over: Partial<GatedFinding> = {}): GatedFinding {
  return {
    path: 'src/a.ts',
    line: 10,
    severity: 'high',
    category: 'security',
    title: 'SQL built from input',
    body: 'The query concatenates `name`.',
    placement: { line: 10 },
    ...over,
  };
}

const fp = (f: Finding) => `fp-${f.path}-${f.line}`;

function input(findings: Finding[], over: Partial<SarifInput> = {}): SarifInput {
  return { findings, fingerprints: fp, toolVersion: '0.1.0', ...over };
}

const mixed: Finding[] = [
  finding(),
  finding({ severity: 'critical', line: 3, title: 'Secret in code' }),
  finding({ category: 'Correctness', severity: 'medium', path: 'lib/b.py', line: 1 }),
  finding({ category: 'performance', severity: 'low', placement: null }),
  finding({ category: 'maintainability', severity: 'info', body: '' }),
];

describe('buildSarif: valid against the official SARIF 2.1.0 schema', () => {
  test.each<[string, SarifInput]>([
    ['no findings', input([])],
    ['no findings, with provenance', input([], { repoUri: 'https://github.com/o/r', commitSha: 'abc123' })],
    [
      'mixed severities and categories, every optional field',
      input(mixed, {
        repoUri: 'https://github.com/o/r',
        commitSha: '0123456789abcdef0123456789abcdef01234567',
        runUrl: 'https://github.com/o/r/actions/runs/1',
        informationUri: 'https://github.com/o/claude-guard',
      }),
    ],
    [
      'a multi-line finding',
      input([finding({ line: 3, end_line: 9, placement: { line: 9, startLine: 3 } })]),
    ],
    [
      'unicode, spaces and URI-special characters in paths',
      input([
        finding({ path: 'docs/résumé/日本語.md' }),
        finding({ path: 'dir with spaces/a b.ts' }),
        finding({ path: 'c:odd/100%#?.ts' }),
        finding({ path: 'emoji/😀.txt' }),
      ]),
    ],
    ['a fingerprint map', { ...input([mixed[0]]), fingerprints: new Map([[mixed[0], 'abc']]) }],
  ])('%s', (_name, inp) => {
    expect(errorsOf(buildSarif(inp))).toBe('');
  });
});

describe('the schema check is real: broken logs fail it', () => {
  const good = (): SarifLog => buildSarif(input([finding({ line: 3, end_line: 4 })]));
  test.each<[string, (log: SarifLog) => unknown]>([
    [
      'a result level SARIF does not have',
      (l) => ((l.runs[0].results[0] as { level: string }).level = 'critical'),
    ],
    ['a result without a message', (l) => delete (l.runs[0].results[0] as { message?: unknown }).message],
    ['line 0', (l) => (l.runs[0].results[0].locations[0].physicalLocation.region.startLine = 0)],
    [
      'an unencoded space in a URI',
      (l) => (l.runs[0].results[0].locations[0].physicalLocation.artifactLocation.uri = 'a b.ts'),
    ],
    ['another SARIF version', (l) => ((l as { version: string }).version = '2.0.0')],
    ['a tool without a name', (l) => delete (l.runs[0].tool.driver as { name?: string }).name],
    [
      'a property SARIF does not define',
      (l) => ((l.runs[0].results[0] as unknown as Record<string, unknown>).severity = 'high'),
    ],
  ])('%s', (_name, breakIt) => {
    const log = good();
    expect(errorsOf(log)).toBe('');
    breakIt(log);
    expect(errorsOf(log)).not.toBe('');
  });
});

describe('buildSarif: content', () => {
  const log = buildSarif(
    input(mixed, { repoUri: 'https://github.com/o/r', commitSha: 'c0ffee', runUrl: 'https://x.test/run/1' }),
  );
  const run = log.runs[0];

  test('the header', () => {
    expect(log.$schema).toBe(SARIF_SCHEMA_URI);
    expect(log.version).toBe('2.1.0');
    expect(log.runs).toHaveLength(1);
    expect(run.tool.driver).toMatchObject({ name: 'claude-guard', version: '0.1.0' });
    expect(run.versionControlProvenance).toEqual([
      { repositoryUri: 'https://github.com/o/r', revisionId: 'c0ffee' },
    ]);
    expect(run.properties).toEqual({ runUrl: 'https://x.test/run/1' });
  });

  test('one rule per category slug, sorted, and each result points at its rule', () => {
    expect(run.tool.driver.rules.map((r) => r.id)).toEqual([
      'correctness',
      'maintainability',
      'performance',
      'security',
    ]);
    for (const [i, r] of run.results.entries()) {
      expect(run.tool.driver.rules[r.ruleIndex].id).toBe(r.ruleId);
      expect(r.ruleId).toBe(categorySlug(mixed[i].category));
    }
  });

  test.each([
    ['critical', 'error'],
    ['high', 'error'],
    ['medium', 'warning'],
    ['low', 'note'],
    ['info', 'note'],
  ] as const)('severity %s → level %s', (severity, level) => {
    const r = buildSarif(input([finding({ severity })])).runs[0].results[0];
    expect(r.level).toBe(level);
    expect(r.properties.severity).toBe(severity);
  });

  test.each([
    ['critical', '9.5'],
    ['high', '8.0'],
    ['medium', '5.5'],
    ['low', '3.0'],
    ['info', undefined],
  ] as const)('security finding %s → security-severity %s', (severity, score) => {
    const r = buildSarif(input([finding({ severity })])).runs[0].results[0];
    expect(r.properties['security-severity']).toBe(score);
  });

  test('a non-security finding has no security-severity and its rule no security tag', () => {
    const s = buildSarif(input([finding({ category: 'performance', severity: 'critical' })])).runs[0];
    expect(s.results[0].properties['security-severity']).toBeUndefined();
    expect(s.tool.driver.rules[0].properties).toBeUndefined();
  });

  test("a rule's level and security-severity are its worst finding's (GitHub reads them from the rule)", () => {
    const security = run.tool.driver.rules.find((r) => r.id === 'security');
    expect(security?.defaultConfiguration.level).toBe('error');
    expect(security?.properties).toEqual({ tags: ['security'], 'security-severity': '9.5' });
    const perf = run.tool.driver.rules.find((r) => r.id === 'performance');
    expect(perf?.defaultConfiguration.level).toBe('note');
  });

  test('message: title then body; title alone when the body is empty', () => {
    expect(run.results[0].message.text).toBe('SQL built from input\n\nThe query concatenates `name`.');
    expect(run.results[4].message.text).toBe('SQL built from input');
  });

  test('location: path under %SRCROOT%; endLine only for a multi-line finding', () => {
    const [single, multi] = buildSarif(input([finding(), finding({ line: 3, end_line: 9 })])).runs[0].results;
    expect(single.locations[0].physicalLocation).toEqual({
      artifactLocation: { uri: 'src/a.ts', uriBaseId: '%SRCROOT%' },
      region: { startLine: 10 },
    });
    expect(multi.locations[0].physicalLocation.region).toEqual({ startLine: 3, endLine: 9 });
  });

  test('each result carries its fingerprint', () => {
    expect(run.results.map((r) => r.partialFingerprints[FINGERPRINT_KEY])).toEqual(mixed.map(fp));
  });

  test('a finding missing from the fingerprint map is an error, not an alert without identity', () => {
    expect(() => buildSarif({ ...input(mixed), fingerprints: new Map() })).toThrow(
      /no fingerprint.*src\/a\.ts:10/,
    );
  });

  test('no provenance or run properties unless given', () => {
    const bare = buildSarif(input([], { commitSha: 'abc' })).runs[0];
    expect(bare.versionControlProvenance).toBeUndefined();
    expect(bare.properties).toBeUndefined();
    expect(bare.results).toEqual([]);
    expect(bare.tool.driver.rules).toEqual([]);
  });
});

describe('categorySlug and pathToUri', () => {
  test.each([
    ['security', 'security'],
    ['Security / Auth', 'security-auth'],
    ['  Correctness!! ', 'correctness'],
    ['Sécurité', 'securite'],
    ['\\`code\\`', 'code'],
    ['!!!', 'general'],
    ['a'.repeat(100), 'a'.repeat(64)],
  ])('slug %j → %j', (category, slug) => {
    expect(categorySlug(category)).toBe(slug);
  });

  test.each(['src/a.ts', 'docs/résumé/日本語.md', 'dir with spaces/a b.ts', 'c:odd/100%#?.ts'])(
    '%j round-trips through its URI',
    (p) => {
      const uri = pathToUri(p);
      expect(uri).toMatch(/^[A-Za-z0-9\-._~!$&'()*+,;=:@%/]*$/);
      expect(uri.split('/').map(decodeURIComponent).join('/')).toBe(p);
    },
  );
});

describe('writeSarif', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sarif-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const log = buildSarif(input([finding()]));

  test('writes the log as JSON, mode 0644 even under a strict umask, creating the directory', () => {
    const file = path.join(dir, 'out', 'claude-guard.sarif');
    const old = process.umask(0o077);
    try {
      writeSarif(file, log);
    } finally {
      process.umask(old);
    }
    expect(fs.statSync(file).mode & 0o777).toBe(0o644);
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual(log);
    expect(fs.readdirSync(path.dirname(file))).toEqual(['claude-guard.sarif']);
  });

  test('a symlink planted at the path is replaced, its target left untouched', () => {
    const target = path.join(dir, 'victim.txt');
    fs.writeFileSync(target, 'original');
    const file = path.join(dir, 'planted.sarif');
    fs.symlinkSync(target, file);
    writeSarif(file, log);
    expect(fs.readFileSync(target, 'utf8')).toBe('original');
    expect(fs.lstatSync(file).isSymbolicLink()).toBe(false);
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual(log);
  });

  test('an unwritable path fails with a message naming the file, leaving no temporary file', () => {
    const blocker = path.join(dir, 'a-file');
    fs.writeFileSync(blocker, '');
    expect(() => writeSarif(path.join(blocker, 'x.sarif'), log)).toThrow(
      /could not write the SARIF file .*x\.sarif/,
    );
    const isDir = path.join(dir, 'is-a-dir');
    fs.mkdirSync(isDir);
    fs.writeFileSync(path.join(isDir, 'keep'), '');
    expect(() => writeSarif(isDir, log)).toThrow(/could not write the SARIF file/);
    expect(fs.readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });
});
