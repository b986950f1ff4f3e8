import { afterEach, describe, expect, it, vi } from 'vitest';
import { after, MAX_TIMER_MS, sleep } from '../../src/timers.js';

const DAY = 24 * 3_600_000;

describe('timers', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('fires a delay beyond 2^31 ms once, at its time, not after 1 ms', () => {
    vi.useFakeTimers();
    const fired: number[] = [];
    const start = Date.now();
    after(30 * DAY, () => fired.push(Date.now() - start)); // 720h, as in `interval: 720h`
    vi.advanceTimersByTime(2_000);
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(MAX_TIMER_MS); // past one full Node timer
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(30 * DAY);
    expect(fired).toHaveLength(1);
    expect(fired[0]).toBeGreaterThanOrEqual(30 * DAY);
  });

  it('emits no TimeoutOverflowWarning for long delays', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on('warning', onWarning);
    const timer = after(2 ** 40, () => undefined);
    await new Promise((r) => setImmediate(r));
    timer.cancel();
    process.off('warning', onWarning);
    expect(warnings).not.toContain('TimeoutOverflowWarning');
  });

  it('cancel stops a long timer between its steps', () => {
    vi.useFakeTimers();
    let fired = false;
    const timer = after(MAX_TIMER_MS * 2, () => (fired = true));
    vi.advanceTimersByTime(MAX_TIMER_MS + 10);
    timer.cancel();
    vi.advanceTimersByTime(MAX_TIMER_MS * 2);
    expect(fired).toBe(false);
  });

  it('never fires an Infinity delay; negative and NaN fire on the next turn', () => {
    vi.useFakeTimers();
    const fired: string[] = [];
    after(Infinity, () => fired.push('inf'));
    after(-5, () => fired.push('neg'));
    after(Number.NaN, () => fired.push('nan'));
    vi.advanceTimersByTime(1);
    expect(fired.sort()).toEqual(['nan', 'neg']);
    vi.advanceTimersByTime(100 * 365 * DAY);
    expect(fired).not.toContain('inf');
  });

  it('sleep resolves on abort', async () => {
    const controller = new AbortController();
    const slept = sleep(60 * DAY, controller.signal);
    controller.abort();
    await expect(slept).resolves.toBeUndefined();
  });
});
