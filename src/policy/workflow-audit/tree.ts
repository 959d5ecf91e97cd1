/**
 * A located tree: the workflow's YAML with aliases expanded, every node carrying its line, plus the
 * small accessors the rules read it with. Alias expansion is bounded (a billion-laughs file is
 * unreadable, not a hang). Merge keys (`<<`) are plain keys, as on GitHub.
 */
import { isAlias, isMap, isPair, isScalar, isSeq, type Document, type LineCounter } from 'yaml';

export interface ScalarNode {
  kind: 'scalar';
  value: string;
  line: number;
  /** Source offsets of the scalar; absent inside an alias (its text is elsewhere). */
  span?: [number, number];
}
export interface MapNode {
  kind: 'map';
  line: number;
  entries: Entry[];
}
export interface SeqNode {
  kind: 'seq';
  line: number;
  items: TreeNode[];
}
export type TreeNode = ScalarNode | MapNode | SeqNode;
export interface Entry {
  key: string;
  line: number;
  value: TreeNode;
}

/** Alias expansion is bounded: a billion-laughs file is unreadable, not a hang. */
const MAX_NODES = 20_000;
const MAX_DEPTH = 64;

export class Unreadable extends Error {
  constructor(
    message: string,
    readonly line?: number,
  ) {
    super(message);
  }
}

export function buildTree(doc: Document.Parsed, lc: LineCounter): TreeNode {
  let count = 0;
  const lineAt = (offset: number) => lc.linePos(offset).line;
  const build = (
    node: unknown,
    fallbackLine: number,
    pinned: number | undefined,
    depth: number,
  ): TreeNode => {
    if (++count > MAX_NODES || depth > MAX_DEPTH)
      throw new Unreadable('too deeply nested or too many aliases');
    if (isAlias(node)) {
      const target = node.resolve(doc);
      const at = node.range ? lineAt(node.range[0]) : fallbackLine;
      if (!target) throw new Unreadable(`alias *${node.source} has no anchor before it`, at);
      return build(target, at, pinned ?? at, depth + 1);
    }
    const line = pinned ?? (isNodeWithRange(node) ? lineAt(node.range[0]) : fallbackLine);
    if (isMap(node)) {
      const entries: Entry[] = [];
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        const key = build(pair.key, line, pinned, depth + 1);
        const keyLine = key.line;
        entries.push({
          key: key.kind === 'scalar' ? key.value : '',
          line: keyLine,
          value: build(pair.value, keyLine, pinned, depth + 1),
        });
      }
      return { kind: 'map', line, entries };
    }
    if (isSeq(node))
      return { kind: 'seq', line, items: node.items.map((i) => build(i, line, pinned, depth + 1)) };
    const value = isScalar(node) ? node.value : null;
    const span: [number, number] | undefined =
      pinned === undefined && isScalar(node) && node.range ? [node.range[0], node.range[1]] : undefined;
    return { kind: 'scalar', value: value === null || value === undefined ? '' : String(value), line, span };
  };
  return build(doc.contents, 1, undefined, 0);
}

function isNodeWithRange(node: unknown): node is { range: [number, number, number] } {
  return typeof node === 'object' && node !== null && Array.isArray((node as { range?: unknown }).range);
}

export const asMap = (n?: TreeNode) => (n?.kind === 'map' ? n : undefined);
export const asSeq = (n?: TreeNode) => (n?.kind === 'seq' ? n : undefined);
export const asScalar = (n?: TreeNode) => (n?.kind === 'scalar' ? n : undefined);
export const entry = (n: TreeNode | undefined, key: string) => asMap(n)?.entries.find((e) => e.key === key);
export const text = (n: TreeNode | undefined, key: string) => asScalar(entry(n, key)?.value)?.value;

/** Every scalar value under `n` (keys excluded), in document order. */
export function scalarsUnder(n: TreeNode | undefined): ScalarNode[] {
  if (!n) return [];
  if (n.kind === 'scalar') return [n];
  if (n.kind === 'seq') return n.items.flatMap(scalarsUnder);
  return n.entries.flatMap((e) => scalarsUnder(e.value));
}
