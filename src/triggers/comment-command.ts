/**
 * Is a pull-request comment a request for a review, and what does it ask? Pure.
 *
 * A command is `/review`, `/review full` or `/review incremental` at the start of a line, or a mention
 * of the trigger phrase (input `trigger-phrase`, default `@claude-guard`) anywhere in the text, optionally
 * followed by `incremental` or `full`. Text in fenced code blocks, in quoted lines (`> …`, a reply that
 * quotes an earlier command) and in inline code spans never counts: quoting a command is not asking.
 * Comments that start with one of claude-guard's own markers never count (our replies name the phrase).
 *
 * What else the comment says is the `request`: free text the commenter wrote. It is untrusted — whoever
 * can comment can write it — so it only ever reaches the agent sanitised, inside the untrusted-data block
 * (agent/untrusted-block.ts), never as an instruction.
 */

export type ReviewScope = 'full' | 'incremental';

export interface CommentCommand {
  scope: ReviewScope;
  /** The rest of the comment (command removed, trimmed); '' when the comment is only the command. */
  request: string;
  /** How it was asked: the `/review` command or a mention of the trigger phrase. */
  via: 'command' | 'mention';
}

export const DEFAULT_TRIGGER_PHRASE = '@claude-guard';

/** Every claude-guard comment starts with a marker like this; such comments are never commands. */
const OWN_MARKER = /^\s*<!-- claude-guard:/;
const FENCE = /^\s{0,3}(`{3,}|~{3,})/;
const QUOTE = /^\s{0,3}>/;
const SLASH = /^\s*\/review(?:\s+(full|incremental))?(?=\s|$)/i;

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Lines that count: outside fences and quotes, inline code spans blanked (same length, so offsets hold). */
function liveLines(body: string): { text: string; live: boolean }[] {
  let fence: string | undefined;
  return body.split(/\r?\n/).map((line) => {
    const opener = FENCE.exec(line);
    if (fence) {
      if (opener && opener[1][0] === fence[0] && opener[1].length >= fence.length) fence = undefined;
      return { text: line, live: false };
    }
    if (opener) {
      fence = opener[1];
      return { text: line, live: false };
    }
    if (QUOTE.test(line)) return { text: line, live: false };
    return { text: line.replace(/`[^`]*`/g, (m) => ' '.repeat(m.length)), live: true };
  });
}

/** The command in `body`, or undefined when the comment does not ask for a review. */
export function parseCommentCommand(
  body: string,
  triggerPhrase: string = DEFAULT_TRIGGER_PHRASE,
): CommentCommand | undefined {
  if (typeof body !== 'string' || body.trim() === '' || OWN_MARKER.test(body)) return undefined;
  const lines = liveLines(body);
  const raw = body.split(/\r?\n/);
  const phrase = triggerPhrase.trim();
  const mention = phrase
    ? new RegExp(`(?<![\\w@/.-])${escapeRegExp(phrase)}(?![\\w-])(?:[ \\t]+(full|incremental)\\b)?`, 'i')
    : undefined;
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i].live) continue;
    const slash = SLASH.exec(lines[i].text);
    if (slash) return found(raw, i, slash.index, slash[0].length, slash[1], 'command');
  }
  if (!mention) return undefined;
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i].live) continue;
    const m = mention.exec(lines[i].text);
    if (m) return found(raw, i, m.index, m[0].length, m[1], 'mention');
  }
  return undefined;
}

function found(
  raw: string[],
  line: number,
  at: number,
  length: number,
  scope: string | undefined,
  via: CommentCommand['via'],
): CommentCommand {
  const rest = [...raw];
  rest[line] = `${raw[line].slice(0, at)}${raw[line].slice(at + length)}`;
  return {
    scope: scope?.toLowerCase() === 'incremental' ? 'incremental' : 'full',
    request: rest.join('\n').trim(),
    via,
  };
}

/** Input `trigger-phrase`: one word-like token (an @mention or a keyword), no spaces. */
export function validTriggerPhrase(phrase: string): boolean {
  return /^@?[A-Za-z0-9][\w.-]{0,38}$/.test(phrase);
}
