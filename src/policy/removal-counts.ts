/**
 * What the untrusted-text sanitiser (sanitize.ts) removed, by kind: shared by the sanitiser's stages
 * (html-strip.ts, markdown-hidden.ts) so none of them imports another.
 */

export const REMOVAL_KINDS = [
  'entitiesDecoded',
  'htmlComments',
  'hiddenElements',
  'unterminatedMarkup',
  'htmlTags',
  'hiddenAttributes',
  'detailsMarkers',
  'linkDefinitions',
  'footnoteDefinitions',
  'footnoteLabels',
  'imageAltText',
  'linkTitles',
  'hiddenMath',
  'diagramComments',
  'tagChars',
  'bidiControls',
  'invisibleChars',
  'controlChars',
  'privateUseChars',
  'deepEncodingChars',
  'truncatedChars',
] as const;
export type RemovalKind = (typeof REMOVAL_KINDS)[number];
/** How many of each kind were removed (characters for the *Chars kinds, constructs otherwise). */
export type RemovalCounts = Record<RemovalKind, number>;

export function emptyCounts(): RemovalCounts {
  return Object.fromEntries(REMOVAL_KINDS.map((k) => [k, 0])) as RemovalCounts;
}
