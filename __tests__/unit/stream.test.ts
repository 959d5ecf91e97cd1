import { describe, expect, test } from '@jest/globals';
import { StreamAudit, renderToolInput } from '../../src/agent/stream.js';

const line = (o: object) => JSON.stringify(o);
const toolUse = (id: string, name: string, input: object) =>
  line({ type: 'assistant', message: { content: [{ type: 'tool_use', id, name, input }] } });

describe('StreamAudit', () => {
  test('records tool calls, denials from every source, and the result', () => {
    const audit = new StreamAudit();
    audit.push(line({ type: 'system', subtype: 'init', session_id: 's-1', model: 'm' }));
    audit.push(toolUse('t1', 'Bash', { command: 'git diff HEAD~1' }));
    audit.push(toolUse('t2', 'Bash', { command: 'curl http://127.0.0.1:9/' }));
    audit.push(line({ type: 'system', subtype: 'permission_denied', tool_name: 'Bash', tool_use_id: 't2' }));
    audit.push(toolUse('t3', 'Read', { file_path: '/etc/passwd' }));
    audit.push(
      line({
        type: 'user',
        message: { content: [{ type: 'tool_result', tool_use_id: 't3', is_error: true }] },
        tool_result_meta: [{ id: 't3', permission_decision: { decision: 'deny' } }],
      }),
    );
    audit.push(toolUse('t4', 'Read', { file_path: 'src/a.ts' }));
    audit.push(
      line({
        type: 'user',
        message: { content: [{ type: 'tool_result', tool_use_id: 't4', is_error: true }] },
      }),
    );
    audit.push('not json');
    audit.push(
      line({
        type: 'result',
        subtype: 'success',
        is_error: false,
        num_turns: 4,
        total_cost_usd: 0.5,
        structured_output: { summary: 's', findings: [] },
        permission_denials: [{ tool_name: 'Bash', tool_use_id: 't5', tool_input: { command: 'sudo id' } }],
      }),
    );
    const calls = Object.fromEntries(audit.toolCalls().map((c) => [c.id, c]));
    expect(calls.t1.outcome).toBe('allowed');
    expect(calls.t2.outcome).toBe('denied');
    expect(calls.t3.outcome).toBe('denied');
    expect(calls.t4.outcome).toBe('error');
    expect(calls.t5).toMatchObject({ name: 'Bash', input: 'sudo id', outcome: 'denied' });
    const run = audit.summary(1234);
    expect(run).toMatchObject({
      sessionId: 's-1',
      model: 'm',
      turns: 4,
      costUsd: 0.5,
      deniedCount: 3,
      durationMs: 1234,
    });
    expect(audit.result?.structured_output).toEqual({ summary: 's', findings: [] });
    expect(audit.unparsableLines).toBe(1);
  });

  test('a tool outside the --tools list counts as denied, other tool errors do not', () => {
    const audit = new StreamAudit();
    audit.push(toolUse('w', 'Write', { file_path: '/r/.env' }));
    audit.push(toolUse('r', 'Read', { file_path: '/r/missing' }));
    audit.push(
      line({
        type: 'user',
        message: {
          content: [
            {
              type: 'tool_result',
              tool_use_id: 'w',
              is_error: true,
              content: '<tool_use_error>Error: No such tool available: Write</tool_use_error>',
            },
            {
              type: 'tool_result',
              tool_use_id: 'r',
              is_error: true,
              content: [{ type: 'text', text: 'File does not exist.' }],
            },
          ],
        },
      }),
    );
    const calls = Object.fromEntries(audit.toolCalls().map((c) => [c.id, c]));
    expect(calls.w).toMatchObject({ outcome: 'denied', reason: 'tool not enabled in this mode' });
    expect(calls.r.outcome).toBe('error');
  });

  test('tool inputs are redacted before they are kept', () => {
    const audit = new StreamAudit((t) => t.replaceAll('s3cr3t-value', '[REDACTED]'));
    audit.push(toolUse('t1', 'Bash', { command: 'echo s3cr3t-value' }));
    expect(audit.toolCalls()[0].input).toBe('echo [REDACTED]');
  });
});

describe('renderToolInput', () => {
  test.each([
    ['Bash', { command: 'git  log\n-1' }, 'git log -1'],
    ['Read', { file_path: 'a.ts' }, 'a.ts'],
    ['Grep', { pattern: 'TODO', path: 'src' }, 'src'],
    ['StructuredOutput', { summary: 'x', findings: [] }, '{"summary":"x","findings":[]}'],
    ['Weird', null, ''],
  ])('%s %j → %s', (name, input, expected) => {
    expect(renderToolInput(name, input)).toBe(expected);
  });

  test('long inputs are cut', () => {
    expect(renderToolInput('Bash', { command: 'x'.repeat(1000) }).length).toBe(301);
  });
});
