// Splitting Dockerfile argument text the way BuildKit's parser does before any
// variable is expanded: builder flags (`--from=x`) off the front of a line,
// quote-aware words that keep their quotes and escapes (expansion removes them
// later), and the JSON array of the exec form.

export interface RawFlag {
  name: string;
  /** undefined for a bare `--link`. */
  value?: string;
  /** The flag as written, for messages. */
  text: string;
}

const isSpace = (ch: string): boolean => ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r' || ch === '\f' || ch === '\v';

/**
 * Leading `--name[=value]` words and the text after them. A bare `--` ends the
 * flags; quotes and backslashes inside a flag are resolved as BuildKit does.
 */
export function splitFlags(text: string): { flags: RawFlag[]; rest: string } {
  const words: string[] = [];
  let i = 0;
  for (;;) {
    while (i < text.length && isSpace(text[i]!)) i++;
    if (!text.startsWith('--', i)) break;
    let word = '';
    let quote = '';
    let quoted = false;
    for (; i < text.length; i++) {
      let ch = text[i]!;
      if (quote === '' && isSpace(ch)) break;
      if (ch === quote) {
        quote = '';
        continue;
      }
      if (quote === '' && (ch === '"' || ch === "'")) {
        quote = ch;
        quoted = true;
        continue;
      }
      if (ch === '\\') {
        if (i + 1 === text.length) continue;
        ch = text[++i]!;
      }
      word += ch;
    }
    if (word === '--') return { flags: words.map(toFlag), rest: text.slice(i).trim() };
    if (word !== '' || quoted) words.push(word);
  }
  return { flags: words.map(toFlag), rest: text.slice(i).trim() };
}

function toFlag(word: string): RawFlag {
  const body = word.slice(2);
  const eq = body.indexOf('=');
  return eq < 0 ? { name: body.toLowerCase(), text: word } : { name: body.slice(0, eq).toLowerCase(), value: body.slice(eq + 1), text: word };
}

/**
 * Whitespace-separated words with quotes and escapes kept (ENV, LABEL, ARG), as
 * BuildKit's parseWords: a quoted stretch does not end a word, an escape keeps
 * the character after it in the word.
 */
export function splitWords(text: string, escape: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote = '';
  let blankOk = false;
  const chars = [...text];
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i]!;
    if (!inWord) {
      if (isSpace(ch)) continue;
      inWord = true;
    }
    if (quote === '') {
      if (isSpace(ch)) {
        if (blankOk || word !== '') words.push(word);
        word = '';
        blankOk = false;
        inWord = false;
        continue;
      }
      if (ch === '"' || ch === "'") {
        quote = ch;
        blankOk = true;
      }
      if (ch === escape) {
        if (i + 1 === chars.length) continue;
        word += ch + chars[++i]!;
        continue;
      }
      word += ch;
      continue;
    }
    if (ch === quote) quote = '';
    if (ch === escape && quote !== "'" && quote !== '') {
      if (i + 1 === chars.length) continue;
      word += ch + chars[++i]!;
      continue;
    }
    word += ch;
  }
  if (inWord && (blankOk || word !== '')) words.push(word);
  return words;
}

/** Words split on whitespace only (FROM, EXPOSE, the shell form of COPY/ADD/VOLUME). */
export function splitWhitespace(text: string): string[] {
  return text.split(/[ \t\r\n\f\v]+/).filter((w) => w !== '');
}

export type JsonArray = { ok: true; items: string[] } | { ok: false; notStrings: boolean };

/**
 * The exec form: a JSON array of strings. Text that does not parse as JSON is
 * not an error (it is the shell form), but an array of non-strings is.
 */
export function parseJsonArray(text: string): JsonArray {
  const trimmed = text.trimStart();
  if (!trimmed.startsWith('[')) return { ok: false, notStrings: false };
  let value: unknown;
  try {
    value = JSON.parse(trimmed);
  } catch {
    return { ok: false, notStrings: false };
  }
  if (!Array.isArray(value)) return { ok: false, notStrings: false };
  if (!value.every((v) => typeof v === 'string')) return { ok: false, notStrings: true };
  return { ok: true, items: value as string[] };
}
