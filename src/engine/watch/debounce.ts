// Gathers changes until the file system has been quiet for a short window,
// then hands them over as one batch. The window slides: every change restarts
// it, so a save that touches ten files makes one batch. A change made again
// within the window counts once (its last kind wins). So that a long stream of
// writes (a checkout, a build writing into the tree) cannot hold a batch back
// forever, a batch is also handed over `maxWaitMs` after its first change.
import type { PathChange } from '../../core/watch/changes.js';
import { after, type Timer } from '../../timers.js';

export interface ChangeBatcher {
  push(change: PathChange): void;
  /** Hands over what is pending now (if anything), without waiting for quiet. */
  flush(): void;
  /** Drops what is pending and stops the timers. */
  close(): void;
}

export interface BatchOptions {
  quietMs: number;
  /** Upper bound on how long a batch waits after its first change; default 20 quiet windows, at least 1 s. */
  maxWaitMs?: number;
}

export function batchChanges(opts: BatchOptions, onBatch: (changes: PathChange[]) => void): ChangeBatcher {
  const maxWaitMs = opts.maxWaitMs ?? Math.max(1000, opts.quietMs * 20);
  let pending = new Map<string, PathChange>();
  let quiet: Timer | undefined;
  let deadline: Timer | undefined;
  let closed = false;

  const flush = (): void => {
    quiet?.cancel();
    deadline?.cancel();
    quiet = deadline = undefined;
    if (pending.size === 0) return;
    const batch = [...pending.values()];
    pending = new Map();
    onBatch(batch);
  };

  return {
    push(change) {
      if (closed) return;
      // Deleting and re-adding moves the path to the end, so the batch keeps the order things last happened in.
      pending.delete(change.path);
      pending.set(change.path, change);
      quiet?.cancel();
      quiet = after(opts.quietMs, flush);
      deadline ??= after(maxWaitMs, flush);
    },
    flush,
    close() {
      closed = true;
      quiet?.cancel();
      deadline?.cancel();
      pending.clear();
    },
  };
}
