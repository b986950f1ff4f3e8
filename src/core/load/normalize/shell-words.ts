// Splits a string `command:` / `entrypoint:` into arguments the way Compose
// does (go-shellwords without environment or backtick expansion): whitespace
// separates words; '…' is literal; "…" groups; a backslash outside single quotes
// takes the next character literally (inside double quotes too); `…` and $(…)
// stay inside one word. No variable expansion happens here: interpolation
// already ran, and the container's shell is not involved.
//
// One deliberate difference: go-shellwords silently stops at an unquoted
// ; & | < or >, so Compose turns "echo a && echo b" into ["echo", "a"]. We keep
// such characters as ordinary text instead of dropping the rest of the command.
import { TugError } from '../../errors.js';

function isSpace(c: string): boolean {
  return c === ' ' || c === '\t' || c === '\r' || c === '\n';
}

export function splitShellWords(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false; // a word has started, even if empty ("" or '')
  let single = false;
  let double = false;
  let backtick = false;
  let dollarParen = false;
  let escaped = false;

  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (escaped) {
      escaped = false;
      // Inside `…` or $(…) the text is kept as written for the shell that runs it.
      word += backtick || dollarParen ? '\\' + c : c;
      inWord = true;
      continue;
    }
    if (c === '\\' && !single) {
      escaped = true;
      continue;
    }
    if (single) {
      if (c === "'") single = false;
      else word += c;
      continue;
    }
    if (isSpace(c) && !double && !backtick && !dollarParen) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      continue;
    }
    if (c === '"' && !backtick && !dollarParen) {
      double = !double;
      inWord = true;
      continue;
    }
    if (c === "'" && !double && !backtick && !dollarParen) {
      single = true;
      inWord = true;
      continue;
    }
    if (c === '`' && !double && !dollarParen) backtick = !backtick;
    else if (c === '(' && !double && !backtick && !dollarParen && word.endsWith('$')) dollarParen = true;
    else if (c === ')' && dollarParen) dollarParen = false;
    word += c;
    inWord = true;
  }

  if (escaped || single || double || backtick || dollarParen) {
    const what = escaped ? 'a trailing backslash' : single ? "an unclosed '" : double ? 'an unclosed "' : backtick ? 'an unclosed `' : 'an unclosed $(';
    throw new TugError({
      code: 'normalize.command',
      message: `Cannot split ${JSON.stringify(line)} into arguments: it has ${what}`,
      expected: 'balanced quotes',
      hint: 'close the quote, or write the command as a list: ["sh", "-c", "..."]',
    });
  }
  if (inWord) words.push(word);
  return words;
}
