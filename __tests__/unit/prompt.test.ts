/** The agent's prompt names the range under review; an incremental review says it is one. */
import { describe, expect, test } from '@jest/globals';
import { buildPrompt, type PromptInput } from '../../src/agent/prompt.js';

const base: PromptInput = {
  mode: 'review',
  instructions: '',
  files: [{ path: 'src/mul.js', status: 'added' }],
  range: `${'a'.repeat(40)}...${'d'.repeat(40)}`,
};

describe('buildPrompt: the reviewed range', () => {
  test.each<[string, Partial<PromptInput>, boolean]>([
    ['incremental review', { incremental: true }, true],
    ['incremental fix', { incremental: true, mode: 'fix', fixPaths: ['src/mul.js'] }, true],
    ['whole pull request', {}, false],
    ['incremental without a range', { incremental: true, range: '' }, false],
  ])('%s', (_name, over, says) => {
    const prompt = buildPrompt({ ...base, ...over });
    expect(prompt.includes('This is an incremental review')).toBe(says);
    if (over.range !== '') expect(prompt).toContain(`\`git diff ${base.range}\``);
  });
});
