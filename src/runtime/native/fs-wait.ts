// Waiting for something to change on disk without spinning: a directory
// watcher wakes us as soon as a file appears or goes, and a timeout covers the
// cases fs.watch misses (network file systems, events lost between checks).
import { watch, type FSWatcher } from 'node:fs';
import { after } from '../../timers.js';

export interface DirWaiter {
  /** Resolves on the next change in the directory (optionally only to `names`), after `ms`, or on abort. */
  next(ms: number, signal?: AbortSignal): Promise<void>;
  /** False when the directory could not be watched (missing, inotify limits reached): only the timeouts wake `next`. */
  readonly watching: boolean;
  close(): void;
}

/**
 * Watches `dir` for as long as the waiter lives, so a change that happens
 * between two `next()` calls is not lost: it makes the following `next()`
 * resolve at once.
 */
export function watchDir(dir: string, names?: readonly string[]): DirWaiter {
  let pending = false;
  let wake: (() => void) | undefined;
  let watcher: FSWatcher | undefined;
  const onChange = (_event: string, filename: string | Buffer | null): void => {
    if (names && filename !== null && !names.includes(String(filename))) return;
    pending = true;
    wake?.();
  };
  try {
    watcher = watch(dir, { persistent: false }, onChange);
    watcher.on('error', () => {
      watcher?.close();
      watcher = undefined;
    });
  } catch {
    watcher = undefined; // directory missing or not watchable: timeouts alone will do
  }
  return {
    get watching() {
      return watcher !== undefined;
    },
    next(ms, signal) {
      if (pending || signal?.aborted) {
        pending = false;
        return Promise.resolve();
      }
      return new Promise<void>((resolve) => {
        const done = (): void => {
          timer.cancel();
          signal?.removeEventListener('abort', done);
          wake = undefined;
          pending = false;
          resolve();
        };
        const timer = after(ms, done);
        signal?.addEventListener('abort', done, { once: true });
        wake = done;
      });
    },
    close() {
      watcher?.close();
      watcher = undefined;
      wake?.();
    },
  };
}
