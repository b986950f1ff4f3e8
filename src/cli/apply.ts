// Runs plans for a command: under the project lock, with progress rendering,
// converging until nothing is left to do. up, scale, start, stop, restart,
// kill and down all go through here; they differ only in how they plan.
import { ConfigErrors, TugError } from '../core/errors.js';
import type { ObservedState } from '../core/reconcile/observed.js';
import type { Plan } from '../core/reconcile/operations.js';
import { converge } from '../engine/converge.js';
import type { RuntimeBackend } from '../runtime/backend.js';
import { warn, type CliContext } from './context.js';
import { createProgress } from './render/progress.js';
import { stepText } from './render/step-text.js';

export interface ApplyOptions {
  project: string;
  planFor: (observed: ObservedState, round: number) => Plan;
  signal?: AbortSignal;
  /** Run the backend's preflight checks (ports...) on the first plan. */
  preflight?: boolean;
  maxRounds?: number;
  /** Lifecycle plans (stop, start, restart, kill): executed once, never re-planned (see converge). */
  oneShot?: boolean;
}

export interface ApplyOutcome {
  upToDate: boolean;
  executed: number;
}

export async function applyPlans(ctx: CliContext, backend: RuntimeBackend, opts: ApplyOptions): Promise<ApplyOutcome> {
  const progress = await createProgress(ctx.globals.progress ?? (ctx.env.COMPOSE_PROGRESS as never) ?? 'auto', {
    write: (t) => ctx.err(t),
    isTTY: Boolean(process.stderr.isTTY),
    color: ctx.errColor,
  });
  const parallel = parallelism(ctx, backend);
  const run = async (): Promise<ApplyOutcome> => {
    if (opts.preflight && backend.preflight) {
      const observed = await backend.observe(opts.project);
      const problems = await backend.preflight(opts.planFor(observed, 1), observed);
      if (problems.length > 0) throw new ConfigErrors(problems);
    }
    const result = await converge({
      backend,
      project: opts.project,
      parallel,
      maxRounds: opts.maxRounds,
      oneShot: opts.oneShot,
      signal: opts.signal,
      onEvent: (e) => progress.event(e),
      planFor: (observed, round) => {
        const plan = opts.planFor(observed, round);
        progress.plan(plan);
        return plan;
      },
    });
    await progress.close();
    if (result.interrupted) throw new TugError({ code: 'interrupted', message: 'interrupted', exitCode: 130 });
    if (result.failures.length > 0) {
      throw new ConfigErrors(result.failures.map((f) => asUserError(f.error, stepText(f.op).subject)));
    }
    return { upToDate: result.upToDate, executed: result.executed };
  };
  try {
    if (!backend.withLock) return await run();
    return await backend.withLock(opts.project, run, (message) => warn(ctx, message));
  } finally {
    await progress.close();
  }
}

function asUserError(error: Error, subject: string): TugError {
  if (error instanceof TugError) return error;
  return new TugError({ code: 'runtime.failed', message: `${subject}: ${error.message}` });
}

export function parallelism(ctx: CliContext, backend: RuntimeBackend): number {
  return ctx.parallel ?? backend.capabilities.defaultParallelism;
}
