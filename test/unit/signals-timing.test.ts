import { describe, expect, it } from 'vitest';
import { exitStatus, parseSignal, signalNumberOf, stopSignalOf } from '../../src/core/model/signals.js';
import { DEFAULT_STOP_GRACE_MS, healthTimings, msToNs, stopGraceMs, writtenHealthTimings } from '../../src/core/model/timing.js';
import { restartPolicyOf, shouldRestart } from '../../src/core/model/restart-policy.js';
import { parsePortRange, publishedCandidates } from '../../src/core/model/port-range.js';
import type { ServiceSpec } from '../../src/core/model/types.js';

describe('signals: every form a user writes, one Linux table', () => {
  it('names with or without SIG, any case, numbers and aliases', () => {
    for (const form of ['TERM', 'SIGTERM', 'sigterm', ' term ', '15', 15]) expect(parseSignal(form)).toBe('SIGTERM');
    expect(parseSignal('9')).toBe('SIGKILL');
    expect(parseSignal('usr1')).toBe('SIGUSR1');
    expect(parseSignal('SIGIOT')).toBe('SIGABRT');
    expect(parseSignal('POLL')).toBe('SIGIO');
    expect(parseSignal('SIGWINCH')).toBe('SIGWINCH');
  });

  it('what names no signal is undefined', () => {
    for (const bad of ['', 'SIG', 'SIGBOGUS', '0', '32', '-9', 'TERM15', 'constructor', '__proto__', null, undefined]) expect(parseSignal(bad)).toBeUndefined();
  });

  it('numbers and exit statuses', () => {
    expect(signalNumberOf('HUP')).toBe(1);
    expect(signalNumberOf('SIGSYS')).toBe(31);
    expect(exitStatus(3, null)).toBe(3);
    expect(exitStatus(null, 'SIGKILL')).toBe(137);
    expect(exitStatus(null, 'SIGTERM')).toBe(143);
    expect(exitStatus(null, null)).toBe(255);
  });

  it('stop_signal: SIGTERM when absent', () => {
    expect(stopSignalOf(undefined)).toBe('SIGTERM');
    expect(stopSignalOf('QUIT')).toBe('SIGQUIT');
    expect(stopSignalOf('SIGNOPE')).toBeUndefined();
  });
});

describe('timing: each duration field read once', () => {
  it('stop_grace_period, 10 s by default, never negative', () => {
    expect(stopGraceMs(undefined)).toBe(DEFAULT_STOP_GRACE_MS);
    expect(stopGraceMs({})).toBe(10_000);
    expect(stopGraceMs({ stop_grace_period: '1m30s' })).toBe(90_000);
    expect(stopGraceMs({ stop_grace_period: '0s' })).toBe(0);
    expect(stopGraceMs({ stop_grace_period: '-5s' })).toBe(0);
  });

  it('health check timings: what is written, and Docker\'s defaults for what is absent or 0', () => {
    expect(writtenHealthTimings({ interval: '5s', start_period: '0s', retries: 2 })).toEqual({ intervalMs: 5_000, startPeriodMs: 0, retries: 2 });
    expect(healthTimings({ interval: '5s', timeout: '0s', retries: 0 })).toEqual({ intervalMs: 5_000, timeoutMs: 30_000, startPeriodMs: 0, startIntervalMs: 5_000, retries: 3 });
    expect(healthTimings({ start_period: '1m', start_interval: '500ms' })).toMatchObject({ startPeriodMs: 60_000, startIntervalMs: 500 });
    expect(msToNs(1.5)).toBe(1_500_000);
  });
});

describe('restart policy: restart:, or deploy.restart_policy, which wins', () => {
  const svc = (s: Partial<ServiceSpec>): ServiceSpec => s as ServiceSpec;
  it('reads both forms', () => {
    expect(restartPolicyOf('web', svc({}))).toEqual({ mode: 'no' });
    expect(restartPolicyOf('web', svc({ restart: 'on-failure:3' }))).toEqual({ mode: 'on-failure', maxAttempts: 3 });
    expect(restartPolicyOf('web', svc({ restart: 'unless-stopped' }))).toEqual({ mode: 'unless-stopped' });
    expect(restartPolicyOf('web', svc({ deploy: { restart_policy: { condition: 'any', delay: '2s' } } }))).toEqual({ mode: 'always', delayMs: 2_000 });
    expect(restartPolicyOf('web', svc({ deploy: { restart_policy: {} } }))).toEqual({ mode: 'always' });
    expect(restartPolicyOf('web', svc({ deploy: { restart_policy: { condition: 'none' } } }))).toEqual({ mode: 'no' });
  });

  it('deploy.restart_policy overrides restart:, as in Compose', () => {
    expect(restartPolicyOf('web', svc({ restart: 'always', deploy: { restart_policy: { condition: 'on-failure', max_attempts: 2 } } }))).toEqual({ mode: 'on-failure', maxAttempts: 2 });
  });

  it('refuses what no engine knows, pointing at the field', () => {
    expect(() => restartPolicyOf('web', svc({ restart: 'sometimes' }))).toThrow(expect.objectContaining({ code: 'engine.restart-policy', path: ['services', 'web', 'restart'] }));
    expect(() => restartPolicyOf('web', svc({ restart: 'always:3' }))).toThrow('invalid restart policy');
    expect(() => restartPolicyOf('web', svc({ deploy: { restart_policy: { condition: 'never' } } }))).toThrow(
      expect.objectContaining({ path: ['services', 'web', 'deploy', 'restart_policy', 'condition'] }),
    );
  });

  it('on-failure counts attempts; a user stop is never overridden by the caller', () => {
    expect(shouldRestart({ mode: 'on-failure', maxAttempts: 2 }, 1, 1)).toBe(true);
    expect(shouldRestart({ mode: 'on-failure', maxAttempts: 2 }, 1, 2)).toBe(false);
    expect(shouldRestart({ mode: 'on-failure' }, 0, 0)).toBe(false);
    expect(shouldRestart({ mode: 'always' }, 0, 99)).toBe(true);
  });
});

describe('port ranges: one parser', () => {
  it('ports and ranges', () => {
    expect(parsePortRange('80')).toEqual({ start: 80, end: 80 });
    expect(parsePortRange(' 8000-8002 ')).toEqual({ start: 8000, end: 8002 });
    expect(publishedCandidates('8000-8002')).toEqual([8000, 8001, 8002]);
    expect(publishedCandidates('65535')).toEqual([65535]);
  });

  it('what is not a range, and why', () => {
    expect(parsePortRange('0')).toEqual({ error: 'zero' });
    expect(parsePortRange('9-8')).toEqual({ error: 'reversed' });
    for (const bad of ['', 'x', '65536', '80-', '-80', '1e3', '080000', '80-90-100']) expect(parsePortRange(bad)).toEqual({ error: 'syntax' });
    expect(publishedCandidates('0-10')).toBeUndefined();
  });
});
