import { describe, expect, test } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import { checkHttpUrl, InputError } from '../../src/core.js';
import { writeNewFile, writeNewFileSync } from '../../src/safe-write.js';
import { tempDirs } from '../support/git-sandbox.js';

const tempDir = tempDirs('cg-core-');

describe('checkHttpUrl', () => {
  test.each<[string, { allowQuery?: boolean }, RegExp | string]>([
    ['https://api.example.com/v1/', {}, 'https://api.example.com/v1/'],
    ['http://127.0.0.1:8080', {}, 'http://127.0.0.1:8080/'],
    ['https://mirror.example/npm?x=1', { allowQuery: true }, 'https://mirror.example/npm?x=1'],
    ['api.example.com', {}, /not a valid URL/],
    ['file:///etc/passwd', {}, /scheme 'file:'/],
    ['ftp://x.example', {}, /scheme/],
    ['https://u:p@x.example', {}, /credentials/],
    ['https://u@x.example', {}, /credentials/],
    ['https://x.example/?', {}, /query/],
    ['https://x.example/#f', {}, /fragment/],
  ])('%s %j', (raw, options, expected) => {
    const { url, problem } = checkHttpUrl(raw, options);
    if (typeof expected === 'string') expect(url?.href).toBe(expected);
    else expect(problem).toMatch(expected);
  });
});

test('InputError names the input', () => {
  const e = new InputError('max-turns', "'x' is not a number.");
  expect(e.message).toBe("Input 'max-turns': 'x' is not a number.");
  expect(e.input).toBe('max-turns');
  expect(e).toBeInstanceOf(Error);
});

describe.each([
  ['writeNewFile', (f: string, c: Buffer, m: number) => writeNewFile(f, c, m)],
  ['writeNewFileSync', async (f: string, c: Buffer, m: number) => writeNewFileSync(f, c, m)],
])('%s', (_name, write) => {
  test('creates a new file with the content and the mode', async () => {
    const file = path.join(tempDir(), 'f');
    await write(file, Buffer.from('hello'), 0o755);
    expect(fs.readFileSync(file, 'utf8')).toBe('hello');
    expect(fs.statSync(file).mode & 0o7777).toBe(0o755);
  });

  test('refuses an existing file and a planted link, leaving both untouched', async () => {
    const dir = tempDir();
    const target = path.join(dir, 'target');
    fs.writeFileSync(target, 'original');
    await expect(write(target, Buffer.from('x'), 0o644)).rejects.toThrow(/EEXIST/);
    const link = path.join(dir, 'link');
    fs.symlinkSync(target, link);
    await expect(write(link, Buffer.from('x'), 0o644)).rejects.toThrow(/EEXIST|ELOOP/);
    const dangling = path.join(dir, 'dangling');
    fs.symlinkSync(path.join(dir, 'would-be-created'), dangling);
    await expect(write(dangling, Buffer.from('x'), 0o644)).rejects.toThrow(/EEXIST|ELOOP/);
    expect(fs.existsSync(path.join(dir, 'would-be-created'))).toBe(false);
    expect(fs.readFileSync(target, 'utf8')).toBe('original');
  });
});
