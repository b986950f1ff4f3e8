import { describe, expect, it } from 'vitest';
import { pullDecision } from '../../src/core/images/pull-policy.js';
import type { ServiceSpec } from '../../src/core/model/types.js';

const now = new Date('2026-12-01T12:00:00Z');
const decide = (spec: ServiceSpec, storedAt?: string, flag?: string) =>
  pullDecision({ service: 'web', spec, now, ...(storedAt && { storedAt }), ...(flag && { flag }) });
const hoursAgo = (h: number) => new Date(now.getTime() - h * 3600_000).toISOString();

describe('pullDecision', () => {
  it('follows always, missing (the default), never and if_not_present', () => {
    expect(decide({ image: 'a' })).toBe('pull');
    expect(decide({ image: 'a' }, hoursAgo(1))).toBe('use');
    expect(decide({ image: 'a', pull_policy: 'always' }, hoursAgo(1))).toBe('pull');
    expect(decide({ image: 'a', pull_policy: 'if_not_present' }, hoursAgo(1))).toBe('use');
    expect(decide({ image: 'a', pull_policy: 'never' }, hoursAgo(1))).toBe('use');
    expect(() => decide({ image: 'a', pull_policy: 'never' })).toThrow(/not in the image store and its pull_policy is never/);
  });

  it('pulls daily, weekly and every_<d> images when the last pull is older', () => {
    expect(decide({ image: 'a', pull_policy: 'daily' }, hoursAgo(23))).toBe('use');
    expect(decide({ image: 'a', pull_policy: 'daily' }, hoursAgo(25))).toBe('pull');
    expect(decide({ image: 'a', pull_policy: 'weekly' }, hoursAgo(24 * 6))).toBe('use');
    expect(decide({ image: 'a', pull_policy: 'weekly' }, hoursAgo(24 * 8))).toBe('pull');
    expect(decide({ image: 'a', pull_policy: 'every_12h' }, hoursAgo(11))).toBe('use');
    expect(decide({ image: 'a', pull_policy: 'every_12h' }, hoursAgo(13))).toBe('pull');
    expect(decide({ image: 'a', pull_policy: 'every_2h' })).toBe('pull');
    expect(() => decide({ image: 'a', pull_policy: 'every_x' })).toThrow(/invalid pull_policy "every_x"/);
  });

  it('lets --pull override the file', () => {
    expect(decide({ image: 'a', pull_policy: 'never' }, hoursAgo(1), 'always')).toBe('pull');
    expect(decide({ image: 'a', pull_policy: 'always' }, hoursAgo(1), 'missing')).toBe('use');
  });

  it('skips host-command services and builds as Compose decides: --build, pull_policy build, or a missing image', () => {
    const build = { context: '.' };
    const decideWith = (spec: ServiceSpec, storedAt: string | undefined, flag: 'always' | 'never' | 'missing') =>
      pullDecision({ service: 'web', spec, now, build: flag, ...(storedAt && { storedAt }) });
    expect(decide({ command: ['x'] })).toBe('skip');
    expect(decide({ build })).toBe('build');
    expect(decide({ build }, hoursAgo(1))).toBe('use');
    expect(decide({ image: 'a', build })).toBe('build');
    expect(decide({ image: 'a', build }, hoursAgo(1))).toBe('use');
    expect(decide({ image: 'a', build, pull_policy: 'build' }, hoursAgo(1))).toBe('build');
    expect(decide({ image: 'a', build, pull_policy: 'always' }, hoursAgo(1))).toBe('pull');
    expect(decideWith({ image: 'a', build }, hoursAgo(1), 'always')).toBe('build');
    expect(decideWith({ build }, hoursAgo(1), 'never')).toBe('use');
    expect(() => decideWith({ build }, undefined, 'never')).toThrow(/has not been built, and --no-build was given/);
    expect(() => decide({ image: 'a', pull_policy: 'build' }, hoursAgo(1))).toThrow(/pull_policy is build, but it has no build: section/);
  });
});
