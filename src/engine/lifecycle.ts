// `start`, `stop`, `restart` and `kill`: act on existing replicas only (they
// never create anything), dependencies first for start, dependents first for
// stop. Each is an action, not a desired state: its plan runs once.
import { planKill, planRestart, planStart, planStop } from '../core/reconcile/down.js';
import type { Plan } from '../core/reconcile/operations.js';
import type { ObservedState } from '../core/reconcile/observed.js';
import { usageError } from '../core/errors.js';
import { parseSignal } from '../core/model/signals.js';
import { applyPlans } from './apply.js';
import { waitForServices } from './conditions.js';
import type { EngineContext } from './context.js';

export type LifecycleAction = 'start' | 'stop' | 'restart' | 'kill';

export interface LifecycleOptions {
  services?: string[];
  /** stop/restart: seconds before SIGKILL. */
  timeout?: number;
  /** kill: the signal (default SIGKILL). */
  signal?: string;
  /** start: return once the services run, healthy where they have a check. */
  wait?: boolean;
  /** start --wait: seconds; 0 or absent waits without limit. */
  waitTimeout?: number;
}

export async function lifecycle(ctx: EngineContext, project: string, action: LifecycleAction, opts: LifecycleOptions = {}): Promise<void> {
  const services = opts.services && opts.services.length > 0 ? opts.services : undefined;
  const timeoutMs = opts.timeout === undefined ? undefined : opts.timeout * 1000;
  const signal = action === 'kill' ? killSignal(opts.signal) : 'SIGKILL';
  const startedAt = new Date().toISOString();
  const planFor = (state: ObservedState): Plan => {
    switch (action) {
      case 'start':
        return planStart(state, { services });
      case 'stop':
        return planStop(state, { services, timeoutMs });
      case 'restart':
        return planRestart(state, { services, timeoutMs });
      case 'kill':
        return planKill(state, { services, signal });
    }
  };
  await applyPlans(ctx, { project, oneShot: true, planFor, since: startedAt });
  if (action === 'start' && opts.wait) {
    const observed = await ctx.backend.replicas.observe(project);
    const targets = services ?? [...new Set(observed.replicas.map((r) => r.service))];
    const waitTimeoutMs = opts.waitTimeout ? opts.waitTimeout * 1000 : undefined;
    await waitForServices(ctx.backend, project, targets, { timeoutMs: waitTimeoutMs, since: startedAt });
  }
}

/** `kill -s`: any form the core knows ("KILL", "SIGHUP", "9"); an unknown name is a usage error before anything is signalled. */
function killSignal(value: string | undefined): string {
  if (value === undefined) return 'SIGKILL';
  const name = parseSignal(value);
  if (name === undefined) throw usageError(`invalid signal "${value}"`, 'e.g. -s SIGTERM, -s KILL or -s 9');
  return name;
}
