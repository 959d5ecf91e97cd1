/**
 * Jest setup for the e2e and integration projects: the test file holds the machine lock from its first
 * test to its last. Waiting for it happens here, in `beforeAll` with its own budget (LOCK_WAIT_MS), so a
 * busy machine never makes a test fail by timeout while it merely waited its turn.
 */
import { afterAll, beforeAll, jest } from '@jest/globals';
import { acquireMachineLock, LOCK_WAIT_MS, releaseMachineLock } from './machine-lock.js';

// One action run (bundle, real CLI, post step) takes a minute or two on a busy machine, with the lock held.
jest.setTimeout(180_000);
beforeAll(() => acquireMachineLock(), LOCK_WAIT_MS + 60_000);
afterAll(() => releaseMachineLock());
