// Dockerfile variable substitution (BuildKit's shell lexer, not a shell):
// `$VAR`, `${VAR}`, `${VAR:-word}`, `${VAR-word}`, `${VAR:+word}`, `${VAR+word}`,
// `${VAR:?msg}`, `${VAR?msg}`; single quotes are literal, double quotes allow
// expansion, the escape character (`\` or the `# escape=` one) escapes. Nothing
// is ever executed: this is text substitution only.

/** A variable scope: undefined means unset, "" means set to empty. */
export type VarLookup = (name: string) => string | undefined;

export class ExpansionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExpansionError';
  }
}

/** One word, quotes removed and variables substituted (ENV values, COPY sources, WORKDIR, ...). */
export function expandWord(text: string, lookup: VarLookup, escape = '\\'): string {
  return new Lexer(text, lookup, escape).word();
}

/** Several words: unquoted whitespace, including whitespace from a substituted value, splits (EXPOSE). */
export function expandWords(text: string, lookup: VarLookup, escape = '\\'): string[] {
  return new Lexer(text, lookup, escape).words();
}

/**
 * The body of an unquoted COPY/ADD heredoc: variables substituted and escapes
 * applied, but quotes kept (BuildKit's ExpandRaw; a quote-eating expansion
 * broke XML and JSON files, moby/buildkit#2439). Single-quoted text is literal.
 */
export function expandRaw(text: string, lookup: VarLookup, escape = '\\'): string {
  return new Lexer(text, lookup, escape, true).word();
}

/** A lookup over KEY=VALUE lists, the later list winning (ARGs below ENV). */
export function lookupOf(...scopes: (ReadonlyMap<string, string | undefined> | readonly string[])[]): VarLookup {
  const merged = new Map<string, string | undefined>();
  for (const scope of scopes) {
    if (Array.isArray(scope)) {
      for (const kv of scope as readonly string[]) {
        const eq = kv.indexOf('=');
        if (eq > 0) merged.set(kv.slice(0, eq), kv.slice(eq + 1));
      }
    } else for (const [k, v] of scope as ReadonlyMap<string, string | undefined>) merged.set(k, v);
  }
  return (name) => merged.get(name);
}

class Lexer {
  private pos = 0;
  private readonly chars: string[];

  constructor(
    text: string,
    private readonly lookup: VarLookup,
    private readonly escape: string,
    private readonly rawQuotes = false,
  ) {
    this.chars = [...text];
  }

  word(): string {
    return this.until(undefined, () => {});
  }

  words(): string[] {
    const words: string[] = [];
    let current = '';
    let inWord = false;
    const add = (s: string, split: boolean): void => {
      if (!split) inWord = true;
      for (const ch of s) {
        if (split && /\s/.test(ch)) {
          if (inWord) words.push(current);
          current = '';
          inWord = false;
        } else {
          current += ch;
          inWord = true;
        }
      }
    };
    this.until(undefined, add);
    if (inWord) words.push(current);
    return words;
  }

  private peek(): string | undefined {
    return this.chars[this.pos];
  }

  private next(): string | undefined {
    return this.chars[this.pos++];
  }

  /** Reads up to `stop` (consumed) or the end; `emit` sees each piece and whether it may split words. */
  private until(stop: string | undefined, emit: (s: string, split: boolean) => void): string {
    let out = '';
    const put = (s: string, split: boolean): void => {
      out += s;
      emit(s, split);
    };
    for (;;) {
      const ch = this.peek();
      if (ch === undefined) {
        if (stop !== undefined) throw new ExpansionError(`a "}" is missing`);
        return out;
      }
      if (ch === stop) {
        this.next();
        return out;
      }
      if (ch === "'") put(this.singleQuoted(), false);
      else if (ch === '"') put(this.doubleQuoted(), false);
      else if (ch === '$') put(this.dollar(), true);
      else {
        this.next();
        if (ch === this.escape) {
          const escaped = this.next();
          if (escaped === undefined) return out;
          put(escaped, false);
        } else put(ch, true);
      }
    }
  }

  private singleQuoted(): string {
    this.next();
    let out = '';
    for (;;) {
      const ch = this.next();
      if (ch === undefined) throw new ExpansionError('a closing single quote is missing');
      if (ch === "'") return this.rawQuotes ? `'${out}'` : out;
      out += ch;
    }
  }

  private doubleQuoted(): string {
    this.next();
    let out = '';
    for (;;) {
      const ch = this.peek();
      if (ch === undefined) throw new ExpansionError('a closing double quote is missing');
      if (ch === '"') {
        this.next();
        return this.rawQuotes ? `"${out}"` : out;
      }
      if (ch === '$') {
        out += this.dollar();
        continue;
      }
      this.next();
      if (ch === this.escape) {
        const after = this.peek();
        if (after === '"' || after === '$' || after === this.escape) {
          out += this.next();
          continue;
        }
      }
      out += ch;
    }
  }

  private dollar(): string {
    this.next();
    if (this.peek() !== '{') {
      const name = this.name();
      return name === '' ? '$' : (this.lookup(name) ?? '');
    }
    this.next();
    const name = this.name();
    if (name === '') throw new ExpansionError('bad substitution: "${" must be followed by a variable name');
    const value = this.lookup(name);
    const ch = this.next();
    if (ch === undefined) throw new ExpansionError(`a "}" is missing after \${${name}`);
    if (ch === '}') return value ?? '';
    let colon = false;
    let modifier: string | undefined = ch;
    if (ch === ':') {
      colon = true;
      modifier = this.next();
    }
    if (modifier !== '-' && modifier !== '+' && modifier !== '?') {
      throw new ExpansionError(`unsupported substitution \${${name}${colon ? ':' : ''}${modifier ?? ''}...}: tug supports :-, -, :+, +, :? and ?`);
    }
    const word = this.until('}', () => {});
    const unset = colon ? value === undefined || value === '' : value === undefined;
    if (modifier === '-') return unset ? word : value!;
    if (modifier === '+') return unset ? '' : word;
    if (unset) throw new ExpansionError(`${name}: ${word === '' ? 'is not allowed to be unset' : word}`);
    return value!;
  }

  private name(): string {
    let name = '';
    const first = this.peek();
    if (first !== undefined && /[0-9]/.test(first)) {
      while (this.peek() !== undefined && /[0-9]/.test(this.peek()!)) name += this.next();
      return name;
    }
    while (this.peek() !== undefined && /[\p{L}\p{N}_]/u.test(this.peek()!)) name += this.next();
    return name;
  }
}
