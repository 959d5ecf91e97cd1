/**
 * Shell words for the Bash command allow-list (command-check.ts): a command split into simple commands
 * of plain words, refusing every expansion, substitution and redirection that is not listed.
 */

// ---------------------------------------------------------------------------------------------
// Shell: words and separators, refusing every expansion

const SAFE_UNQUOTED = /[A-Za-z0-9_./:@%+=,^~-]/;
const ALLOWED_REDIRECTS = new Set(['2>&1', '>/dev/null', '2>/dev/null', '</dev/null', '1>/dev/null']);

/** A simple command: its words (quotes removed) and whether its stdin is a pipe. */
export interface SimpleCommand {
  words: string[];
  piped: boolean;
}

/** A refusal naming what was not allowed (its message is the reason the agent sees). */
export class Refusal extends Error {}

/** Splits a command into simple commands, or throws a Refusal naming the shell construct. */
export function parseCommand(command: string): SimpleCommand[] {
  const commands: SimpleCommand[] = [];
  let words: string[] = [];
  let word: string | null = null;
  let piped = false;
  const endWord = () => {
    if (word !== null) words.push(word);
    word = null;
  };
  const endCommand = (nextPiped: boolean) => {
    endWord();
    if (words.length === 0) throw new Refusal('an empty command between separators');
    commands.push({ words, piped });
    words = [];
    piped = nextPiped;
  };
  let i = 0;
  const at = (n = 0) => command[i + n] ?? '';
  while (i < command.length) {
    const c = at();
    if (c === ' ' || c === '\t') {
      endWord();
      i++;
    } else if (c === '\n' || c === ';') {
      endCommand(false);
      i++;
    } else if (c === '&' && at(1) === '&') {
      endCommand(false);
      i += 2;
    } else if (c === '|' && at(1) === '|') {
      endCommand(false);
      i += 2;
    } else if (c === '|' && at(1) !== '&') {
      endCommand(true);
      i++;
    } else if (c === '&' && at(1) !== '>') {
      // A background job: a separator like ';' (each part is checked the same way).
      endCommand(false);
      i++;
    } else if (c === "'") {
      const close = command.indexOf("'", i + 1);
      if (close < 0) throw new Refusal('an unterminated quote');
      const text = command.slice(i + 1, close);
      if (/[\u0000-\u0008\u000b-\u001f\u007f]/.test(text)) throw new Refusal('a control character');
      word = (word ?? '') + text;
      i = close + 1;
    } else if (c === '"') {
      const close = command.indexOf('"', i + 1);
      if (close < 0) throw new Refusal('an unterminated quote');
      const text = command.slice(i + 1, close);
      if (/[$`\\!]/.test(text)) throw new Refusal(`'${text}' in double quotes expands ($, \`, \\ or !)`);
      if (/[\u0000-\u0008\u000b-\u001f\u007f]/.test(text)) throw new Refusal('a control character');
      word = (word ?? '') + text;
      i = close + 1;
    } else if ((c === '>' || c === '<' || (/[012]/.test(c) && /[<>]/.test(at(1)))) && word === null) {
      // A redirection: only the listed ones, written as one word or with one space before the target.
      const rest = command.slice(i);
      const m = /^([012]?[<>]&?)\s?(\S*)/.exec(rest);
      const token = m ? `${m[1]}${m[2]}` : c;
      if (!ALLOWED_REDIRECTS.has(token)) throw new Refusal(`redirection '${token}'`);
      i += m ? m[0].length : 1;
    } else if (SAFE_UNQUOTED.test(c)) {
      if (c === '~' && word === null) throw new Refusal("'~' at the start of a word (home directory)");
      word = (word ?? '') + c;
      i++;
    } else {
      throw new Refusal(
        `the shell character '${c === '\r' ? '\\r' : c}' (expansion, subshell or job control)`,
      );
    }
  }
  endWord();
  if (words.length > 0 || piped || commands.length === 0) endCommand(false);
  return commands;
}
