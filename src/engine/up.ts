// `up`: converge the project to the file. Check what the backend cannot do
// before anything starts, warn about orphans, get the images, apply plans
// until nothing is left, and with `wait` return only once every service runs
// and is healthy. Staying attached afterwards is `attach` (attach.ts).
import { usageError } from '../core/errors.js';
import { own } from '../core/dict.js';
import { buildServiceGraph } from '../core/graph/service-graph.js';
import type { Project } from '../core/model/types.js';
import { formatPlan } from '../core/reconcile/plan.js';
import type { ObservedState } from '../core/reconcile/observed.js';
import type { Plan } from '../core/reconcile/operations.js';
import { findOrphans, reconcile, type ReconcileOptions } from '../core/reconcile/reconcile.js';
import { applyPlans } from './apply.js';
import { waitForServices } from './conditions.js';
import { emit, type EngineContext } from './context.js';
import { prepareImages } from './images.js';
import { foreignVolumes } from './foreign-volumes.js';
import { checkBackendCan } from './validate.js';

/** The `up` flags in camelCase; times in seconds, as on the command line. */
export interface UpOptions {
  /** Only these services (and, unless noDeps, what they depend on). */
  services?: string[];
  noDeps?: boolean;
  forceRecreate?: boolean;
  noRecreate?: boolean;
  alwaysRecreateDeps?: boolean;
  removeOrphans?: boolean;
  /** Create, but do not start. */
  noStart?: boolean;
  /** Replicas per service, over the file's scale/deploy.replicas. */
  scale?: Record<string, number>;
  /** Return only once every service runs, healthy where it has a health check. */
  wait?: boolean;
  /** Seconds; 0 or absent waits without limit. */
  waitTimeout?: number;
  /** Seconds a replica gets to stop before it is killed (else its stop_grace_period, else 10). */
  timeout?: number;
  /** true: build images first (--build); false: never build (--no-build). */
  build?: boolean;
  pull?: 'always' | 'missing' | 'never';
  /** Plan and report, change nothing: `UpResult.plan` holds the plan's text. */
  dryRun?: boolean;
  signal?: AbortSignal;
}

export interface UpResult {
  /** Nothing had to change. */
  upToDate: boolean;
  /** With dryRun: the plan, one step per line. */
  plan?: string;
  /** ISO time `up` began: an attachment that follows shows what happened from then on. */
  startedAt: string;
}

export async function up(ctx: EngineContext, project: Project, opts: UpOptions = {}): Promise<UpResult> {
  const startedAt = new Date().toISOString();
  const services = servicesInScope(project, opts.services);
  for (const s of Object.keys(opts.scale ?? {})) if (!own(project.services, s)) throw usageError(`no such service: ${s}`);
  checkBackendCan(ctx, project);
  const observed = await ctx.backend.replicas.observe(project.name);
  warnAboutOrphans(ctx, project, observed, opts.removeOrphans === true);
  const planning = upPlanner(project, { ...reconcileOptionsOf(ctx, opts), foreignVolumes: await foreignVolumes(ctx, project) });
  if (opts.dryRun) return { upToDate: false, plan: formatPlan(planning(observed, 1)), startedAt };
  const images = await prepareImages(ctx, project, withDependencies(project, services, opts.noDeps !== true), opts);
  const outcome = await applyPlans(ctx, {
    project: project.name,
    preflight: true,
    signal: opts.signal,
    since: startedAt,
    planFor: (state, round) => planning(state, round, images),
  });
  if (opts.wait) {
    const timeoutMs = opts.waitTimeout ? opts.waitTimeout * 1000 : undefined;
    await waitForServices(ctx.backend, project.name, services, { timeoutMs, signal: opts.signal, since: startedAt });
    emit(ctx, { type: 'notice', message: 'all services are running and healthy' });
  }
  return { upToDate: outcome.upToDate, startedAt };
}

/**
 * The planner of `up`, `scale`, `run`'s dependencies and watch, with the
 * rules they share, both about the first round of the converge loop: up-to-date
 * replicas that are created or exited are started on the first round only, so
 * a one-shot service runs once per command, not again after it has finished
 * and the loop looks once more; and a forced recreate is the first round's,
 * or every later round would recreate again what it has just made.
 */
export function upPlanner(
  project: Project,
  base: Omit<ReconcileOptions, 'startExited'>,
): (observed: ObservedState, round: number, images?: Record<string, string>) => Plan {
  const later = (policy: ReconcileOptions['recreate']) => (policy === 'force' ? 'diverged' : policy);
  return (observed, round, images) =>
    reconcile(project, observed, {
      ...base,
      ...(round > 1 && { recreate: later(base.recreate), recreateDependencies: later(base.recreateDependencies) }),
      ...(images && { images }),
      startExited: round === 1,
    });
}

function reconcileOptionsOf(ctx: EngineContext, opts: UpOptions): Omit<ReconcileOptions, 'startExited'> {
  const recreate = opts.noRecreate !== true;
  return {
    services: opts.services && opts.services.length > 0 ? opts.services : undefined,
    noDeps: opts.noDeps === true,
    recreate: opts.forceRecreate ? 'force' : recreate ? 'diverged' : 'never',
    recreateDependencies: opts.alwaysRecreateDeps ? 'force' : recreate ? 'diverged' : 'never',
    scale: opts.scale ?? {},
    removeOrphans: opts.removeOrphans === true,
    start: opts.noStart !== true,
    timeoutMs: opts.timeout === undefined ? undefined : opts.timeout * 1000,
    tugVersion: ctx.tugVersion,
  };
}

function warnAboutOrphans(ctx: EngineContext, project: Project, observed: ObservedState, removing: boolean): void {
  const orphans = findOrphans(project, observed);
  if (orphans.length === 0 || removing || ctx.env.COMPOSE_IGNORE_ORPHANS) return;
  emit(ctx, {
    type: 'warning',
    message: `found orphan replicas (${orphans.map((o) => o.name).join(', ')}) for this project; run with --remove-orphans to clean them up`,
  });
}

/** The named services and, with dependencies, everything they depend on (the planner's own scope). */
function withDependencies(project: Project, services: string[], dependencies: boolean): string[] {
  return buildServiceGraph(project).subgraph(services, { withDependencies: dependencies }).nodes();
}

export function servicesInScope(project: Project, services: readonly string[] | undefined): string[] {
  return services && services.length > 0 ? [...services] : Object.keys(project.services);
}
