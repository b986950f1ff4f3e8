// Every delay tug waits goes through here. Node's setTimeout keeps its delay
// in a signed 32-bit field: 2^31 ms or more (about 24.8 days) is replaced by
// 1 ms with a TimeoutOverflowWarning, so a health check with `interval: 720h`
// would probe every millisecond. These timers split a long delay into steps
// that fit, so a delay of any length fires once, at its time, or never
// (Infinity). Negative and NaN delays fire on the next turn, as Node's do.

/** The longest delay a single Node timer holds without overflowing. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export interface Timer {
  /** Stops the timer; harmless after it fired. */
  cancel(): void;
  /** Lets the process exit while only this timer is pending. */
  unref(): Timer;
}

/** Runs `fn` once after `ms` milliseconds. */
export function after(ms: number, fn: () => void): Timer {
  let handle: NodeJS.Timeout | undefined;
  let cancelled = false;
  let unrefed = false;
  const deadline = Date.now() + (Number.isFinite(ms) ? Math.max(0, ms) : 0);
  const arm = (wait: number): void => {
    handle = setTimeout(step, Math.min(wait, MAX_TIMER_MS));
    if (unrefed) handle.unref();
  };
  const step = (): void => {
    handle = undefined;
    if (cancelled) return;
    const left = deadline - Date.now();
    if (left > 0) arm(left);
    else fn();
  };
  const timer: Timer = {
    cancel() {
      cancelled = true;
      if (handle) clearTimeout(handle);
      handle = undefined;
    },
    unref() {
      unrefed = true;
      handle?.unref();
      return timer;
    },
  };
  // Infinity: never fires, and holds nothing that would keep the process alive.
  if (ms === Infinity) return timer;
  arm(Number.isFinite(ms) ? Math.max(0, ms) : 0);
  return timer;
}

/** Resolves after `ms`, or as soon as the signal aborts (never rejects). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = (): void => {
      timer.cancel();
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = after(ms, done);
    signal?.addEventListener('abort', done, { once: true });
  });
}
