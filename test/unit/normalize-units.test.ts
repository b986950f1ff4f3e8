import { describe, expect, it } from 'vitest';
import { TugError } from '../../src/core/errors.js';
import { canonicalDuration, formatDuration, parseBytes, parseDuration } from '../../src/core/load/normalize/units.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof TugError ? err.code : 'not a TugError';
  }
  return undefined;
}

describe('parseDuration', () => {
  it('reads Go duration strings into milliseconds', () => {
    expect(parseDuration('10s')).toBe(10_000);
    expect(parseDuration('1m30s')).toBe(90_000);
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('1h')).toBe(3_600_000);
    expect(parseDuration('1.5s')).toBe(1500);
    expect(parseDuration('2us')).toBeCloseTo(0.002);
    expect(parseDuration('2µs')).toBeCloseTo(0.002);
    expect(parseDuration('100ns')).toBeCloseTo(0.0001);
    expect(parseDuration('1h2m3s4ms')).toBe(3_723_004);
    expect(parseDuration('.5m')).toBe(30_000);
    expect(parseDuration('-1s')).toBe(-1000);
    expect(parseDuration('1d')).toBe(86_400_000);
  });

  it('accepts 0 without a unit, like Go', () => {
    expect(parseDuration('0')).toBe(0);
    expect(parseDuration(0)).toBe(0);
  });

  it('rejects garbage and bare numbers with normalize.duration', () => {
    for (const bad of ['', 'abc', '10', '10x', 's', '1..5s', '1s2', ' 10s']) {
      expect(codeOf(() => parseDuration(bad)), bad).toBe('normalize.duration');
    }
    expect(codeOf(() => parseDuration(10))).toBe('normalize.duration');
  });

  it('suggests a unit when the value is a bare number', () => {
    try {
      parseDuration('30');
    } catch (err) {
      expect((err as TugError).hint).toContain('"30s"');
    }
  });
});

describe('formatDuration', () => {
  it("prints Go's time.Duration.String() form", () => {
    expect(formatDuration(0)).toBe('0s');
    expect(formatDuration(10_000)).toBe('10s');
    expect(formatDuration(90_000)).toBe('1m30s');
    expect(formatDuration(500)).toBe('500ms');
    expect(formatDuration(1500)).toBe('1.5s');
    expect(formatDuration(60_000)).toBe('1m0s');
    expect(formatDuration(3_600_000)).toBe('1h0m0s');
    expect(formatDuration(5_400_000)).toBe('1h30m0s');
    expect(formatDuration(0.002)).toBe('2µs');
    expect(formatDuration(0.0015)).toBe('1.5µs');
    expect(formatDuration(0.0001)).toBe('100ns');
    expect(formatDuration(1.25)).toBe('1.25ms');
    expect(formatDuration(-1500)).toBe('-1.5s');
    expect(formatDuration(90_500)).toBe('1m30.5s');
  });

  it('round-trips through parseDuration', () => {
    expect(canonicalDuration('90s')).toBe('1m30s');
    expect(canonicalDuration('1m30s')).toBe('1m30s');
    expect(canonicalDuration('0.5s')).toBe('500ms');
    expect(canonicalDuration('120m')).toBe('2h0m0s');
  });
});

describe('parseBytes', () => {
  it('reads binary multiples, case-insensitive, with an optional b/ib', () => {
    expect(parseBytes('1.5G')).toBe(1_610_612_736);
    expect(parseBytes('1.5g')).toBe(1_610_612_736);
    expect(parseBytes('512m')).toBe(512 * 1024 * 1024);
    expect(parseBytes('100k')).toBe(102_400);
    expect(parseBytes('1gb')).toBe(1024 ** 3);
    expect(parseBytes('1GiB')).toBe(1024 ** 3);
    expect(parseBytes('1 KiB')).toBe(1024);
    expect(parseBytes('2b')).toBe(2);
    expect(parseBytes('2048')).toBe(2048);
    expect(parseBytes(2048)).toBe(2048);
    expect(parseBytes('1t')).toBe(1024 ** 4);
  });

  it('truncates fractions of a byte', () => {
    expect(parseBytes('1.5')).toBe(1);
    expect(parseBytes('0.3k')).toBe(307);
  });

  it('allows -1 (unlimited swap)', () => {
    expect(parseBytes('-1')).toBe(-1);
    expect(parseBytes(-1)).toBe(-1);
  });

  it('rejects garbage with normalize.bytes', () => {
    for (const bad of ['', 'abc', '1x', '1kk', '1kbb', '-5m', '1.2.3m', 'm']) {
      expect(codeOf(() => parseBytes(bad)), bad).toBe('normalize.bytes');
    }
  });
});
