// What replica states mean for a wait: whether a depends_on condition is met,
// whether `up --wait` may return, whether an attached `up` is over. Pure: the
// engine feeds these the snapshots it watches and acts on the verdict.
import { TugError } from '../errors.js';
import type { DependencyCondition } from '../model/types.js';
import type { ObservedReplica } from './observed.js';

/** A replica as a waiter knows it, and whether it has ever been started. */
export interface WatchedReplica {
  replica: ObservedReplica;
  started: boolean;
}

export type Verdict = { met: true } | { met: false; error?: TugError; pending: string[] };

export const MET: Verdict = { met: true };

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

export function judgeCompleted(service: string, replicas: WatchedReplica[], code: string): Verdict {
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

export function judgeRunningOrHealthy(service: string, replicas: WatchedReplica[]): Verdict {
  const pending: string[] = [];
  for (const { replica: r } of replicas) {
    const fail = (why: string): Verdict => ({ met: false, pending: [], error: new TugError({ code: 'wait.failed', message: `service "${service}" is not healthy: replica ${r.name} ${why}` }) });
    if (isExited(r)) return fail(`exited with code ${r.exitCode ?? 'unknown'}`);
    if (r.health === 'unhealthy') return fail('is unhealthy');
    if (r.state !== 'running' || (r.health !== undefined && r.health !== 'healthy')) pending.push(`${r.name} is ${r.health ?? r.state}`);
  }
  return pending.length === 0 ? MET : { met: false, pending };
}

export function combine(verdicts: Verdict[]): Verdict {
  const pending: string[] = [];
  for (const v of verdicts) {
    if (v.met) continue;
    if (v.error) return v;
    pending.push(...v.pending);
  }
  return pending.length === 0 ? MET : { met: false, pending };
}


/** `up --wait`: every replica running and healthy, one-shot services (consumed with service_completed_successfully) exited 0. */
export function judgeServices(services: readonly string[], completed: ReadonlySet<string>, all: WatchedReplica[]): Verdict {
  return combine(
    services.map((service) => {
      const replicas = ofService(all, service);
      return completed.has(service) ? judgeCompleted(service, replicas, 'wait.failed') : judgeRunningOrHealthy(service, replicas);
    }),
  );
}

export interface AttachPolicy {
  services: readonly string[];
  /** --abort-on-container-exit (implied by --exit-code-from). */
  abortOnExit: boolean;
  exitCodeFrom?: string;
}

/**
 * When an attached `up` is over: with an abort flag, once a replica of the
 * services (of --exit-code-from's service, when given) has exited, which
 * `onExit` learns; without, once none of them runs any more. `up` started
 * every replica it attaches to, so one found exited has exited since, or was
 * listed as running when `up` planned (a lagging engine list) and has exited
 * all the same.
 */
export function attachVerdict(replicas: readonly ObservedReplica[], policy: AttachPolicy, onExit: (replica: ObservedReplica) => void): Verdict {
  const mine = replicas.filter((r) => !r.oneoff && policy.services.includes(r.service)).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  if (policy.abortOnExit) {
    const exited = mine.find((r) => r.state === 'exited' && (!policy.exitCodeFrom || policy.exitCodeFrom === r.service));
    if (!exited) return { met: false, pending: [] };
    onExit(exited);
    return MET;
  }
  return mine.some((r) => r.state === 'running' || r.state === 'restarting') ? { met: false, pending: [] } : MET;
}

export function ofService(all: WatchedReplica[], service: string): WatchedReplica[] {
  return all.filter((w) => w.replica.service === service && !w.replica.oneoff).sort((a, b) => a.replica.number - b.replica.number);
}

function hasBeenStarted(r: ObservedReplica): boolean {
  return r.state === 'running' || r.state === 'restarting' || r.state === 'paused' || r.startedAt !== undefined;
}

/** The replica as a waiter now knows it: started once means started, whatever it does since. */
export function watched(replica: ObservedReplica, before: WatchedReplica | undefined): WatchedReplica {
  return { replica, started: (before?.started ?? false) || hasBeenStarted(replica) };
}

function isExited(r: ObservedReplica): boolean {
  return r.state === 'exited' || r.state === 'dead';
}

function dependencyFailed(dependency: string, why: string): TugError {
  return new TugError({ code: 'dependency.failed', message: `dependency "${dependency}" failed to start: ${why}` });
}
