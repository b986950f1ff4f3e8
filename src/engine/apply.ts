// Runs plans for a verb: under the project lock, after the backend's
// preflight, converging until nothing is left to do (or once, for a one-shot
// action). up, scale, run, start, stop, restart, kill and down all go through
// here; they differ only in how they plan.
import { ConfigErrors, TugError } from '../core/errors.js';
import type { ObservedState } from '../core/reconcile/observed.js';
import type { Operation, Plan, ReplicaSpec } from '../core/reconcile/operations.js';
import { rangeShortfalls } from '../core/reconcile/port-ranges.js';
import { emit, type EngineContext } from './context.js';
import { converge } from './converge.js';
import { interrupted } from './conditions.js';

export interface ApplyOptions {
  project: string;
  planFor: (observed: ObservedState, round: number) => Plan;
  signal?: AbortSignal;
  /** Run the backend's preflight checks (ports, external resources...) on the first plan. */
  preflight?: boolean;
  maxRounds?: number;
  /** Lifecycle plans (stop, start, restart, kill): executed once, never re-planned (see converge). */
  oneShot?: boolean;
  /** ISO time the command began: dependency waits count what changed since. */
  since?: string;
  /** Bound on each depends_on wait. */
  waitTimeoutMs?: number;
}

export interface ApplyOutcome {
  upToDate: boolean;
  executed: number;
}

export async function applyPlans(ctx: EngineContext, opts: ApplyOptions): Promise<ApplyOutcome> {
  const { backend } = ctx;
  const run = async (): Promise<ApplyOutcome> => {
    if (opts.preflight) {
      const observed = await backend.replicas.observe(opts.project);
      const plan = opts.planFor(observed, 1);
      // Rules of the file that hold on every backend come first, so a plan
      // that cannot work is refused the same way everywhere.
      const shortfalls = rangeShortfalls(createdReplicas(plan));
      if (shortfalls.length > 0) throw new ConfigErrors(shortfalls);
      const problems = backend.preflight ? await backend.preflight(plan, observed) : [];
      if (problems.length > 0) throw new ConfigErrors(problems);
    }
    const result = await converge({
      backend,
      project: opts.project,
      parallel: ctx.parallel,
      maxRounds: opts.maxRounds,
      oneShot: opts.oneShot,
      signal: opts.signal,
      eventsSince: opts.since,
      waitTimeoutMs: opts.waitTimeoutMs,
      onEvent: (e) => ctx.hooks.event(e),
      planFor: (observed, round) => {
        const plan = opts.planFor(observed, round);
        emit(ctx, { type: 'plan', plan });
        return plan;
      },
    });
    if (result.interrupted) throw interrupted();
    if (result.failures.length > 0) throw new ConfigErrors(result.failures.map((f) => asUserError(f.error, f.op)));
    return { upToDate: result.upToDate, executed: result.executed };
  };
  try {
    if (!backend.withLock) return await run();
    return await backend.withLock(opts.project, run, (message) => emit(ctx, { type: 'warning', message }));
  } finally {
    await ctx.hooks.settle?.();
  }
}

/**
 * The replicas the plan creates. A replica numbered beyond a published range
 * is always a new one: the range is part of its configuration, so changing it
 * recreates the service's replicas.
 */
function createdReplicas(plan: Plan): ReplicaSpec[] {
  return plan.steps.flatMap(({ op }) => (op.kind === 'create-replica' ? [op.replica] : []));
}

function asUserError(error: Error, op: Operation): TugError {
  if (error instanceof TugError) return error;
  const subject = 'replica' in op ? op.replica.name : 'name' in op ? op.name : op.service;
  return new TugError({ code: 'runtime.failed', message: `${subject}: ${error.message}` });
}
