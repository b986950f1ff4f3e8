// Numeric command-line values: each is parsed strictly, and a bad one is a
// usage error naming the flag, never ignored or turned into NaN.
import { describe, expect, it } from 'vitest';
import { parseParallel, parseReplicaIndex, parseTail, parseTimeoutSeconds, parseWaitTimeout } from '../../src/cli/args.js';

const usage = (message: string) => expect.objectContaining({ exitCode: 2, message });

describe('numeric flags', () => {
  it('--parallel and COMPOSE_PARALLEL_LIMIT: from 1, or -1 for no limit; the flag wins', () => {
    expect(parseParallel('4', '2')).toBe(4);
    expect(parseParallel(undefined, '2')).toBe(2);
    expect(parseParallel('-1', undefined)).toBe(Infinity);
    expect(parseParallel(undefined, undefined)).toBeUndefined();
    expect(parseParallel(undefined, '')).toBeUndefined();
    expect(() => parseParallel('0', undefined)).toThrow(usage('invalid --parallel "0": less than 1'));
    expect(() => parseParallel('-5', undefined)).toThrow(usage('invalid --parallel "-5": not a whole number'));
    expect(() => parseParallel('abc', undefined)).toThrow(usage('invalid --parallel "abc": not a whole number'));
    expect(() => parseParallel(undefined, '2.5')).toThrow(usage('invalid COMPOSE_PARALLEL_LIMIT "2.5": not a whole number'));
  });

  it('-t and --wait-timeout: whole seconds, large ones included; a wait timeout of 0 waits without limit', () => {
    expect(parseTimeoutSeconds('10')).toBe(10_000);
    expect(parseTimeoutSeconds('0')).toBe(0);
    expect(parseWaitTimeout('2592000')).toBe(2_592_000_000);
    expect(parseWaitTimeout('0')).toBeUndefined();
    expect(() => parseTimeoutSeconds('1e3')).toThrow(usage('invalid -t "1e3": not a whole number'));
    expect(() => parseWaitTimeout('-1')).toThrow(usage('invalid --wait-timeout "-1": not a whole number'));
    expect(() => parseTimeoutSeconds('99999999999999999999')).toThrow(usage('invalid -t "99999999999999999999": too large'));
  });

  it('--index from 1 and --tail as lines or "all"', () => {
    expect(parseReplicaIndex('2')).toBe(2);
    expect(() => parseReplicaIndex('0')).toThrow(usage('invalid --index "0": less than 1'));
    expect(() => parseReplicaIndex('abc')).toThrow(usage('invalid --index "abc": not a whole number'));
    expect(() => parseReplicaIndex('0x10')).toThrow(usage('invalid --index "0x10": not a whole number'));
    expect(parseTail('all')).toBeUndefined();
    expect(parseTail('25')).toBe(25);
    expect(() => parseTail('-3')).toThrow(usage('invalid --tail "-3": not a whole number'));
  });
});
