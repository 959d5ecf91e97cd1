/**
 * Redaction targets secrets, not inputs (issue 10 item 1), end to end: the runner sets every input's
 * default as INPUT_*, and a review whose findings quote every default value and the workflow's own
 * prompt verbatim is posted unchanged — while a real secret in the same finding is still redacted.
 */
import { expect, test } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { ROOT, leaks, scenario } from './support/scenario.js';

const PROMPT = 'Review the pull request; check error handling and the suggestions format.';

/** Every input default of action.yml that is a literal (not an expression), as the runner would set it. */
function literalDefaults(): string[] {
  const action = parse(fs.readFileSync(path.join(ROOT, 'action.yml'), 'utf8')) as {
    inputs: Record<string, { default?: unknown }>;
  };
  return Object.values(action.inputs)
    .map((i) => (i.default === undefined ? '' : String(i.default)))
    .filter((v) => v !== '' && !v.includes('${{'));
}

test('a finding that quotes every input default and the prompt is posted unchanged; a secret is not', async () => {
  const values = [...new Set([...literalDefaults(), PROMPT])];
  expect(values).toEqual(expect.arrayContaining(['suggestions', 'https://api.anthropic.com']));
  const text = values.map((v, i) => `value ${i}: ${v}`).join('\n');
  const s = await scenario({
    inputs: { prompt: PROMPT },
    scriptWithSecrets: ({ apiKey }) => [
      {
        structured: {
          summary: `Summary.\n${text}`,
          findings: [
            {
              path: 'src/app.js',
              line: 18,
              severity: 'low',
              category: 'style',
              title: `My suggestions: parameterise this`,
              body: `${text}\nkey ${apiKey}`,
            },
          ],
        },
      },
    ],
  });
  try {
    const posted = JSON.stringify(s.github.state);
    // Links to other hosts are defanged by the gate (hxxps://api[.]anthropic[.]com) — shown, not redacted.
    const defanged = (v: string) => v.replace(/^http/, 'hxxp').replace(/\./g, '[.]');
    const missing = values.filter(
      (v) => ![v, defanged(v)].some((form) => posted.includes(JSON.stringify(form).slice(1, -1))),
    );
    expect(missing).toEqual([]);
    expect(posted).toContain('My suggestions: parameterise this');
    // The key is redacted; the ordinary values around it are not (checked above).
    expect(posted.match(/\[REDACTED/g)?.length ?? 0).toBeGreaterThan(0);
    expect(s.run.summary).toMatch(/Before showing the agent's text: [1-9]\d* secrets? redacted/);
    expect(leaks(s)).toEqual([]);
  } finally {
    await s.close();
  }
}, 180_000);
