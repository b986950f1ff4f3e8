// The level-based loop behind `up`, `scale` and a watch reload: observe →
// plan → execute, repeated until the plan is empty. Each round plans from a
// fresh observation, never from what the last round meant to do, so a partial
// failure is finished by simply converging again.
import type { ObservedState } from '../core/reconcile/observed.js';
import type { Operation, Plan } from '../core/reconcile/operations.js';
import type { RuntimeBackend } from '../runtime/backend.js';
import type { EngineEvent, EventSink } from './events.js';
import { executePlan } from './executor.js';

export interface ConvergeOptions {
  backend: RuntimeBackend;
  project: string;
  /** The planner, applied to each fresh observation. */
  planFor: (observed: ObservedState, round: number) => Plan;
  parallel: number;
  /** Most plans executed (default 3); a further plan after the last one only tells whether we converged. */
  maxRounds?: number;
  /**
   * The plan is an action (stop, start, restart, kill), not a desired state:
   * run the first plan and stop. Planning it again would only plan the same
   * action again (a restart always restarts), never tell whether it converged.
   */
  oneShot?: boolean;
  signal?: AbortSignal;
  onEvent?: EventSink;
  waitTimeoutMs?: number;
  /** ISO time the command began (default: when converging began); see ExecuteOptions. */
  eventsSince?: string;
}

export interface ConvergeResult {
  /** Plans executed. */
  rounds: number;
  /** Steps done, over all rounds. */
  executed: number;
  failures: { stepId: string; op: Operation; error: Error }[];
  skipped: { stepId: string; op: Operation; reason: string }[];
  /** The very first plan was empty: nothing to do. */
  upToDate: boolean;
  /** The last observation planned nothing, or a one-shot plan ran without failures (false after failures, an interrupt, or maxRounds). */
  converged: boolean;
  /** Steps still planned when maxRounds ran out. */
  pendingSteps: number;
  interrupted: boolean;
}

export async function converge(opts: ConvergeOptions): Promise<ConvergeResult> {
  const { backend, project, planFor, signal } = opts;
  const maxRounds = opts.maxRounds ?? 3;
  const emit = (event: EngineEvent): void => opts.onEvent?.(event);
  const result: ConvergeResult = { rounds: 0, executed: 0, failures: [], skipped: [], upToDate: false, converged: false, pendingSteps: 0, interrupted: false };
  const eventsSince = opts.eventsSince ?? new Date().toISOString();

  for (let round = 1; ; round++) {
    if (signal?.aborted) {
      result.interrupted = true;
      break;
    }
    const plan = planFor(await backend.replicas.observe(project), round);
    if (plan.steps.length === 0) {
      result.converged = true;
      if (round === 1) {
        result.upToDate = true;
        emit({ type: 'up-to-date', time: Date.now() });
      }
      break;
    }
    if (round > maxRounds) {
      result.pendingSteps = plan.steps.length;
      emit({ type: 'warning', message: `still ${plan.steps.length} step(s) to do after ${maxRounds} round(s); giving up`, time: Date.now() });
      break;
    }

    emit({ type: 'converge-round', round, steps: plan.steps.length, time: Date.now() });
    const executed = await executePlan(plan, backend, { parallel: opts.parallel, signal, onEvent: opts.onEvent, waitTimeoutMs: opts.waitTimeoutMs, eventsSince });
    result.rounds = round;
    result.executed += executed.done.length;
    result.failures.push(...executed.failed);
    result.skipped.push(...executed.skipped);
    result.interrupted = executed.interrupted;
    // A failure is reported, not retried here: the next `up` converges from what exists.
    if (executed.failed.length > 0 || executed.interrupted) break;
    if (opts.oneShot) {
      result.converged = true;
      break;
    }
  }
  return result;
}
