/** Jest setup for the cli project: starting the real CLI or the bundler takes minutes on a busy 2-core machine. */
import { jest } from '@jest/globals';

jest.setTimeout(300_000);
