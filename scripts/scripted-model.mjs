#!/usr/bin/env node
/**
 * The scripted model for the dogfood workflow (.github/workflows/dogfood.yml): the end-to-end suite's
 * scripted Messages API on 127.0.0.1, so the action can review its own pull requests with the real
 * Claude Code CLI and no API key. The review script reads the diff, reads the first changed file and
 * reports one `info` finding on its first added line, worded so nobody mistakes it for a real review.
 *
 * Usage: node scripts/scripted-model.mjs <url-file>
 * Once listening, writes its base URL (`http://127.0.0.1:<port>` and nothing else) to <url-file>
 * atomically (a temporary file renamed into place), then serves until SIGTERM or SIGINT.
 */
import fs from 'node:fs';
import { defaultReviewScript, startModelServer } from '../__tests__/e2e/support/model-server.mjs';

const urlFile = process.argv[2];
if (!urlFile) {
  console.error('usage: node scripts/scripted-model.mjs <url-file>');
  process.exit(2);
}

const model = await startModelServer({
  script: defaultReviewScript({
    severity: 'info',
    title: 'Dogfood: scripted finding (no model was called)',
    body:
      'claude-guard reviewed this change with the scripted model of its end-to-end suite, to test itself ' +
      'on a real runner. This comment checks that posting works; it is not a review.',
  }),
});

fs.writeFileSync(`${urlFile}.tmp`, `${model.url}\n`, { mode: 0o600 });
fs.renameSync(`${urlFile}.tmp`, urlFile);
console.log(`scripted model listening at ${model.url}`);

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.once(signal, () => void model.close().then(() => process.exit(0)));
}
