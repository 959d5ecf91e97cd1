/**
 * Injection signals: flags (never drops) untrusted text that reads like a prompt-injection attempt —
 * instructions addressed to an AI, chat-template role markers, requests for secrets or the
 * environment, tool-call syntax, fetch-and-run shell idioms, and known exfiltration hosts. Run it on
 * SANITISED text (see sanitize.ts), so entity-encoded, zero-width-split or fullwidth spellings are
 * already folded to what they look like.
 *
 * The result is reporting, not a defence: a flagged PR is still reviewed, and the containment
 * (threat-model rows S1–S10, X1–X7) holds whether or not anything is flagged. It makes an attempt
 * visible to people (job summary) and tells the model which parts of its data are hostile (X5).
 *
 * Patterns need an injection-specific phrase, not a single common word ("environment", "token",
 * "ignore"), to keep false positives on ordinary PR descriptions low. Every pattern is a literal-led
 * regex with bounded gaps (no nested unbounded quantifiers), so matching is linear in the text.
 * Excerpts are attacker text: render them escaped (e.g. in a code span), never as markdown.
 *
 * Look-alike letters: patterns match a folded copy of the text in which every non-ASCII character with a
 * Unicode TR39 confusable prototype (confusables.txt, via the unhomoglyph package's table) is replaced by
 * it, after lower-casing: `іgnοre prevіοus іnstructіοns` (Cyrillic і, Greek ο) reads as `ignore previous
 * instructions`. ASCII is left as it is (TR39 would also turn `m` into `rn`), and excerpts are cut from
 * the original text, so a person sees what was written.
 */
import confusables from 'unhomoglyph/data.json' with { type: 'json' };

export interface InjectionSignal {
  kind: string;
  /** The match with a little context, whitespace collapsed, at most MAX_EXCERPT UTF-16 units. */
  excerpt: string;
}

export const MAX_EXCERPT = 80;
const CONTEXT = 20;

/**
 * `needs`: words (lower case) of which every match of `pattern` holds at least one from each list, in any
 * case: the pattern runs only on text that holds them all (see `mayMatch`). Each regex costs V8 up to
 * ~1.5 ms to compile on its first use and more to tier it up on its second: thirteen of them were ~9 ms
 * of a short PR's scan, on the main step's critical path (issue 12). Change a pattern, change its `needs` (injection-signals.test.ts checks both
 * on an example of every alternative).
 */
export const SIGNALS: readonly { kind: string; pattern: RegExp; needs: readonly string[][] }[] = [
  // Instructions addressed to an AI.
  {
    kind: 'override-instructions',
    pattern:
      /\b(?:ignore|disregard|forget|override|skip)\s+(?:(?:all|any|of|the|these|those|my|your)\s+){0,3}(?:previous|prior|above|earlier|preceding|original|system|your|all)\s+(?:instructions?|prompts?|directives?|guidelines|commands)\b/i,
    needs: [
      ['ignore', 'disregard', 'forget', 'override', 'skip'],
      ['instruction', 'prompt', 'directive', 'guidelines', 'commands'],
    ],
  },
  {
    kind: 'new-role',
    pattern:
      /\byou\s+are\s+now\s+(?:an?|the|in|my|no\s+longer|acting|operating|free|unrestricted|jailbroken|dan)\b|\bfrom\s+now\s+on,?\s+you\s+(?:are|will|must|should)\b/i,
    needs: [['you'], ['now']],
  },
  {
    kind: 'system-prompt',
    pattern: /\bsystem\s+prompt\b|\b(?:new|updated|real|actual|hidden|secret)\s+instructions\s*:/i,
    needs: [['prompt', 'instructions']],
  },
  {
    kind: 'addressed-to-ai',
    pattern:
      /\bas\s+an?\s+(?:ai|llm|(?:large\s+)?language\s+model)\b|(?:^|[.!?][ \t]+)(?:(?:hey|hi|dear|attention)[ \t]+)?(?:claude|chatgpt|copilot|gemini|ai\s+(?:assistant|agent|reviewer|model))[ \t]*[,:]|\bclaude\s*,\s*(?:please|ignore|you|now|run|print|do|execute|read|write|output|send)\b|\b(?:note|message|instructions?)\s+(?:to|for)\s+(?:the\s+|any\s+|all\s+)?(?:ai|llm|claude|assistant|agent|ai\s+reviewer|language\s+model)s?\b/im,
    needs: [
      ['ai', 'llm', 'language', 'claude', 'chatgpt', 'copilot', 'gemini', 'assistant', 'agent'],
      [
        'as',
        'claude',
        'chatgpt',
        'copilot',
        'gemini',
        'assistant',
        'agent',
        'reviewer',
        'model',
        'note',
        'message',
        'instruction',
      ],
    ],
  },
  {
    kind: 'role-marker',
    pattern:
      /^[ \t]*(?:assistant|human)[ \t]*:|<\|(?:im_start|im_end|im_sep|system|user|assistant|endoftext|eot_id|start_header_id|end_header_id)\|>|\[\/?INST\]|<<\/?SYS>>|<\/?(?:system|system-reminder|instructions?|assistant|human)>/im,
    needs: [['assistant', 'human', '<|', 'inst]', 'sys>>', 'system', 'instruction']],
  },
  { kind: 'delimiter-spoof', pattern: /\buntrusted-data\b/i, needs: [['untrusted-data']] },
  // Requests for secrets or the environment.
  {
    kind: 'secret-request',
    pattern:
      /\b(?:print|cat|echo|dump|show|list|output|reveal|display|leak|exfiltrate|send|post|upload|paste|tell\s+me|give\s+me|what\s+(?:is|are))\b[^\n]{0,40}?(?:\b(?:printenv|env\s+vars?|environment\s+variables?|secrets?|credentials|private\s+keys?|api[\s_-]?keys?|(?:access|auth|api|bearer|github|npm|oauth)[\s_-]?tokens?)\b|\bthe\s+env\b|\bprocess\.env\b|\bos\.environ\b)/i,
    needs: [
      [
        'print',
        'cat',
        'echo',
        'dump',
        'show',
        'list',
        'output',
        'reveal',
        'display',
        'leak',
        'exfiltrate',
        'send',
        'post',
        'upload',
        'paste',
        'tell',
        'give',
        'what',
      ],
      ['env', 'secret', 'credentials', 'key', 'token'],
    ],
  },
  {
    kind: 'secret-name',
    pattern:
      /\b(?:GITHUB_TOKEN|GH_TOKEN|ACTIONS_RUNTIME_TOKEN|ACTIONS_ID_TOKEN_REQUEST_(?:TOKEN|URL)|ANTHROPIC_API_KEY|CLAUDE_CODE_OAUTH_TOKEN|AWS_SECRET_ACCESS_KEY|AWS_SESSION_TOKEN|NPM_TOKEN|NODE_AUTH_TOKEN)\b/i,
    needs: [['_token', '_key']],
  },
  {
    kind: 'secret-file',
    pattern:
      /\/proc\/(?:self|thread-self|\d+|\$\{?\w+\}?|\*)\/|\b(?:id_rsa|id_ed25519|id_ecdsa)\b|\.git-credentials\b|~\/\.ssh\/|\.aws\/credentials\b|\.docker\/config\.json\b|\b(?:cat|less|more|head|tail|base64|xxd|strings|print|dump|upload|send|exfiltrate)\s+\S{0,80}?(?:\.env\b|\.npmrc\b|\.netrc\b|credentials\b)/i,
    needs: [
      [
        '/proc/',
        'id_rsa',
        'id_ed25519',
        'id_ecdsa',
        'credentials',
        '/.ssh/',
        '.docker/config.json',
        '.env',
        '.npmrc',
        '.netrc',
      ],
    ],
  },
  // Tool-call syntax and fetch-and-run idioms.
  {
    kind: 'tool-call',
    pattern: /<\/?(?:[a-z]+:)?(?:function_calls|invoke|parameter)\b|\btool_(?:use|call|result)\b/i,
    needs: [
      ['function_calls', 'invoke', 'parameter', 'tool_'],
      ['<', 'tool_'],
    ],
  },
  {
    kind: 'remote-fetch',
    pattern:
      /\b(?:curl|wget|invoke-webrequest|iwr)\b[^\n]{0,60}?\bhttps?:\/\/|\b(?:curl|wget)\s+(?:-\S+\s+){0,8}[\w-]+(?:\.[\w-]+)+\/|\/dev\/(?:tcp|udp)\//i,
    needs: [['curl', 'wget', 'invoke-webrequest', 'iwr', '/dev/tcp/', '/dev/udp/']],
  },
  {
    kind: 'pipe-to-shell',
    pattern:
      /\|[ \t]*(?:sudo[ \t]+)?(?:ba|z|da|k)?sh\b(?![ \t]*\|)|\bbase64\s+(?:-d|-D|--decode)\b|\beval\s*\(\s*atob\b/i,
    needs: [
      ['|', 'base64', 'eval'],
      ['sh', 'base64', 'atob'],
    ],
  },
  // Hosts used to receive exfiltrated data.
  {
    kind: 'exfil-host',
    pattern:
      /\b(?:webhook\.site|requestbin|pipedream\.net|ngrok|pastebin\.com|burpcollaborator|oastify\.com|interactsh|interact\.sh|oast\.(?:pro|live|site|online|fun|me)|canarytokens|beeceptor|hookbin|requestcatcher|transfer\.sh)\b/i,
    needs: [
      [
        'webhook.site',
        'requestbin',
        'pipedream.net',
        'ngrok',
        'pastebin.com',
        'burpcollaborator',
        'oastify.com',
        'interactsh',
        'interact.sh',
        'oast.',
        'canarytokens',
        'beeceptor',
        'hookbin',
        'requestcatcher',
        'transfer.sh',
      ],
    ],
  },
];

/** At most one signal per pattern (its first match), in pattern order. */
export function detectInjectionSignals(text: string): InjectionSignal[] {
  const found: InjectionSignal[] = [];
  const folded = foldConfusables(text);
  const lower = folded.text.toLowerCase();
  for (const { kind, pattern, needs } of SIGNALS) {
    if (!mayMatch(lower, needs)) continue;
    const m = pattern.exec(folded.text);
    if (m) {
      const start = folded.origin[m.index];
      const end = folded.origin[m.index + m[0].length];
      found.push({ kind, excerpt: excerpt(text, start, end) });
    }
  }
  return found;
}

/**
 * Whether `lower` holds a word of each list. Sound as a filter: the patterns are case-insensitive without
 * the `u` flag, so their ASCII letters match only ASCII letters, which lower-casing maps one to one; any
 * match therefore leaves its words, lower-cased, in `lower`.
 */
function mayMatch(lower: string, needs: readonly (readonly string[])[]): boolean {
  return needs.every((words) => words.some((word) => lower.includes(word)));
}

/** The table entries the folding uses: a non-ASCII character whose prototype is plain ASCII. The bundle
 * keeps only these entries of the 115 KB table (scripts/bundle.mjs calls this; issue 12). */
export function foldsToAscii(from: string, to: string): boolean {
  return /[^\0-\x7f]/.test(from) && /^[\0-\x7f]+$/.test(to);
}

const CONFUSABLES = confusables as Record<string, string>;
/** Characters of the table already looked up → their prototype, or null where the folding does not use
 * the entry (at most one entry per table key). */
const looked = new Map<string, string | null>();

/**
 * A non-ASCII character → its TR39 prototype where that is plain ASCII, else undefined. Looked up one
 * character at a time: building a Map of all 1,791 used entries cost ~5 ms of CPU in the main step's fresh
 * process on the first non-ASCII PR text (a curly quote or a dash is enough; issue 12).
 */
function prototypeOf(ch: string): string | undefined {
  if (!Object.hasOwn(CONFUSABLES, ch)) return undefined;
  let to = looked.get(ch);
  if (to === undefined) {
    to = foldsToAscii(ch, CONFUSABLES[ch]) ? CONFUSABLES[ch] : null;
    looked.set(ch, to);
  }
  return to ?? undefined;
}

/**
 * `text` lower-cased (non-ASCII only) with look-alikes replaced by their prototype, and for each UTF-16
 * unit of the result (and one past its end) the index in `text` it came from.
 */
export function foldConfusables(text: string): { text: string; origin: number[] } {
  const origin: number[] = [];
  if (!/[^\0-\x7f]/.test(text)) {
    for (let i = 0; i <= text.length; i++) origin.push(i);
    return { text, origin };
  }
  let out = '';
  let at = 0;
  for (const ch of text) {
    let folded = ch;
    if (ch.charCodeAt(0) > 0x7f) {
      folded = '';
      for (const lower of ch.toLowerCase()) folded += prototypeOf(lower) ?? lower;
    }
    out += folded;
    for (let i = 0; i < folded.length; i++) origin.push(at);
    at += ch.length;
  }
  origin.push(at);
  return { text: out, origin };
}

function excerpt(text: string, start: number, end: number): string {
  const s = text
    .slice(boundary(text, Math.max(0, start - CONTEXT)), boundary(text, Math.min(text.length, end + CONTEXT)))
    .replace(/\s+/g, ' ')
    .trim();
  return s.length <= MAX_EXCERPT ? s : s.slice(0, boundary(s, MAX_EXCERPT - 1)) + '…';
}

/** `at`, moved back one unit if it would split a surrogate pair. */
function boundary(text: string, at: number): number {
  const code = text.charCodeAt(at);
  return at > 0 && code >= 0xdc00 && code <= 0xdfff ? at - 1 : at;
}
