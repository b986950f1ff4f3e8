// Deep or cyclic data is an error with a location, never a stack overflow:
// in the YAML text, through aliases, and in nested ${…} defaults.
import { describe, expect, it } from 'vitest';
import { ConfigErrors, TugError } from '../../src/core/errors.js';
import { interpolateString } from '../../src/core/load/interpolate.js';
import { findNestingProblem, MAX_NESTING } from '../../src/core/load/nesting.js';
import { parseYaml } from '../../src/core/load/parse.js';

function parseError(text: string): TugError {
  try {
    parseYaml('/p/compose.yaml', text);
  } catch (err) {
    if (err instanceof ConfigErrors) return err.errors[0]!;
    if (err instanceof TugError) return err;
    throw err;
  }
  throw new Error('parsed');
}

const nested = (levels: number) => '['.repeat(levels) + ']'.repeat(levels);

describe('nesting', () => {
  it('accepts 100 levels and refuses 101, at the line and column', () => {
    expect(parseYaml('f', `x: ${nested(MAX_NESTING - 1)}`).value).toBeTruthy();
    const err = parseError(`a: 1\nx: ${nested(5000)}`);
    expect(err.code).toBe('yaml.too-deep');
    expect(err.message).toBe('invalid YAML: nesting too deep at 2:103: more than 100 levels of lists and mappings');
    expect(err.location).toEqual({ file: '/p/compose.yaml', line: 2, column: 103 });
  });

  it('refuses deep block mappings and sequences the same way', () => {
    const block = Array.from({ length: 3000 }, (_, i) => `${' '.repeat(i)}k:`).join('\n') + ' 1\n';
    expect(parseError(block).code).toBe('yaml.too-deep');
    expect(parseError('- '.repeat(5000) + 'x\n').code).toBe('yaml.too-deep');
  });

  it('counts what aliases repeat, and points at the alias', () => {
    const lines = ['x-a0: &a0 [[[[[[[[[[1]]]]]]]]]]'];
    for (let i = 1; i < 12; i++) lines.push(`x-a${i}: &a${i} [[[[[[[[[[*a${i - 1}]]]]]]]]]]`);
    const err = parseError(lines.join('\n'));
    expect(err.code).toBe('yaml.too-deep');
    expect(err.message).toContain('(aliases count with the nodes they repeat)');
    expect(err.location?.line).toBeGreaterThan(1);
  });

  it('refuses an alias inside the node it names (a cycle), at the alias', () => {
    const err = parseError('services:\n  web: &x\n    image: a\n    x-self: *x\n');
    expect(err.code).toBe('yaml.alias-cycle');
    expect(err.location).toEqual({ file: '/p/compose.yaml', line: 4, column: 13 });
    expect(err.path).toEqual(['services', 'web', 'x-self']);
  });

  it('measures shared subtrees once (no blow-up on many aliases)', () => {
    const shared = { a: [1, 2, { b: 3 }] };
    const wide = Array.from({ length: 100_000 }, () => shared);
    expect(findNestingProblem({ wide })).toBeUndefined();
  });

  it('bounds nested ${…} defaults', () => {
    const template = '${A:-'.repeat(5000) + 'x' + '}'.repeat(5000);
    expect(() => interpolateString(template, () => undefined)).toThrow(expect.objectContaining({ code: 'interpolate.too-deep' }));
    expect(interpolateString('${A:-${B:-${C:-deep}}}', () => undefined)).toBe('deep');
  });
});
