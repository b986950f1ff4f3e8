// What a replica's observed state means for planning: whether it has a process
// to stop, whether `start` would (re)launch it, and how long a stop may take.
import { DEFAULT_STOP_GRACE_MS, stopGraceMs } from '../model/timing.js';
import type { ServiceSpec } from '../model/types.js';
import type { ObservedReplica } from './observed.js';

/** Compose's default stop grace period. */
export const DEFAULT_STOP_TIMEOUT_MS = DEFAULT_STOP_GRACE_MS;

/** A process exists (or is about to): stopping it is meaningful. */
export function hasProcess(replica: Pick<ObservedReplica, 'state'>): boolean {
  return replica.state === 'running' || replica.state === 'restarting' || replica.state === 'paused';
}

/** Created but never started, or exited: a start-replica brings it up. */
export function isStartable(replica: Pick<ObservedReplica, 'state'>): boolean {
  return replica.state === 'created' || replica.state === 'exited';
}

/** `-t` wins, then the service's stop_grace_period, then 10 s. */
export function stopTimeoutMs(spec: ServiceSpec | undefined, override: number | undefined): number {
  return override ?? stopGraceMs(spec);
}
