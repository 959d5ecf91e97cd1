import { expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { acquireMachineLock, releaseMachineLock } from '../support/machine-lock.js';
import { tempDirs } from '../support/git-sandbox.js';

const tempDir = tempDirs('cg-lock-');
const plant = (lock: string, pid: number) => {
  fs.mkdirSync(lock);
  fs.writeFileSync(path.join(lock, 'pid'), String(pid));
};

test('re-entrant: the lock is released when the outermost holder releases it', async () => {
  const lock = path.join(tempDir(), 'lock');
  await acquireMachineLock(1000, lock);
  await acquireMachineLock(1000, lock);
  expect(fs.readFileSync(path.join(lock, 'pid'), 'utf8')).toBe(String(process.pid));
  releaseMachineLock(lock);
  expect(fs.existsSync(lock)).toBe(true);
  releaseMachineLock(lock);
  expect(fs.existsSync(lock)).toBe(false);
});

test('a live holder makes others wait, up to their budget', async () => {
  const lock = path.join(tempDir(), 'lock');
  plant(lock, process.ppid);
  await expect(acquireMachineLock(300, lock)).rejects.toThrow(/was not free within/);
  expect(fs.readFileSync(path.join(lock, 'pid'), 'utf8')).toBe(String(process.ppid));
});

test.each([
  ['a dead process', () => spawnSync('true').pid ?? 0],
  ['this process, from an earlier test file whose afterAll never ran', () => process.pid],
])('a lock left by %s is taken over', async (_name, pid) => {
  const lock = path.join(tempDir(), 'lock');
  plant(lock, pid());
  await acquireMachineLock(1000, lock);
  expect(fs.readFileSync(path.join(lock, 'pid'), 'utf8')).toBe(String(process.pid));
  releaseMachineLock(lock);
  expect(fs.existsSync(lock)).toBe(false);
});
