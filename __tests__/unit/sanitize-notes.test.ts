/**
 * The notes the sanitiser's removals leave in the summary (describeRemovals): one well-formed sentence per
 * kind of removal, singular and plural, naming where it happened. A reviewer reads these to learn what was
 * taken out of the PR's text, so a kind without its wording must fail here, not read "undefined" on a PR.
 */
import { describe, expect, test } from '@jest/globals';
import { describeRemovals, emptyCounts, REMOVAL_KINDS } from '../../src/policy/sanitize.js';

const VERB =
  /(?:removed from|decoded in|renumbered in|cleared in|replaced in|cut \(length limit\) from the end of)/;

describe('describeRemovals', () => {
  test.each([...REMOVAL_KINDS])('%s: a sentence for one and for many, naming the source', (kind) => {
    const one = describeRemovals('the PR body', { ...emptyCounts(), [kind]: 1 });
    const many = describeRemovals('the PR body', { ...emptyCounts(), [kind]: 1234 });
    expect(one).toHaveLength(1);
    expect(many).toHaveLength(1);
    expect(one[0]).toMatch(new RegExp(`^1 [A-Za-z][^\\n]* ${VERB.source} the PR body$`));
    expect(many[0]).toMatch(new RegExp(`^1,234 [A-Za-z][^\\n]* ${VERB.source} the PR body$`));
    expect(many[0].replace('1,234 ', '')).not.toBe(one[0].replace('1 ', ''));
    expect(`${one[0]} ${many[0]}`).not.toMatch(/undefined/);
  });

  test('nothing removed, nothing said; kinds keep their order', () => {
    expect(describeRemovals('the PR title', emptyCounts())).toEqual([]);
    const all = describeRemovals('x', Object.fromEntries(REMOVAL_KINDS.map((k) => [k, 2])) as never);
    expect(all).toHaveLength(REMOVAL_KINDS.length);
    expect(new Set(all).size).toBe(REMOVAL_KINDS.length);
  });
});
