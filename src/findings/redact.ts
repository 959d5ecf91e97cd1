/**
 * Redaction: removes known secret values (and the forms they take when encoded) and well-known
 * credential patterns from any text before it reaches a comment, log, output or SARIF file.
 * Defends threat-model rows X2 (a finding that quotes a secret) and X3 (logs and outputs), as the
 * last line behind rows S1–S9: whatever the agent managed to read must not leave through us.
 *
 * Speed matters (agent transcripts and tool output can be large), so there is no regex alternation
 * of secret values — V8 runs one of 1,000+ literals at a few MB/s. Instead:
 * - literal values: every form is ≥ 8 characters, so any occurrence contains a 4-character window
 *   that starts at a multiple of 4 in the text. The text is read as 32-bit words (its characters'
 *   low bytes), each word hashed into a bitset built from the 4 windows at offsets 0..3 of every
 *   form, and only bitset hits are verified against the real string. One pass, linear.
 * - patterns: one regex of literal prefixes finds candidates; each candidate is checked for a token
 *   boundary before it (so a run like `eyJeyJeyJ…` is tried once, not at every position) and then
 *   matched by a sticky regex whose character classes cannot backtrack more than once over a run.
 * All matches are merged (overlapping ones become one redaction) and replaced in one pass.
 */

/** Values shorter than this are ignored: they would redact ordinary words and numbers everywhere
 * (and 4–7 character values cannot be found by the word-aligned scan below). */
export const MIN_SECRET_LENGTH = 8;

export const REDACTED = '[REDACTED]';

export interface Redactor {
  redact(text: string): { text: string; count: number };
  /** How many given values were ignored as shorter than MIN_SECRET_LENGTH (callers may warn). */
  readonly ignoredShort: number;
}

export interface RedactorOptions {
  /** Also redact well-known credential patterns (default true). */
  patterns?: boolean;
}

/**
 * The forms a secret takes when something encodes it: the value, each of its lines, JSON-escaped,
 * URL-encoded, hex (lower/upper) and base64 — standard and URL-safe, padded and not, plus the part
 * of the base64 stream that depends only on the secret at each of the 3 byte alignments (so a secret
 * embedded in a larger base64 blob is found too). Forms shorter than MIN_SECRET_LENGTH are left out.
 */
export function derivedForms(secret: string): string[] {
  if (secret.length < MIN_SECRET_LENGTH) return [];
  const bytes = Buffer.from(secret, 'utf8');
  const forms = new Set<string>([secret, JSON.stringify(secret).slice(1, -1), encodeURIComponent(secret)]);
  for (const line of secret.split(/\r?\n/)) forms.add(line.trim());
  const hex = bytes.toString('hex');
  forms.add(hex).add(hex.toUpperCase());
  const b64 = bytes.toString('base64');
  const base64Forms = [b64, b64.replace(/=+$/, '')];
  for (const offset of [0, 1, 2]) {
    const shifted = Buffer.concat([Buffer.alloc(offset), bytes]).toString('base64');
    // Characters whose 6 bits come only from the secret's bytes.
    base64Forms.push(
      shifted.slice(Math.ceil((offset * 8) / 6), Math.floor(((offset + bytes.length) * 8) / 6)),
    );
  }
  for (const f of base64Forms) forms.add(f).add(f.replace(/\+/g, '-').replace(/\//g, '_'));
  return [...forms].filter((f) => f.length >= MIN_SECRET_LENGTH);
}

interface Match {
  start: number;
  end: number;
  label: string;
}

// ---------- literal values: word-aligned 4-gram filter ----------

/** Characters scanned per chunk (a multiple of 4). */
const CHUNK = 1 << 18;
const BITSET_BITS = 21;
const BITSET_MASK = (1 << BITSET_BITS) - 1;

/** Mixes all four bytes of a word into the bitset's index. Shifts and xors only: Math.imul is not
 * optimised under jest's VM contexts, where it made the scan 30 times slower. */
const slot = (word: number): number => (word ^ (word >>> 11) ^ (word >>> 21)) & BITSET_MASK;

/** The 32-bit word the scan reads for 4 characters (low bytes, platform byte order). */
function wordOf(s: string, at: number): number {
  const b = new Uint8Array(4);
  for (let i = 0; i < 4; i++) b[i] = s.charCodeAt(at + i) & 0xff;
  return new Uint32Array(b.buffer)[0];
}

class LiteralMatcher {
  private readonly bits = new Uint32Array(1 << (BITSET_BITS - 5));
  /** word → candidates, each (index into literals) * 4 + (offset of the word in that literal). */
  private readonly index = new Map<number, number[]>();
  private readonly scratch = new Uint8Array(CHUNK);

  constructor(private readonly literals: string[]) {
    literals.forEach((lit, li) => {
      for (let offset = 0; offset < 4; offset++) {
        const word = wordOf(lit, offset);
        const k = slot(word);
        this.bits[k >>> 5] |= 1 << (k & 31);
        const list = this.index.get(word);
        if (list) list.push(li * 4 + offset);
        else this.index.set(word, [li * 4 + offset]);
      }
    });
  }

  find(text: string, out: Match[]): void {
    if (this.literals.length === 0 || text.length < MIN_SECRET_LENGTH) return;
    const { bits, index, literals } = this;
    let lastStart = -1;
    let lastEnd = -1;
    // In chunks, so the word buffer stays small and in cache; verification reads the text itself,
    // so a match across a chunk boundary needs no overlap.
    for (let base = 0; base < text.length; base += CHUNK) {
      const words = this.wordsOf(text.slice(base, base + CHUNK));
      for (let i = 0; i < words.length; i++) {
        const word = words[i];
        const k = (word ^ (word >>> 11) ^ (word >>> 21)) & BITSET_MASK; // slot(word), inlined
        if ((bits[k >>> 5] & (1 << (k & 31))) === 0) continue;
        const candidates = index.get(word);
        if (candidates === undefined) continue;
        for (const c of candidates) {
          const lit = literals[c >>> 2];
          const start = base + i * 4 - (c & 3);
          // Skip what the previous match already covers (the same occurrence seen again).
          if (start < 0 || (start >= lastStart && start + lit.length <= lastEnd)) continue;
          if (text.startsWith(lit, start)) {
            out.push({ start, end: start + lit.length, label: REDACTED });
            lastStart = start;
            lastEnd = start + lit.length;
          }
        }
      }
    }
  }

  /** A chunk's low bytes as aligned 32-bit words (zero-padded), in a reused buffer. */
  private wordsOf(chunk: string): Uint32Array {
    const size = (chunk.length + 3) & ~3;
    const buf = Buffer.from(this.scratch.buffer, 0, size);
    buf.fill(0, buf.write(chunk, 0, 'latin1'));
    return new Uint32Array(this.scratch.buffer, 0, size >>> 2);
  }
}

// ---------- well-known credential patterns ----------

interface Pattern {
  kind: string;
  /** A character that must not precede the match (a token boundary), or null for none. */
  notAfter: RegExp | null;
  /** Sticky; the redacted part is the last capture group if there is one, else the whole match. */
  re: RegExp;
}

const ci = (word: string): string =>
  [...word].map((c) => (/[a-z]/i.test(c) ? `[${c.toLowerCase()}${c.toUpperCase()}]` : c)).join('');

const TOKEN = /[A-Za-z0-9_-]/;
const WORD = /[A-Za-z0-9_]/;
const ALNUM = /[A-Za-z0-9]/;

const PATTERNS: Pattern[] = [
  { kind: 'anthropic-key', notAfter: TOKEN, re: /sk-ant-[A-Za-z0-9_-]{20,}/y },
  { kind: 'github-token', notAfter: WORD, re: /gh[pousr]_[A-Za-z0-9]{36,}/y },
  { kind: 'github-token', notAfter: WORD, re: /github_pat_[A-Za-z0-9_]{22,}/y },
  { kind: 'aws-access-key-id', notAfter: ALNUM, re: /A[KS]IA[A-Z0-9]{16}(?![A-Za-z0-9])/y },
  {
    kind: 'aws-secret-access-key',
    notAfter: null,
    re: new RegExp(`${ci('aws_secret_access_key')}["']?[ \\t]*[=:][ \\t]*["']?([A-Za-z0-9/+=]{20,})`, 'y'),
  },
  { kind: 'slack-token', notAfter: TOKEN, re: /xox[abprs]-[A-Za-z0-9-]{10,}/y },
  { kind: 'slack-webhook', notAfter: null, re: /hooks\.slack\.com\/services\/[A-Za-z0-9_/]+/y },
  { kind: 'npm-token', notAfter: WORD, re: /npm_[A-Za-z0-9]{36,}/y },
  {
    kind: 'private-key',
    notAfter: null,
    // The body stops at the next "-----", so a run of BEGIN lines is scanned once; no END (a key
    // cut short) still redacts what is there.
    re: /-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY-----(?:[A-Za-z0-9+/=\s:,]|-(?!----))*(?:-----END [A-Z0-9 ]{0,40}PRIVATE KEY-----)?/y,
  },
  { kind: 'jwt', notAfter: TOKEN, re: /eyJ[A-Za-z0-9_-]*\.eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+/y },
];

/** Candidate finder: one alternative per pattern, in PATTERNS order, each a plain literal prefix.
 * Case-insensitive because that is twice as fast in V8 as spelling out [Aa][Ww][Ss]…; the sticky
 * pattern then checks the case. */
const PREFIXES = new RegExp(
  [
    'sk-ant-',
    'gh[pousr]_',
    'github_pat_',
    'A[KS]IA',
    'aws_secret_access_key',
    'xox[abprs]-',
    'hooks\\.slack\\.com/services/',
    'npm_',
    '-----BEGIN ',
    'eyJ',
  ]
    .map((p) => `(${p})`)
    .join('|'),
  'gi',
);

function findPatterns(text: string, out: Match[]): void {
  const prefixes = PREFIXES;
  prefixes.lastIndex = 0;
  for (let m = prefixes.exec(text); m !== null; m = prefixes.exec(text)) {
    const p = PATTERNS[m.findIndex((g, i) => i > 0 && g !== undefined) - 1];
    const at = m.index;
    if (p.notAfter !== null && at > 0 && p.notAfter.test(text[at - 1])) continue;
    p.re.lastIndex = at;
    const hit = p.re.exec(text);
    if (hit === null) continue;
    const end = at + hit[0].length;
    const start = hit.length > 1 ? end - hit[hit.length - 1].length : at;
    out.push({ start, end, label: `[REDACTED:${p.kind}]` });
    prefixes.lastIndex = end;
  }
}

// ---------- assembly ----------

/** Replace the union of the matches; overlapping or touching matches become one redaction. */
function apply(text: string, matches: Match[]): { text: string; count: number } {
  if (matches.length === 0) return { text, count: 0 };
  matches.sort((a, b) => a.start - b.start || b.end - a.end);
  const parts: string[] = [];
  let pos = 0;
  let count = 0;
  let i = 0;
  while (i < matches.length) {
    const { start, label } = matches[i];
    let end = matches[i].end;
    for (i++; i < matches.length && matches[i].start <= end; i++) end = Math.max(end, matches[i].end);
    parts.push(text.slice(pos, start), label);
    pos = end;
    count++;
  }
  parts.push(text.slice(pos));
  return { text: parts.join(''), count };
}

/**
 * Build a redactor for these secret values (plus well-known patterns unless opts.patterns is false).
 * Values shorter than MIN_SECRET_LENGTH are ignored and counted in `ignoredShort`.
 */
export function createRedactor(secrets: readonly string[], opts: RedactorOptions = {}): Redactor {
  const usable = secrets.filter((s) => s.length >= MIN_SECRET_LENGTH);
  const literals = new LiteralMatcher([...new Set(usable.flatMap(derivedForms))]);
  const patterns = opts.patterns ?? true;
  return {
    ignoredShort: secrets.filter((s) => s.length > 0 && s.length < MIN_SECRET_LENGTH).length,
    redact(text: string) {
      const matches: Match[] = [];
      literals.find(text, matches);
      if (patterns) findPatterns(text, matches);
      return apply(text, matches);
    },
  };
}
