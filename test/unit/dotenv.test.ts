// .env parsing: every case transcribed from compose-go's dotenv tests in the
// shared corpus, plus error locations and a few behaviours tug relies on.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { TugError } from '../../src/core/errors.js';
import { parseDotenv } from '../../src/core/load/dotenv.js';

type Api = 'Read' | 'Load' | 'ReadWithLookup' | 'GetEnvFromFile';

interface DotenvCase {
  input?: string;
  file?: string;
  inputs?: string[];
  lookupEnv?: Record<string, string>;
  expected?: Record<string, string>;
  match?: 'exact' | 'subset';
  absent?: string[];
  error?: true;
  errorContains?: string;
  api?: Api;
  name?: string;
  note?: string;
}

const corpusDir = new URL('../../../shared/corpus/', import.meta.url);
const cases = JSON.parse(readFileSync(new URL('dotenv-cases.json', corpusDir), 'utf8')) as DotenvCase[];

function lookupOf(env: Record<string, string> | undefined) {
  return env === undefined ? undefined : (name: string) => (Object.hasOwn(env, name) ? env[name] : undefined);
}

/** What the case's compose-go entry point would return, built from parseDotenv. */
function runCase(c: DotenvCase): Record<string, string> {
  const lookup = lookupOf(c.lookupEnv);
  const dropDigitKeys = c.api === 'Read' || c.api === 'ReadWithLookup';
  if (c.inputs) {
    // GetEnvFromFile: files in order into one map; the outer env still wins
    // for interpolation, and later files see what earlier ones set.
    const merged: Record<string, string> = {};
    const previousFiles = (name: string) => (Object.hasOwn(merged, name) ? merged[name] : undefined);
    c.inputs.forEach((text, i) => {
      Object.assign(merged, parseDotenv(text, lookup, `input${i}.env`, { previousFiles }));
    });
    return merged;
  }
  if (c.file !== undefined) {
    const text = readFileSync(new URL(c.file, corpusDir), 'utf8');
    return parseDotenv(text, lookup, c.file, { dropDigitKeys });
  }
  return parseDotenv(c.input!, lookup, undefined, { dropDigitKeys });
}

function caseTitle(c: DotenvCase, index: number): string {
  const what = c.name ?? c.file ?? JSON.stringify(c.input ?? c.inputs);
  return `#${index} ${c.api ? `${c.api} ` : ''}${what}`;
}

describe('dotenv corpus', () => {
  it('holds 91 cases', () => {
    expect(cases).toHaveLength(91);
  });

  cases.forEach((c, index) => {
    it(caseTitle(c, index), () => {
      if (c.error) {
        let caught: unknown;
        try {
          runCase(c);
        } catch (err) {
          caught = err;
        }
        expect(caught).toBeInstanceOf(TugError);
        const err = caught as TugError;
        expect(err.code).toBe('dotenv.syntax');
        if (c.errorContains !== undefined) expect(err.message).toContain(c.errorContains);
        return;
      }
      const got = runCase(c);
      if (c.match === 'exact') expect(got).toEqual(c.expected);
      else expect(got).toMatchObject(c.expected ?? {});
      for (const key of c.absent ?? []) expect(Object.hasOwn(got, key)).toBe(false);
    });
  });
});

describe('parseDotenv errors', () => {
  function errorOf(text: string, fileName?: string): TugError {
    try {
      parseDotenv(text, undefined, fileName);
    } catch (err) {
      if (err instanceof TugError) return err;
      throw err;
    }
    throw new Error('expected an error');
  }

  it('points at the offending character of a key', () => {
    const err = errorOf('A=1\n\n  BAD$KEY=2\n', 'project/.env');
    expect(err.location).toEqual({ file: 'project/.env', line: 3, column: 6 });
    expect(err.message).toBe('line 3: unexpected character "$" in variable name "BAD$KEY=2"');
    expect(err.hint).toBeDefined();
  });

  it('points at the start of a key with a space', () => {
    const err = errorOf('# c\nfoo="\n  a multi-line value\n"\nINVALID LINE\nzot=qix');
    expect(err.location).toEqual({ file: '.env', line: 5, column: 1 });
    expect(err.message).toContain('line 5: key cannot contain a space');
  });

  it('points at the opening quote of an unterminated value', () => {
    const err = errorOf('A=1\nexport  B = "never\nclosed\n');
    expect(err.location).toEqual({ file: '.env', line: 2, column: 13 });
    expect(err.message).toBe('line 2: unterminated quoted value "never');
  });

  it('gives interpolation errors the location of the value', () => {
    let caught: unknown;
    try {
      parseDotenv('A=1\nB=${NOPE:?must be set}\n', () => undefined, 'x.env');
    } catch (err) {
      caught = err;
    }
    const err = caught as TugError;
    expect(err.code).toBe('interpolate.required');
    expect(err.message).toContain('required variable NOPE is missing a value: must be set');
    expect(err.location).toEqual({ file: 'x.env', line: 2, column: 3 });
  });
});

describe('parseDotenv', () => {
  it('handles CRLF line endings', () => {
    expect(parseDotenv('A=1\r\nB="two"\r\nC\r\n', (n) => (n === 'C' ? 'c' : undefined))).toEqual({ A: '1', B: 'two', C: 'c' });
  });

  it('inherits a bare key on the last line without a final newline', () => {
    expect(parseDotenv('A=1\nHOME', (n) => (n === 'HOME' ? '/root' : undefined))).toEqual({ A: '1', HOME: '/root' });
  });

  it('lets the outer environment win for interpolation but keeps the file value', () => {
    const env = parseDotenv('A=file\nB=$A', (n) => (n === 'A' ? 'outer' : undefined));
    expect(env).toEqual({ A: 'file', B: 'outer' });
  });

  it('reports unset variables through onUnset', () => {
    const unset: string[] = [];
    parseDotenv('A=${X}\nB="${Y:-y}"\nC=\'$Z\'', undefined, undefined, { onUnset: (n) => unset.push(n) });
    expect(unset).toEqual(['X']);
  });

  it('keeps $$ and \\$ as literal dollars', () => {
    expect(parseDotenv('A=$$HOME\nB="\\$HOME"\nC="$$HOME"')).toEqual({ A: '$HOME', B: '$HOME', C: '$HOME' });
  });

  it('lets a later env file use values from an earlier one, after its own', () => {
    const first = parseDotenv('HOST=a\nPORT=1');
    const second = parseDotenv('PORT=2\nURL=$HOST:$PORT', undefined, 'b.env', { previousFiles: (n) => first[n] });
    expect(second).toEqual({ PORT: '2', URL: 'a:2' });
  });

  it('stores a __proto__ key as data', () => {
    const env = parseDotenv('__proto__=x');
    expect(Object.hasOwn(env, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(env)).toBe(Object.prototype);
  });

  it('reads several statements after quoted values on one line, like compose', () => {
    expect(parseDotenv('A="1" B=\'2\' # trailing')).toEqual({ A: '1', B: '2' });
  });
});
