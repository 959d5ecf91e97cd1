import { describe, expect, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  ANNOTATION_MESSAGE_MAX,
  ANNOTATIONS_MAX,
  annotationFor,
  emitAnnotations,
  type Annotation,
  type AnnotationLevel,
  type AnnotationProperties,
  type AnnotationSink,
} from '../../src/report/annotations.js';
import type { Finding, Severity } from '../../src/findings/schema.js';

function finding(over: Partial<Finding> = {}): Finding {
  return {
    path: 'src/a.ts',
    line: 7,
    severity: 'high',
    category: 'security',
    title: 'Token logged',
    body: 'The token is written to the log.',
    ...over,
  };
}

/** A core-like sink that records every call. */
function recorder(): { sink: AnnotationSink; calls: Annotation[] } {
  const calls: Annotation[] = [];
  const at = (level: AnnotationLevel) => (message: string, properties: AnnotationProperties) =>
    calls.push({ level, message, properties });
  return { sink: { error: at('error'), warning: at('warning'), notice: at('notice') }, calls };
}

describe('annotationFor', () => {
  test.each<[Severity, AnnotationLevel]>([
    ['critical', 'error'],
    ['high', 'error'],
    ['medium', 'warning'],
    ['low', 'notice'],
    ['info', 'notice'],
  ])('%s → %s', (severity, level) => {
    expect(annotationFor(finding({ severity })).level).toBe(level);
  });

  test('title "[severity] title", the file and the line', () => {
    expect(annotationFor(finding()).properties).toEqual({
      title: '[high] Token logged',
      file: 'src/a.ts',
      startLine: 7,
    });
  });

  test.each<[string, Partial<Finding>, number | undefined]>([
    ['multi-line: endLine', { line: 3, end_line: 9 }, 9],
    ['end_line equal to line: no endLine', { line: 3, end_line: 3 }, undefined],
  ])('%s', (_name, over, endLine) => {
    expect(annotationFor(finding(over)).properties.endLine).toBe(endLine);
  });

  test('the message is the body, trimmed of surrounding blank space', () => {
    expect(annotationFor(finding({ body: '\n  details here \n' })).message).toBe('details here');
  });

  test('an empty body falls back to the title, so the annotation is never blank', () => {
    expect(annotationFor(finding({ body: '  ' })).message).toBe('[high] Token logged');
  });

  test('a newline in the title does not reach the annotation title', () => {
    expect(annotationFor(finding({ title: 'a\nb' })).properties.title).toBe('[high] a b');
  });

  test(`a long body is cut to ${ANNOTATION_MESSAGE_MAX} characters, marked with …`, () => {
    const m = annotationFor(finding({ body: 'x'.repeat(10_000) })).message;
    expect(m).toHaveLength(ANNOTATION_MESSAGE_MAX);
    expect(m.endsWith('…')).toBe(true);
  });

  test('the cut never splits a surrogate pair', () => {
    const body = `${'x'.repeat(ANNOTATION_MESSAGE_MAX - 2)}😀${'y'.repeat(100)}`;
    const m = annotationFor(finding({ body })).message;
    expect(m.length).toBeLessThanOrEqual(ANNOTATION_MESSAGE_MAX);
    expect(m).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
  });

  test('a body at the limit is kept whole', () => {
    const body = 'z'.repeat(ANNOTATION_MESSAGE_MAX);
    expect(annotationFor(finding({ body })).message).toBe(body);
  });
});

describe('emitAnnotations', () => {
  test('worst first; findings of equal severity keep their order', () => {
    const { sink, calls } = recorder();
    const fs = [
      finding({ severity: 'low', title: 'l1' }),
      finding({ severity: 'critical', title: 'c1' }),
      finding({ severity: 'medium', title: 'm1' }),
      finding({ severity: 'critical', title: 'c2' }),
      finding({ severity: 'info', title: 'i1' }),
    ];
    expect(emitAnnotations(fs, sink)).toBe(0);
    expect(calls.map((c) => c.properties.title)).toEqual([
      '[critical] c1',
      '[critical] c2',
      '[medium] m1',
      '[low] l1',
      '[info] i1',
    ]);
    expect(calls.map((c) => c.level)).toEqual(['error', 'error', 'warning', 'notice', 'notice']);
  });

  test(`at most ${ANNOTATIONS_MAX}, the least severe skipped and counted`, () => {
    const { sink, calls } = recorder();
    const fs = [
      ...Array.from({ length: 15 }, (_, i) => finding({ severity: 'info', title: `i${i}` })),
      ...Array.from({ length: 45 }, (_, i) => finding({ severity: 'high', title: `h${i}` })),
    ];
    expect(emitAnnotations(fs, sink)).toBe(10);
    expect(calls).toHaveLength(ANNOTATIONS_MAX);
    expect(calls.filter((c) => c.level === 'error')).toHaveLength(45);
    expect(calls.slice(45).map((c) => c.properties.title)).toEqual(
      ['i0', 'i1', 'i2', 'i3', 'i4'].map((t) => `[info] ${t}`),
    );
  });

  test('no findings: nothing emitted, nothing skipped', () => {
    const { sink, calls } = recorder();
    expect(emitAnnotations([], sink)).toBe(0);
    expect(calls).toEqual([]);
  });

  test('a message with "::" and newlines is passed to core unchanged (core does the escaping)', () => {
    const { sink, calls } = recorder();
    const body = 'first\n::set-env name=LD_PRELOAD::/tmp/x.so\r\n::error::fake';
    emitAnnotations([finding({ body })], sink);
    expect(calls[0].message).toBe(body);
  });
});

describe('@actions/core escaping, observed on its real stdout', () => {
  /** Runs the real core.error/warning/notice in a child process and returns what it prints. */
  function coreStdout(annotations: Annotation[]): string {
    const script =
      "import * as core from '@actions/core';" +
      "let s = ''; process.stdin.on('data', (d) => (s += d)).on('end', () => {" +
      '  for (const a of JSON.parse(s)) core[a.level](a.message, a.properties);' +
      '});';
    return execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: fileURLToPath(new URL('../../', import.meta.url)),
      input: JSON.stringify(annotations),
      env: { PATH: process.env.PATH ?? '' },
      encoding: 'utf8',
    });
  }

  test('an injected workflow command stays inside the one annotation line', () => {
    const hostile = finding({
      title: 'x, y: z',
      body: 'first\n::set-env name=LD_PRELOAD::/tmp/x.so\r\n::add-mask::%0A',
      line: 3,
      end_line: 4,
    });
    const a = annotationFor(hostile);
    const out = coreStdout([a]);
    const lines = out.split(/\r?\n/).filter((l) => l !== '');
    expect(lines).toHaveLength(1);
    const m = /^::error (.*?)::(.*)$/.exec(lines[0]);
    expect(m).not.toBeNull();
    // Properties: ":" and "," escaped, so the title cannot add or end properties.
    expect(m?.[1]).toBe('title=[high] x%2C y%3A z,file=src/a.ts,line=3,endLine=4');
    // The message decodes back to exactly what we passed.
    const decoded = (m?.[2] ?? '').replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%');
    expect(decoded).toBe(a.message);
  });

  test('each level prints its own command', () => {
    const out = coreStdout(
      (['critical', 'medium', 'low'] as const).map((severity) => annotationFor(finding({ severity }))),
    );
    expect(
      out
        .split(/\r?\n/)
        .filter((l) => l !== '')
        .map((l) => l.split(' ')[0]),
    ).toEqual(['::error', '::warning', '::notice']);
  });
});
