// How long the native engine waits before restarting a replica its restart
// policy (core/model/restart-policy.ts) says runs again. The back-off follows
// Docker's restart manager with a lower ceiling: 100 ms doubling per restart
// up to 10 s, back to 100 ms once a run lasted 10 s, so a crash-looping
// replica costs little and a flake restarts fast. deploy.restart_policy.delay
// replaces the first wait.

export const BACKOFF_START_MS = 100;
export const BACKOFF_MAX_MS = 10_000;
/** A run at least this long counts as healthy and resets the back-off. */
export const BACKOFF_RESET_AFTER_MS = 10_000;

export class Backoff {
  private current = 0;

  constructor(private readonly startMs = BACKOFF_START_MS) {}

  /** The wait before the next restart, given how long the run that just ended lasted. */
  next(ranMs: number): number {
    if (this.current === 0 || ranMs >= BACKOFF_RESET_AFTER_MS) this.current = this.startMs;
    else this.current = Math.min(this.current * 2, Math.max(BACKOFF_MAX_MS, this.startMs));
    return this.current;
  }

  reset(): void {
    this.current = 0;
  }
}
