// `tug up`: converge the project to the file, then either return (-d, --wait)
// or stay attached, showing logs until Ctrl-C or a replica exit ends it.
import { usageError } from '../../core/errors.js';
import { buildServiceGraph } from '../../core/graph/service-graph.js';
import type { Project } from '../../core/model/types.js';
import { formatPlan } from '../../core/reconcile/plan.js';
import { findOrphans, reconcile, type ReconcileOptions } from '../../core/reconcile/reconcile.js';
import { waitForServices } from '../../engine/conditions.js';
import { applyPlans } from '../apply.js';
import { parseScaleArgs, parseTimeoutSeconds, parseWaitTimeout } from '../args.js';
import { attach } from '../attach.js';
import { withImageProgress } from '../render/image-progress.js';
import { warn, type CliContext } from '../context.js';
import { interruptController, withBackend } from '../session.js';
import { tugVersion } from '../../version.js';
import { loadProjectFor, throwBackendProblems } from '../project-loading.js';

export interface UpFlags {
  detach?: boolean;
  scale?: string[];
  deps: boolean;
  forceRecreate?: boolean;
  recreate: boolean;
  alwaysRecreateDeps?: boolean;
  removeOrphans?: boolean;
  start: boolean;
  wait?: boolean;
  waitTimeout?: string;
  abortOnContainerExit?: boolean;
  exitCodeFrom?: string;
  timeout?: string;
  dryRun?: boolean;
  color: boolean;
  logPrefix: boolean;
  timestamps?: boolean;
  /** --build: true, --no-build: false, neither: undefined. */
  build?: boolean;
  pull?: string;
}

export async function upCommand(ctx: CliContext, services: string[], flags: UpFlags): Promise<number> {
  validateUpFlags(flags);
  // Every numeric flag is checked before anything is loaded or started.
  const timeoutMs = parseTimeoutSeconds(flags.timeout);
  const waitTimeoutMs = parseWaitTimeout(flags.waitTimeout);
  const project = loadProjectFor(ctx, services);
  const scale = parseScaleArgs(flags.scale ?? [], Object.keys(project.services));
  if (flags.exitCodeFrom && !Object.hasOwn(project.services, flags.exitCodeFrom)) throw usageError(`no such service: ${flags.exitCodeFrom}`);
  const opts = reconcileOptions(ctx, services, flags, scale, timeoutMs);
  return withBackend(ctx, async (backend) => {
    throwBackendProblems(backend, project);
    noteIgnoredImages(ctx, project, backend.capabilities.images);
    const observed = await backend.observe(project.name);
    const orphans = findOrphans(project, observed);
    if (orphans.length > 0 && !flags.removeOrphans && !ctx.env.COMPOSE_IGNORE_ORPHANS) {
      warn(ctx, `found orphan replicas (${orphans.map((o) => o.name).join(', ')}) for this project; run with --remove-orphans to clean them up`);
    }
    if (flags.dryRun) {
      ctx.out(formatPlan(reconcile(project, observed, { ...opts, startExited: true })) + '\n');
      return 0;
    }
    const prepare = backend.prepareImages?.bind(backend);
    if (prepare) {
      opts.images = await withImageProgress(ctx, (onProgress) =>
        prepare(project, withDependencies(project, servicesInScope(project, services), flags.deps), {
          build: flags.build === true ? 'always' : flags.build === false ? 'never' : 'missing',
          pull: flags.pull as 'always' | 'missing' | 'never' | undefined,
          onProgress,
        }),
      );
    }
    const startedAt = new Date().toISOString();
    const interrupt = interruptController();
    try {
      const outcome = await applyPlans(ctx, backend, {
        project: project.name,
        preflight: true,
        signal: interrupt.signal,
        planFor: (state, round) => reconcile(project, state, { ...opts, startExited: round === 1 }),
      });
      if (outcome.upToDate) ctx.err(`${ctx.errColor.green('✔')} ${project.name} is up to date; nothing to do\n`);
      if (flags.wait) {
        await waitForServices(backend, project.name, servicesInScope(project, services), { timeoutMs: waitTimeoutMs, signal: interrupt.signal, since: startedAt });
        ctx.err(`${ctx.errColor.green('✔')} all services are running and healthy\n`);
        return 0;
      }
      if (flags.detach) return 0;
    } finally {
      interrupt.dispose();
    }
    return attach(ctx, backend, project, {
      services: servicesInScope(project, services),
      abortOnExit: Boolean(flags.abortOnContainerExit || flags.exitCodeFrom),
      exitCodeFrom: flags.exitCodeFrom,
      timeoutMs: opts.timeoutMs,
      color: flags.color,
      prefix: flags.logPrefix,
      timestamps: Boolean(flags.timestamps),
      since: startedAt,
    });
  });
}

function reconcileOptions(
  ctx: CliContext,
  services: string[],
  flags: UpFlags,
  scale: Record<string, number>,
  timeoutMs: number | undefined,
): ReconcileOptions {
  return {
    services: services.length > 0 ? services : undefined,
    noDeps: !flags.deps,
    recreate: flags.forceRecreate ? 'force' : flags.recreate ? 'diverged' : 'never',
    recreateDependencies: flags.alwaysRecreateDeps ? 'force' : flags.recreate ? 'diverged' : 'never',
    scale,
    removeOrphans: Boolean(flags.removeOrphans),
    start: flags.start,
    startExited: true,
    timeoutMs,
    tugVersion: tugVersion(),
  };
}

/** Flag combinations docker compose refuses, refused the same way (exit code 2). */
function validateUpFlags(f: UpFlags): void {
  const abort = f.abortOnContainerExit || f.exitCodeFrom;
  if (f.wait && abort) throw usageError('--wait cannot be combined with --abort-on-container-exit or --exit-code-from');
  if (f.detach && abort) throw usageError('-d cannot be combined with --abort-on-container-exit or --exit-code-from');
  if (f.forceRecreate && !f.recreate) throw usageError('--force-recreate and --no-recreate cannot be combined');
  if (f.alwaysRecreateDeps && !f.recreate) throw usageError('--always-recreate-deps and --no-recreate cannot be combined');
  if (f.pull !== undefined && !['always', 'missing', 'never'].includes(f.pull)) {
    throw usageError(`invalid --pull "${f.pull}"`, 'choose always, missing or never');
  }
}

/** The named services and, unless --no-deps, everything they depend on (the planner's own scope). */
function withDependencies(project: Project, services: string[], deps: boolean): string[] {
  return buildServiceGraph(project).subgraph(services, { withDependencies: deps }).nodes();
}

export function servicesInScope(project: Project, services: string[]): string[] {
  return services.length > 0 ? services : Object.keys(project.services);
}

/** On a backend that runs host commands, an image next to a command is noted once and not used. */
function noteIgnoredImages(ctx: CliContext, project: Project, runsImages: boolean): void {
  if (runsImages) return;
  const withImage = Object.entries(project.services).filter(([, s]) => s.image && (s.command || s.entrypoint));
  if (withImage.length > 0) {
    warn(ctx, `the native backend runs host commands; "image" is not used for: ${withImage.map(([n]) => n).join(', ')}`);
  }
}
