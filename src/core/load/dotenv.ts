// Parsing of `.env` files (the project `.env`, `--env-file`, `include.env_file`)
// into a variable map. Pure: the file text and the outer environment come in as
// arguments.
//
// The rules are compose-go's dotenv parser, because users' files were written for it:
// - a statement is `[export ]KEY=value` or `KEY: value`; a bare `KEY` inherits the
//   value from the lookup and is left out when the lookup has none;
// - keys may hold letters, digits (any script), `_ . - [ ]`; anything else is an error;
// - unquoted values run to the end of the line, lose a ` #` comment and trailing
//   whitespace, and are interpolated;
// - '…' is literal except that `\'` stands for a quote; "…" understands the
//   escapes \a \b \f \n \r \t \v \\ \" \$ and octal \0NNN, and is interpolated;
//   both may span lines;
// - after a closing quote the next statement may follow on the same line, as in
//   compose-go (`A="x" B="y"` sets both);
// - interpolation sees the lookup first, then keys set earlier in the same file,
//   then earlier env files: the outer environment wins, as it does for the
//   Compose file itself.

import { TugError, type SourceLocation } from '../errors.js';
import { interpolateString, type UnsetVariableHandler, type VariableLookup } from './interpolate.js';

export interface DotenvOptions {
  /** Drop keys that start with a digit (compose-go's `Read` API does this). */
  dropDigitKeys?: boolean;
  /** Called for each `$VAR` that is set neither in the lookup nor earlier in the file. */
  onUnset?: UnsetVariableHandler;
  /**
   * Values from env files read before this one (`--env-file a --env-file b`).
   * Interpolation consults them last: the outer environment and this file's
   * own earlier keys come first, as when compose-go parses into one shared map.
   */
  previousFiles?: VariableLookup;
}

const DEFAULT_FILE_NAME = '.env';

/**
 * Parse `.env` text. `lookup` is the outer environment (the OS environment,
 * usually); `fileName` only labels error locations.
 * Throws TugError `dotenv.syntax` with a file:line:column location.
 */
export function parseDotenv(
  text: string,
  lookup?: VariableLookup,
  fileName?: string,
  options: DotenvOptions = {},
): Record<string, string> {
  const parser = new DotenvParser(normalizeText(text), fileName ?? DEFAULT_FILE_NAME, lookup, options);
  const parsed = parser.parse();
  const entries = options.dropDigitKeys ? [...parsed].filter(([key]) => !/^[0-9]/.test(key)) : [...parsed];
  // fromEntries defines own properties, so a key like `__proto__` stays data.
  return Object.fromEntries(entries);
}

/** Strip a UTF-8 byte order mark and turn CRLF into LF; columns stay right. */
function normalizeText(text: string): string {
  const noBom = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  return noBom.indexOf('\r\n') === -1 ? noBom : noBom.replace(/\r\n/g, '\n');
}

// Horizontal whitespace as compose-go's dotenv sees it (no newline).
function isBlank(c: string): boolean {
  return c === ' ' || c === '\t' || c === '\v' || c === '\f' || c === '\r' || c === '\u0085' || c === '\u00a0';
}

const KEY_CHAR = /^[\p{L}\p{N}_.\-[\]]$/u;
const EXPORT_PREFIX = /export[ \t\v\f\r]+/y;
const WHITESPACE = /\s/;

class DotenvParser {
  private pos = 0;
  private readonly vars = new Map<string, string>();

  constructor(
    private readonly text: string,
    private readonly fileName: string,
    private readonly lookup: VariableLookup | undefined,
    private readonly options: DotenvOptions,
  ) {}

  parse(): Map<string, string> {
    while (this.nextStatement()) {
      const key = this.readKey();
      if (key.inherited) {
        const value = this.lookup?.(key.name);
        if (value !== undefined) this.vars.set(key.name, value);
        continue;
      }
      this.skipBlanks();
      this.vars.set(key.name, this.readValue());
    }
    return this.vars;
  }

  /** Skip whitespace, blank lines and comment lines; false at end of text. */
  private nextStatement(): boolean {
    const { text } = this;
    while (this.pos < text.length) {
      const c = text[this.pos]!;
      if (WHITESPACE.test(c)) {
        this.pos++;
      } else if (c === '#') {
        const eol = text.indexOf('\n', this.pos);
        this.pos = eol === -1 ? text.length : eol + 1;
      } else {
        return true;
      }
    }
    return false;
  }

  /**
   * Read `[export ]KEY` up to `=`, `:` or the end of the line. Leaves `pos`
   * after the separator (or after the newline for a bare, inherited key).
   */
  private readKey(): { name: string; inherited: boolean } {
    const { text } = this;
    EXPORT_PREFIX.lastIndex = this.pos;
    if (EXPORT_PREFIX.test(text)) this.pos = EXPORT_PREFIX.lastIndex;
    const start = this.pos;
    let i = start;
    while (i < text.length) {
      const c = String.fromCodePoint(text.codePointAt(i)!);
      if (c === '=' || c === ':' || c === '\n') {
        this.pos = i + 1;
        return { name: this.checkKey(text.slice(start, i), start), inherited: c === '\n' };
      }
      if (!isBlank(c) && !KEY_CHAR.test(c)) {
        const lineEnd = text.indexOf('\n', start);
        const statement = text.slice(start, lineEnd === -1 ? text.length : lineEnd);
        throw this.error(
          `unexpected character ${JSON.stringify(c)} in variable name ${JSON.stringify(statement)}`,
          i,
          'variable names may contain letters, digits, "_", ".", "-", "[" and "]"',
        );
      }
      i += c.length;
    }
    // A bare key on the last line, without a final newline, still inherits.
    this.pos = text.length;
    return { name: this.checkKey(text.slice(start), start), inherited: true };
  }

  private checkKey(raw: string, start: number): string {
    const name = raw.trimEnd();
    if (name.includes(' ')) {
      throw this.error(
        `key cannot contain a space: ${JSON.stringify(name)}`,
        start,
        'write KEY=value; a line holding only KEY takes its value from the environment',
      );
    }
    return name;
  }

  private skipBlanks(): void {
    while (this.pos < this.text.length && isBlank(this.text[this.pos]!)) this.pos++;
  }

  private readValue(): string {
    const quote = this.text[this.pos];
    if (quote === '"' || quote === "'") return this.readQuoted(quote);
    return this.readUnquoted();
  }

  private readUnquoted(): string {
    const { text } = this;
    const start = this.pos;
    const eol = text.indexOf('\n', start);
    const end = eol === -1 ? text.length : eol;
    this.pos = eol === -1 ? text.length : eol + 1;
    let raw = text.slice(start, end);
    // Only ` #` starts a comment, so `pass#word` and `host#port` survive.
    const comment = raw.indexOf(' #');
    if (comment !== -1) raw = raw.slice(0, comment);
    return this.expand(raw.trimEnd(), start);
  }

  private readQuoted(quote: '"' | "'"): string {
    const { text } = this;
    const open = this.pos;
    let chars = '';
    let escaped = false;
    for (let i = open + 1; i < text.length; i++) {
      const c = text[i]!;
      if (c === quote) {
        if (escaped) {
          // An escaped quote loses its backslash in both quote styles.
          escaped = false;
          chars += c;
          continue;
        }
        this.pos = i + 1;
        return quote === '"' ? this.expand(expandEscapes(chars), open + 1) : chars;
      }
      if (escaped) {
        // Other escapes are kept whole here and decoded by expandEscapes.
        escaped = false;
        chars += '\\' + c;
      } else if (c === '\\') {
        escaped = true;
      } else {
        chars += c;
      }
    }
    const lineEnd = text.indexOf('\n', open);
    const shown = text.slice(open, lineEnd === -1 ? text.length : lineEnd);
    throw this.error(`unterminated quoted value ${shown}`, open, `add the closing ${quote}`);
  }

  private expand(value: string, at: number): string {
    if (value.indexOf('$') === -1) return value;
    const { lookup, vars } = this;
    const { previousFiles } = this.options;
    const resolve = (name: string): string | undefined =>
      lookup?.(name) ?? vars.get(name) ?? previousFiles?.(name);
    try {
      return interpolateString(value, resolve, this.options.onUnset);
    } catch (err) {
      if (err instanceof TugError) throw err.withLocation(this.locate(at));
      throw err;
    }
  }

  private locate(offset: number): SourceLocation {
    let line = 1;
    let lineStart = 0;
    for (let i = this.text.indexOf('\n'); i !== -1 && i < offset; i = this.text.indexOf('\n', i + 1)) {
      line++;
      lineStart = i + 1;
    }
    return { file: this.fileName, line, column: offset - lineStart + 1 };
  }

  private error(message: string, offset: number, hint: string): TugError {
    const location = this.locate(offset);
    return new TugError({
      code: 'dotenv.syntax',
      message: `line ${location.line}: ${message}`,
      location,
      hint,
    });
  }
}

const SIMPLE_ESCAPES: Record<string, string> = {
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '\\': '\\',
  '"': '"',
  // `$$` is interpolation's own escape, so `\$` survives expansion as a literal `$`.
  $: '$$',
};

/**
 * Decode the escapes a double-quoted value understands. Unknown ones (`\x07`,
 * `\u12e4`, `\ `) stay as written, like compose-go, rather than being guessed at.
 */
function expandEscapes(value: string): string {
  if (value.indexOf('\\') === -1) return value;
  let out = '';
  let i = 0;
  while (i < value.length) {
    const c = value[i]!;
    if (c !== '\\' || i + 1 >= value.length) {
      out += c;
      i++;
      continue;
    }
    const next = value[i + 1]!;
    const simple = SIMPLE_ESCAPES[next];
    if (simple !== undefined) {
      out += simple;
      i += 2;
    } else if (next === '0') {
      const digits = /^[0-9]{0,3}/.exec(value.slice(i + 2, i + 5))![0];
      out += decodeOctal(digits) ?? `\\0${digits}`;
      i += 2 + digits.length;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/** `\0NNN`: exactly three octal digits for a byte value, otherwise not an escape. */
function decodeOctal(digits: string): string | undefined {
  if (!/^[0-7]{3}$/.test(digits)) return undefined;
  const code = parseInt(digits, 8);
  return code <= 0xff ? String.fromCharCode(code) : undefined;
}
