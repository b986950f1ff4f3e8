// Compose interpolation: every case transcribed from compose-go's tests in the
// shared corpus, plus a few behaviours tug relies on.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { TugError } from '../../src/core/errors.js';
import { interpolateString, MissingVariableError } from '../../src/core/load/interpolate.js';

interface InterpolationCase {
  template: string;
  env: Record<string, string>;
  expected?: string;
  error?: true;
  errorContains?: string;
  errorType?: 'MissingRequiredError';
  errorDetail?: { variable: string; reason: string };
  warnings?: number;
  note?: string;
}

const corpusUrl = new URL('../../../shared/corpus/interpolation-cases.json', import.meta.url);
const cases = JSON.parse(readFileSync(corpusUrl, 'utf8')) as InterpolationCase[];

function run(template: string, env: Record<string, string>, path?: string[]) {
  const unset: string[] = [];
  const lookup = (name: string) => (Object.hasOwn(env, name) ? env[name] : undefined);
  const result = interpolateString(template, lookup, (name) => unset.push(name), path);
  return { result, unset };
}

// A few upstream assertions were made on the mapping-level wrapper, whose
// message names the YAML path ("... for servicea.image"); give those the path.
function pathFromMessage(errorContains: string | undefined): string[] | undefined {
  const m = /invalid interpolation format for ([\w.]+)/.exec(errorContains ?? '');
  return m ? m[1]!.split('.') : undefined;
}

describe('interpolation corpus', () => {
  it('holds 114 cases', () => {
    expect(cases).toHaveLength(114);
  });

  cases.forEach((c, index) => {
    it(`#${index} ${JSON.stringify(c.template)}`, () => {
      if (c.error) {
        let caught: unknown;
        try {
          run(c.template, c.env, pathFromMessage(c.errorContains));
        } catch (err) {
          caught = err;
        }
        expect(caught).toBeInstanceOf(TugError);
        const err = caught as TugError;
        if (c.errorContains !== undefined) expect(err.message).toContain(c.errorContains);
        if (c.errorType === 'MissingRequiredError') {
          expect(err).toBeInstanceOf(MissingVariableError);
          expect(err.code).toBe('interpolate.required');
        } else {
          expect(err.code).toBe('interpolate.syntax');
        }
        if (c.errorDetail) {
          const missing = err as MissingVariableError;
          expect({ variable: missing.variable, reason: missing.reason }).toEqual(c.errorDetail);
        }
        return;
      }
      const { result, unset } = run(c.template, c.env);
      expect(result).toBe(c.expected);
      if (c.warnings !== undefined) expect(unset).toHaveLength(c.warnings);
    });
  });
});

describe('interpolateString', () => {
  const env: Record<string, string> = { A: 'a', EMPTY: '' };
  const lookup = (name: string) => env[name];

  it('returns a string without $ unchanged (same instance, no lookups)', () => {
    const s = 'nginx:1.27-alpine';
    let lookups = 0;
    expect(interpolateString(s, () => (lookups++, 'x'))).toBe(s);
    expect(lookups).toBe(0);
  });

  it('turns $$ into a literal $ and does not expand what follows', () => {
    expect(interpolateString('$$A and $${A} and $$$A', lookup)).toBe('$A and ${A} and $a');
  });

  it('nests defaults and alternates', () => {
    expect(interpolateString('${X:-${Y:-${A}}}', lookup)).toBe('a');
    expect(interpolateString('${A:+[${A}]}', lookup)).toBe('[a]');
    expect(interpolateString('${EMPTY:-${X-fallback}}/${EMPTY-kept}', lookup)).toBe('fallback/');
  });

  it('reports each unset variable without a default once per use', () => {
    const unset: string[] = [];
    interpolateString('$X ${X} ${X:-d} ${Y}', lookup, (n) => unset.push(n));
    expect(unset).toEqual(['X', 'X', 'Y']);
  });

  it('keeps a $ that starts no variable', () => {
    expect(interpolateString('cost: $5, $-x, trailing $', lookup)).toBe('cost: $5, $-x, trailing $');
  });

  it('rejects a braced name that starts with a digit', () => {
    expect(() => interpolateString('${9}', lookup)).toThrow(/invalid interpolation format/);
  });

  it('names the path and gives a hint in syntax errors', () => {
    try {
      interpolateString('${A', lookup, undefined, ['services', 'web', 'image']);
      expect.unreachable();
    } catch (err) {
      const e = err as TugError;
      expect(e.code).toBe('interpolate.syntax');
      expect(e.message).toBe('invalid interpolation format for services.web.image: Invalid template: "${A"');
      expect(e.path).toEqual(['services', 'web', 'image']);
      expect(e.hint).toMatch(/\$\$/);
    }
  });

  it('prefixes required-variable errors with the path', () => {
    expect(() => interpolateString('${X:?set X}', lookup, undefined, ['services', 'db', 'environment', 'PW'])).toThrow(
      'error while interpolating services.db.environment.PW: required variable X is missing a value: set X',
    );
  });

  it('handles a large value quickly', () => {
    const big = '${A}-'.repeat(20_000);
    expect(interpolateString(big, lookup)).toBe('a-'.repeat(20_000));
  });
});
