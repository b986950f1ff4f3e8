// Project-wide watch settings from the top-level `x-tug.watch` extension.
// The quiet window is per project, not per service: one window batches the
// changes of every service, so a batch can order rebuilds before syncs before
// restarts before execs across services.
import { TugError } from '../errors.js';
import { parseDuration } from '../load/normalize/units.js';
import type { Project } from '../model/types.js';

/** Compose waits 500 ms of quiet; editors finish a save within a few ms, so 50 ms is plenty. */
export const DEFAULT_DEBOUNCE_MS = 50;

export interface WatchSettings {
  debounceMs: number;
}

export const DEBOUNCE_PATH = ['x-tug', 'watch', 'debounce'];

/** The settings, or a TugError (with the YAML path) when `x-tug.watch.debounce` is not a duration. */
export function watchSettings(project: Pick<Project, 'extensions'>): WatchSettings | TugError {
  const tug = project.extensions['x-tug'] as { watch?: { debounce?: unknown } } | undefined;
  const written = tug?.watch?.debounce;
  if (written === undefined || written === null) return { debounceMs: DEFAULT_DEBOUNCE_MS };
  const problem = (why: string) =>
    new TugError({
      code: 'watch.debounce',
      message: `x-tug.watch.debounce ${JSON.stringify(written)} ${why}`,
      path: DEBOUNCE_PATH,
      expected: 'a duration such as "50ms" or "1s", or a number of milliseconds',
    });
  let ms: number;
  if (typeof written === 'number') ms = written;
  else if (typeof written === 'string') {
    try {
      ms = /^\s*\d+(\.\d+)?\s*$/.test(written) ? Number(written) : parseDuration(written);
    } catch {
      return problem('is not a duration');
    }
  } else return problem('is not a duration');
  if (!Number.isFinite(ms) || ms < 0) return problem('is not a duration of zero or more');
  return { debounceMs: ms };
}
