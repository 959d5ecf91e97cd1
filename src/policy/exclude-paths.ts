/**
 * The `exclude-paths` input: globs (picomatch, dotfiles included) of files the review leaves out.
 * Matching changed files are not listed to the agent as changed files, and findings on them are
 * dropped and counted. Pure.
 */
import picomatch from 'picomatch';

export type PathFilter = (path: string) => boolean;

/** A predicate that is true for excluded paths; never true when there are no globs. */
export function excludedBy(globs: readonly string[]): PathFilter {
  if (globs.length === 0) return () => false;
  const match = picomatch([...globs], { dot: true });
  return (p) => match(p.replace(/^\.\//, ''));
}

/** Split items by their path: those reviewed and those excluded. */
export function splitExcluded<T>(
  items: readonly T[],
  pathOf: (item: T) => string,
  excluded: PathFilter,
): { kept: T[]; excluded: T[] } {
  const kept: T[] = [];
  const out: T[] = [];
  for (const item of items) (excluded(pathOf(item)) ? out : kept).push(item);
  return { kept, excluded: out };
}
