// What watching reports, one event per action taken, for the CLI to render
// (plain lines, JSON lines) and for programmatic users. Times are epoch ms.
import type { TugError } from '../../core/errors.js';
import type { ServiceReloadChange } from '../../core/watch/reload-diff.js';

export type { ServiceChange } from '../../core/watch/reload-diff.js';

export type WatchEvent =
  /** The initial scan is done: changes from now on are acted upon. */
  | { type: 'watching'; services: string[]; paths: string[]; time: number }
  | { type: 'sync'; service: string; replica: string; files: number; removed: number; ms: number; time: number }
  | { type: 'restart'; service: string; replicas: string[]; ms: number; time: number }
  /** `restarted`: replicas of the dependents that declare `restart: true` on it, restarted around the recreate. */
  | { type: 'rebuild'; service: string; restarted: string[]; ms: number; time: number }
  /** `output`: the last of what the hook printed (its stdio is not the terminal's). */
  | { type: 'exec'; service: string; replica: string; command: string[]; exitCode: number; output: string; ms: number; time: number }
  /** The project's files changed and the new model is running: one entry per service that changed. */
  | { type: 'reload'; services: ServiceReloadChange[]; time: number }
  /** The project's files changed but do not load: nothing running was touched. */
  | { type: 'reload-rejected'; errors: TugError[]; time: number }
  /** Something worth saying once (a sync that needs nothing, a rule that is skipped). */
  | { type: 'notice'; service?: string; message: string; time: number }
  /** An action failed; watching goes on. */
  | { type: 'error'; service?: string; replica?: string; error: TugError; time: number };

export type WatchEventSink = (event: WatchEvent) => void;

/** An event without its time, as the watch's parts write it. */
export type WatchEventInit = WatchEvent extends infer E ? (E extends unknown ? Omit<E, 'time'> : never) : never;
