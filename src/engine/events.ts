// Typed events the engine emits while it works: plan steps, waits, warnings,
// image progress, replica output while attached. Rendering them (listr2, plain
// lines, JSON) is the CLI's business; the programmatic API hands them to the
// caller's `onEvent`.
import type { BuildEvent } from '../core/build/events.js';
import type { Operation, Plan } from '../core/reconcile/operations.js';
import type { ImageProgress, LogLine } from '../runtime/backend.js';

export type EngineEvent =
  | { type: 'plan'; plan: Plan; time: number }
  | { type: 'step-start'; stepId: string; op: Operation; time: number }
  | { type: 'step-done'; stepId: string; op: Operation; time: number }
  | { type: 'step-failed'; stepId: string; op: Operation; error: Error; time: number }
  | { type: 'step-skipped'; stepId: string; op: Operation; reason: string; time: number }
  | { type: 'waiting'; service: string; dependency: string; condition: string; time: number }
  | { type: 'converge-round'; round: number; steps: number; time: number }
  | { type: 'up-to-date'; time: number }
  /** Something the user should know and may want to act on (orphans, kept volumes, a lock held by another command). */
  | { type: 'warning'; message: string; time: number }
  /** A milestone or a repair done on the user's behalf ("all services are running and healthy"). */
  | { type: 'notice'; message: string; time: number }
  | { type: 'image'; progress: ImageProgress; time: number }
  /** A step of tug's own builder (`tug build` on the native backend). */
  | { type: 'build'; event: BuildEvent; time: number }
  /** Attached output (`up` without -d, `run`): the replicas whose lines may follow come first. */
  | { type: 'attached'; replicas: string[]; time: number }
  | { type: 'log'; line: LogLine; time: number }
  /** An attached replica exited and the abort policy ends the attachment. */
  | { type: 'replica-exited'; replica: string; service: string; exitCode: number; time: number }
  /** The attached services are being stopped: on an interrupt (force on the second) or after an exit. */
  | { type: 'stopping'; force: boolean; reason: 'interrupt' | 'exit'; time: number };

export type EventSink = (event: EngineEvent) => void;

/** An event without its time, as emitters write it. */
export type EventInit = DistributiveOmit<EngineEvent, 'time'>;

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** Where an engine verb reports to: events as they happen, and a point to wait for a live view to catch up. */
export interface EngineHooks {
  event: EventSink;
  /**
   * Awaited when a stretch of progress ends (a plan applied, images ready), so
   * a live view has finished drawing before what follows is printed.
   */
  settle?(): Promise<void>;
}

export function stamp(event: EventInit): EngineEvent {
  return { ...event, time: Date.now() } as EngineEvent;
}
