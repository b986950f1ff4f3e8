// Waiting for replicas to reach a state: depends_on conditions, `up --wait`
// and an attached `up` watching for exits. It is event-driven, not polled:
// subscribe to backend events first (from the start of the command, so a
// backend that replays misses nothing that happened meanwhile), observe once
// (so a change between the two is not missed), then judge again on every
// event's snapshot until the condition is met, fails, times out or is aborted.
import { TugError } from '../core/errors.js';
import type { DependencyCondition } from '../core/model/types.js';
import type { ObservedReplica } from '../core/reconcile/observed.js';
import { judgeDependency, judgeServices, ofService, watched, type Verdict, type WatchedReplica } from '../core/reconcile/verdicts.js';
import type { RuntimeBackend } from '../runtime/backend.js';
import { after, type Timer } from '../timers.js';

export interface WaitOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
  /** ISO time the command began: changes since then count, even those made before the wait subscribed. */
  since?: string;
}

/** Resolves once `dependency` meets `condition`; rejects with `dependency.failed`, `wait.timeout` or `interrupted`. */
export function waitForCondition(
  backend: RuntimeBackend,
  project: string,
  dependency: string,
  condition: DependencyCondition,
  opts: WaitOptions,
): Promise<void> {
  const judge = (all: WatchedReplica[]): Verdict => judgeDependency(dependency, condition, ofService(all, dependency));
  return watchReplicas(backend, project, judge, {
    ...opts,
    timeoutError: (pending) =>
      new TugError({
        code: 'wait.timeout',
        message: `timed out after ${formatDuration(opts.timeoutMs ?? 0)} waiting for dependency "${dependency}" (${condition}): ${pending.join(', ')}`,
      }),
  });
}

export interface WaitForServicesOptions extends WaitOptions {
  /** One-shot services (consumed with service_completed_successfully): they must exit 0. */
  completedServices?: string[];
}

/** `up --wait`: every replica running, and healthy when it has a health check. */
export function waitForServices(backend: RuntimeBackend, project: string, services: string[], opts: WaitForServicesOptions): Promise<void> {
  const completed = new Set(opts.completedServices ?? []);
  const judge = (all: WatchedReplica[]): Verdict => judgeServices(services, completed, all);
  return watchReplicas(backend, project, judge, {
    ...opts,
    timeoutError: (pending) =>
      new TugError({
        code: 'wait.timeout',
        message: `application not healthy after ${formatDuration(opts.timeoutMs ?? 0)}: ${pending.join(', ')}`,
      }),
  });
}

export interface WatchOptions extends WaitOptions {
  /** Needed with timeoutMs. */
  timeoutError?: (pending: string[]) => TugError;
}

/**
 * Subscribes, observes once, then re-judges on each event until the verdict is
 * met (resolve) or carries an error (reject). Replicas are tracked by backend
 * id from event snapshots (a recreated replica's predecessor has the same
 * name), and a snapshot of a replica that is gone drops it; no event ever
 * causes another observe, since an observation may lag behind the events.
 */
export async function watchReplicas(
  backend: RuntimeBackend,
  project: string,
  judge: (replicas: WatchedReplica[]) => Verdict,
  opts: WatchOptions,
): Promise<void> {
  if (opts.signal?.aborted) throw interrupted();
  const unsubscribe = new AbortController();
  const known = new Map<string, WatchedReplica>();
  let verdict: Verdict = { met: false, pending: ['nothing observed yet'] };
  let timer: Timer | undefined;
  let onAbort: (() => void) | undefined;
  // Rejects on timeout or abort; raced against every await below.
  const stopped = new Promise<never>((_, reject) => {
    if (opts.timeoutMs !== undefined) {
      const timeoutError = opts.timeoutError ?? ((pending: string[]) => new TugError({ code: 'wait.timeout', message: `timed out: ${pending.join(', ')}` }));
      timer = after(opts.timeoutMs, () => reject(timeoutError(pendingOf(verdict))));
    }
    onAbort = () => reject(interrupted());
    opts.signal?.addEventListener('abort', onAbort, { once: true });
  });
  stopped.catch(() => {});

  const record = (replica: ObservedReplica, removed = false): void => {
    if (removed || replica.state === 'removing') return void known.delete(replica.id);
    known.set(replica.id, watched(replica, known.get(replica.id)));
  };

  const iterator = backend.replicas.events(project, unsubscribe.signal, { since: opts.since })[Symbol.asyncIterator]();
  try {
    // Asking for the first event before observing makes lazy (generator) streams subscribe now.
    let next = iterator.next();
    next.catch(() => {});
    const observed = await Promise.race([backend.replicas.observe(project), stopped]);
    for (const r of observed.replicas) record(r);
    for (;;) {
      verdict = judge([...known.values()]);
      if (verdict.met) return;
      if (verdict.error) throw verdict.error;
      const result = await Promise.race([next, stopped]);
      if (result.done) throw streamEnded(pendingOf(verdict));
      record(result.value.replica, result.value.action === 'remove');
      next = iterator.next();
      next.catch(() => {});
    }
  } finally {
    timer?.cancel();
    if (onAbort) opts.signal?.removeEventListener('abort', onAbort);
    unsubscribe.abort();
    // Not awaited: a stream stuck in a pending read settles on its own once unsubscribed.
    iterator.return?.().catch(() => {});
  }
}

function pendingOf(verdict: Verdict): string[] {
  return verdict.met ? [] : verdict.pending;
}

export function interrupted(): TugError {
  return new TugError({ code: 'interrupted', message: 'interrupted', exitCode: 130 });
}

function streamEnded(pending: string[]): TugError {
  return new TugError({ code: 'backend.events-ended', message: `the backend stopped reporting events while waiting: ${pending.join(', ')}` });
}

/** 30000 → "30s", 1500 → "1.5s", 250 → "250ms". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  return `${Number((ms / 1000).toFixed(1))}s`;
}
