/** Cancellation: the first SIGINT/SIGTERM runs the clean-up once, then exits with 128 + the signal number. */
import { expect, test } from '@jest/globals';
import { onCancel } from '../../src/cancel.js';

const signal = (name: NodeJS.Signals) => (process.emit as (e: string, s: string) => boolean)(name, name);

test.each([
  ['SIGINT', 130],
  ['SIGTERM', 143],
] as const)('%s: clean-up runs once, then exit %i', async (name, code) => {
  let stops = 0;
  const exits: number[] = [];
  const off = onCancel(
    async () => {
      stops++;
      await new Promise((r) => setTimeout(r, 20));
    },
    { exit: (c) => exits.push(c) },
  );
  signal(name);
  signal(name); // a second signal does not start a second clean-up
  await new Promise((r) => setTimeout(r, 100));
  off();
  expect(stops).toBe(1);
  expect(exits).toEqual([code]);
});

test('a clean-up that hangs is cut off at the deadline', async () => {
  const exits: number[] = [];
  const off = onCancel(() => new Promise(() => undefined), { exit: (c) => exits.push(c), deadlineMs: 50 });
  signal('SIGTERM');
  await new Promise((r) => setTimeout(r, 150));
  off();
  expect(exits).toEqual([143]);
});
