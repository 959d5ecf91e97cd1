import { describe, expect, test } from '@jest/globals';
import { codeContextAt, fingerprint, normaliseTitle } from '../../src/findings/fingerprint.js';
import type { Finding } from '../../src/findings/schema.js';

const FILE = [
  'import db from "./db";',
  '',
  'export function find(name: string) {',
  '  const sql = "SELECT * FROM users WHERE name = \'" + name + "\'";',
  '  return db.query(sql);',
  '}',
].join('\n');

const base: Finding = {
  path: 'src/users.ts',
  line: 4,
  end_line: 5,
  severity: 'high',
  category: 'security',
  title: 'SQL query built from user input',
  body: 'Concatenates `name` into the query.',
};

/** The fingerprint a run would compute: the finding plus the code at its lines in `file`. */
function fpIn(file: string, f: Finding): string {
  return fingerprint(f, codeContextAt(file, f.line, f.end_line));
}

const reference = fpIn(FILE, base);
const shifted = `${'// a comment added above\n'.repeat(10)}${FILE}`;

describe('fingerprint: the same finding on the next push', () => {
  test.each<[string, string, Finding]>([
    ['moved down 10 lines', shifted, { ...base, line: 14, end_line: 15 }],
    ['re-indented code', FILE.replace(/^ {2}/gm, '\t\t'), base],
    ['CRLF line endings', FILE.replace(/\n/g, '\r\n'), base],
    ['title in other case', FILE, { ...base, title: 'sql QUERY Built From User Input' }],
    ['title with punctuation and quotes', FILE, { ...base, title: '"SQL query" built from user-input!' }],
    ['title with backticks and digits', FILE, { ...base, title: '`SQL` query built from user input (#2)' }],
    ['other severity, category and body', FILE, { ...base, severity: 'critical', category: 'x', body: 'b' }],
  ])('%s → same fingerprint', (_name, file, f) => {
    expect(fpIn(file, f)).toBe(reference);
  });
});

describe('fingerprint: a different finding', () => {
  test.each<[string, string, Finding]>([
    ['different code at the lines', FILE.replace('db.query(sql)', 'db.query(sql, [])'), base],
    ['the finding pointed at other lines', FILE, { ...base, line: 3, end_line: 3 }],
    ['another file', FILE, { ...base, path: 'src/admin.ts' }],
    ['another problem on the same lines', FILE, { ...base, title: 'Query result is not awaited' }],
  ])('%s → different fingerprint', (_name, file, f) => {
    expect(fpIn(file, f)).not.toBe(reference);
  });
});

describe('fingerprint: shape', () => {
  test('16 lowercase hex characters, the same on every call', () => {
    expect(reference).toMatch(/^[0-9a-f]{16}$/);
    expect(fpIn(FILE, { ...base })).toBe(reference);
  });

  test('path, title and code are kept apart: moving text between them changes the hash', () => {
    const a = fingerprint({ ...base, path: 'a', title: 'b c' }, 'd');
    const b = fingerprint({ ...base, path: 'a', title: 'b' }, 'c d');
    expect(a).not.toBe(b);
  });
});

describe('normaliseTitle', () => {
  test.each([
    ['  SQL   Injection  ', 'sql injection'],
    ['SQL-injection', 'sql injection'],
    ['“Unsafe” eval()', 'unsafe eval'],
    ['Off-by-one at line 12', 'off by one at line'],
    ['Ｆｕｌｌｗｉｄｔｈ', 'fullwidth'],
  ])('%j → %j', (title, expected) => {
    expect(normaliseTitle(title)).toBe(expected);
  });
});

describe('codeContextAt', () => {
  const text = 'a\n  b  \n\tc\nd';
  test.each<[string, number, number | undefined, string]>([
    ['one line, trimmed', 2, undefined, 'b'],
    ['a range, each line trimmed', 2, 3, 'b\nc'],
    ['endLine before line reads just line', 3, 1, 'c'],
    ['a range running past the end stops at the end', 4, 9, 'd'],
    ['a line past the end is empty', 9, undefined, ''],
  ])('%s', (_name, line, endLine, expected) => {
    expect(codeContextAt(text, line, endLine)).toBe(expected);
  });

  test('CR, LF and CRLF all end a line', () => {
    expect(codeContextAt('a\r\nb\rc\nd', 2, 3)).toBe('b\nc');
  });
});
