// Waiting for replicas to reach a state: depends_on conditions, `up --wait`
// and an attached `up` watching for exits. It is event-driven, not polled:
// subscribe to backend events first (from the start of the command, so a
// backend that replays misses nothing that happened meanwhile), observe once
// (so a change between the two is not missed), then judge again on every
// event's snapshot until the condition is met, fails, times out or is aborted.
import { TugError } from '../core/errors.js';
import type { DependencyCondition } from '../core/model/types.js';
import type { ObservedReplica } from '../core/reconcile/observed.js';
import type { RuntimeBackend } from '../runtime/backend.js';
import { after, type Timer } from '../timers.js';

export interface WaitOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
  /** ISO time the command began: changes since then count, even those made before the wait subscribed. */
  since?: string;
}

/** A replica as the waiter knows it, and whether it has ever been started. */
export interface WatchedReplica {
  replica: ObservedReplica;
  started: boolean;
}

export type Verdict = { met: true } | { met: false; error?: TugError; pending: string[] };

const MET: Verdict = { met: true };

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
  const judge = (all: WatchedReplica[]): Verdict => {
    const verdicts = services.map((service) => {
      const replicas = ofService(all, service);
      return completed.has(service) ? judgeCompleted(service, replicas, 'wait.failed') : judgeRunningOrHealthy(service, replicas);
    });
    return combine(verdicts);
  };
  return watchReplicas(backend, project, judge, {
    ...opts,
    timeoutError: (pending) =>
      new TugError({
        code: 'wait.timeout',
        message: `application not healthy after ${formatDuration(opts.timeoutMs ?? 0)}: ${pending.join(', ')}`,
      }),
  });
}

export function judgeDependency(dependency: string, condition: DependencyCondition, replicas: WatchedReplica[]): Verdict {
  // Compose does not wait for a dependency scaled to 0.
  if (replicas.length === 0) return MET;
  switch (condition) {
    case 'service_started':
      return replicas.some((w) => w.started) ? MET : { met: false, pending: replicas.map((w) => `${w.replica.name} is ${w.replica.state}`) };
    case 'service_healthy':
      return judgeHealthy(dependency, replicas);
    case 'service_completed_successfully':
      return judgeCompleted(dependency, replicas, 'dependency.failed');
  }
}

function judgeHealthy(dependency: string, replicas: WatchedReplica[]): Verdict {
  const failed = (why: string): Verdict => ({ met: false, pending: [], error: dependencyFailed(dependency, why) });
  const pending: string[] = [];
  for (const { replica: r } of replicas) {
    if (isExited(r)) return failed(`replica ${r.name} exited with code ${r.exitCode ?? 'unknown'}`);
    if (r.health === 'unhealthy') return failed(`replica ${r.name} is unhealthy`);
    if (r.state === 'running' && r.health === undefined) {
      return {
        met: false,
        pending: [],
        error: new TugError({
          code: 'dependency.failed',
          message: `dependency ${dependency} has no health check`,
          hint: `add a healthcheck to service "${dependency}", or depend on it with condition: service_started`,
        }),
      };
    }
    if (r.state !== 'running' || r.health !== 'healthy') pending.push(`${r.name} is ${r.health ?? r.state}`);
  }
  return pending.length === 0 ? MET : { met: false, pending };
}

function judgeCompleted(service: string, replicas: WatchedReplica[], code: string): Verdict {
  const pending: string[] = [];
  for (const { replica: r } of replicas) {
    if (isExited(r) && r.exitCode !== 0) {
      const message = `${code === 'dependency.failed' ? 'dependency' : 'service'} "${service}" did not complete successfully: replica ${r.name} exited with code ${r.exitCode ?? 'unknown'}`;
      return { met: false, pending: [], error: new TugError({ code, message }) };
    }
    if (!isExited(r)) pending.push(`${r.name} is ${r.state}`);
  }
  return pending.length === 0 ? MET : { met: false, pending };
}

function judgeRunningOrHealthy(service: string, replicas: WatchedReplica[]): Verdict {
  const pending: string[] = [];
  for (const { replica: r } of replicas) {
    const fail = (why: string): Verdict => ({ met: false, pending: [], error: new TugError({ code: 'wait.failed', message: `service "${service}" is not healthy: replica ${r.name} ${why}` }) });
    if (isExited(r)) return fail(`exited with code ${r.exitCode ?? 'unknown'}`);
    if (r.health === 'unhealthy') return fail('is unhealthy');
    if (r.state !== 'running' || (r.health !== undefined && r.health !== 'healthy')) pending.push(`${r.name} is ${r.health ?? r.state}`);
  }
  return pending.length === 0 ? MET : { met: false, pending };
}

function combine(verdicts: Verdict[]): Verdict {
  const pending: string[] = [];
  for (const v of verdicts) {
    if (v.met) continue;
    if (v.error) return v;
    pending.push(...v.pending);
  }
  return pending.length === 0 ? MET : { met: false, pending };
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
    const started = (known.get(replica.id)?.started ?? false) || hasBeenStarted(replica);
    known.set(replica.id, { replica, started });
  };

  const iterator = backend.events(project, unsubscribe.signal, { since: opts.since })[Symbol.asyncIterator]();
  try {
    // Asking for the first event before observing makes lazy (generator) streams subscribe now.
    let next = iterator.next();
    next.catch(() => {});
    const observed = await Promise.race([backend.observe(project), stopped]);
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

function ofService(all: WatchedReplica[], service: string): WatchedReplica[] {
  return all.filter((w) => w.replica.service === service && !w.replica.oneoff).sort((a, b) => a.replica.number - b.replica.number);
}

function hasBeenStarted(r: ObservedReplica): boolean {
  return r.state === 'running' || r.state === 'restarting' || r.state === 'paused' || r.startedAt !== undefined;
}

function isExited(r: ObservedReplica): boolean {
  return r.state === 'exited' || r.state === 'dead';
}

function pendingOf(verdict: Verdict): string[] {
  return verdict.met ? [] : verdict.pending;
}

function dependencyFailed(dependency: string, why: string): TugError {
  return new TugError({ code: 'dependency.failed', message: `dependency "${dependency}" failed to start: ${why}` });
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
