import { describe, expect, test } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import {
  createBackstopRedactor,
  looksRandom,
  randomCandidates,
  shannonEntropy,
  stringsOf,
} from '../../src/findings/backstop.js';
import { knownInRepository } from '../../src/findings/repo-strings.js';
import { createGit } from '../../src/git-runner.js';
import { createRedactor } from '../../src/findings/redact.js';
import { git, tempDirs } from '../support/git-sandbox.js';

const SECRET = 'sk-ant-api03-Zq8vR2mL5tW9yB3nK7pD1xF4';
const FILE_TOKEN = 'x9Qe7RtY2uI4oP6aS8dF0gH1jK3lZ5xC'; // read from a dotfile: not a known value
const LOCK_HASH = 'sha512-q9F3kL8mN2pR7tV1wX5zA0bC4dE6gH8jK2lM9nP3rS5u';
const host = 'github.com';

function redactor(known: string[] = []) {
  return createBackstopRedactor(createRedactor([SECRET]), {
    secrets: [SECRET],
    known: new Set(known),
    githubHost: host,
  });
}

describe('createBackstopRedactor: what is masked', () => {
  const spaced = [...SECRET].join(' ');
  test.each([
    ['the secret backwards', `key: ${[...SECRET].reverse().join('')}`],
    ['the secret spaced out', `key: ${spaced}`],
    ['the secret with dots and zero-width spaces', `key: ${[...SECRET].join('.\u200b')}`],
    ['a random string from a file', `token=${FILE_TOKEN} found in ~/.npmrc`],
    ['an AWS key id from a file', 'aws_access_key_id = AKIAZ7Q2X9LM4RT6YW3P'],
    ['an AWS secret from a file', 'secret wJalrXUtnFEMI/K7MDENG/bPxRfiCY3zq9Lp2ExA'],
    [
      'a private key from a file',
      '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmU=\n-----END OPENSSH PRIVATE KEY-----',
    ],
  ])('%s', (_name, text) => {
    const out = redactor().redact(text);
    expect(out.count).toBeGreaterThan(0);
    expect(out.text).toMatch(/\[REDACTED/);
    expect(out.text).not.toContain(FILE_TOKEN);
    expect(out.text).not.toContain('AKIAZ7Q2X9LM4RT6YW3P');
    expect(out.text.replace(/[^A-Za-z0-9]/g, '')).not.toContain(SECRET.replace(/[^A-Za-z0-9]/g, '').slice(4));
  });
});

describe('createBackstopRedactor: what survives (false positives)', () => {
  test.each([
    'My suggestions: parameterise this query; use prepared statements.',
    'Rename parseUnifiedDiffFromPullFiles to parsePullDiff for readability.',
    'See https://github.com/acme/widgets/blob/6f1e2d3c4b5a69788796a5b4c3d2e1f0a9b8c7d6/src/app.js#L18 for context.',
    'https://github.com/acme/widgets/pull/7/files#diff-3b5e7a9c1d2f4e6a8b0c2d4f6e8a0b2c4d6f8e0a',
    'The default base URL https://api.anthropic.com is fine.',
    'Version 2024-06-01-preview of the API; ISO date 2026-12-02T15:47:38Z.',
    'call_graph_node_identifier_for_module_loader_v2',
    'A UUID like 123e4567-e89b-12d3-a456-426614174000 is an identifier.',
  ])('%s', (text) => {
    expect(redactor().redact(text)).toEqual({ text, count: 0 });
  });

  test('a random-looking string the PR itself holds (a lockfile hash, a commit id) survives', () => {
    const text = `integrity ${LOCK_HASH}; introduced in 6f1e2d3c4b5a69788796a5b4c3d2e1f0a9b8c7d6`;
    const candidates = randomCandidates(text, host);
    expect(candidates).toEqual(expect.arrayContaining([LOCK_HASH]));
    expect(redactor(candidates).redact(text)).toEqual({ text, count: 0 });
    expect(redactor([]).redact(text).count).toBeGreaterThan(0);
  });
});

describe('helpers', () => {
  test('entropy and randomness', () => {
    expect(shannonEntropy('aaaa')).toBe(0);
    expect(shannonEntropy('abcd')).toBe(2);
    expect(looksRandom(FILE_TOKEN)).toBe(true);
    expect(looksRandom('abcdefghijklmnopqrstuvwxyz')).toBe(false); // no digit
    expect(looksRandom('a1a1a1a1a1a1a1a1a1a1a1')).toBe(false); // low entropy
    expect(looksRandom('x9Qe7RtY2u')).toBe(false); // short
  });

  test('stringsOf collects every string of a review', () => {
    expect(stringsOf({ summary: 's', findings: [{ title: 't', line: 3, body: 'b' }] }).split('\n')).toEqual([
      's',
      't',
      'b',
    ]);
  });
});

describe('knownInRepository (real git, strings on stdin)', () => {
  const tempDir = tempDirs('cg-backstop-');
  test('finds strings of tracked content at the given commits and object ids; not others', async () => {
    const dir = tempDir();
    git(dir, ['init', '-q']);
    fs.writeFileSync(path.join(dir, 'package-lock.json'), `{"integrity": "${LOCK_HASH}"}\n`);
    git(dir, ['add', '.']);
    git(dir, ['commit', '-qm', 'lock']);
    const head = git(dir, ['rev-parse', 'HEAD']).trim();
    fs.writeFileSync(path.join(dir, '.env'), `TOKEN=${FILE_TOKEN}\n`); // untracked: not the PR's
    const known = await knownInRepository(
      createGit('/usr/bin/git', { workspace: dir }),
      ['HEAD', 'no-such-rev'],
      [LOCK_HASH, FILE_TOKEN, head, 'a'.repeat(40)],
    );
    expect([...known].sort()).toEqual([LOCK_HASH, head].sort());
  });
});
