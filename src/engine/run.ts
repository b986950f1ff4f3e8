// `run SVC [CMD…]`: a one-off replica of a service. Its dependencies are
// brought up first (unless noDeps), then it is created and started as a
// planned operation under the project lock; its output comes as `log` events
// until its log stream ends (the backend ends it once the replica has exited
// and everything it wrote has been read); with `rm` it is removed the same
// way. The result is its exit code; an interrupt stops it (130).
import { randomBytes } from 'node:crypto';
import { TugError, usageError } from '../core/errors.js';
import { own } from '../core/dict.js';
import { CONTAINER_NAME, nameProblem } from '../core/load/names.js';
import type { Project, ServiceSpec } from '../core/model/types.js';
import { planOneOff, planOneOffRemoval } from '../core/reconcile/one-off.js';
import { buildReplicaSpec } from '../core/reconcile/replica-spec.js';
import { stopTimeoutMs } from '../core/reconcile/replica-state.js';
import { applyPlans } from './apply.js';
import { interrupted, watchReplicas } from './conditions.js';
import { emit, type EngineContext } from './context.js';
import { prepareImages } from './images.js';
import { foreignVolumes } from './foreign-volumes.js';
import { checkBackendCan } from './validate.js';
import { upPlanner } from './up.js';

export interface RunOptions {
  /** Replaces the service's command. */
  command?: string[];
  entrypoint?: string;
  /** KEY=VALUE pairs over the service's environment. */
  env?: Record<string, string>;
  /** Remove the one-off (and its anonymous volumes) once it has ended. */
  rm?: boolean;
  noDeps?: boolean;
  /** The one-off's name instead of `<project>-<service>-run-<slug>`. */
  name?: string;
}

export interface RunHandle {
  /** The one-off's exit code; 130 when interrupted. */
  readonly done: Promise<number>;
  /** Ctrl-C: the one-off is stopped. */
  interrupt(): void;
}

export function run(ctx: EngineContext, project: Project, service: string, opts: RunOptions = {}): RunHandle {
  const interrupts = new AbortController();
  return {
    done: runOneOff(ctx, project, service, opts, interrupts.signal),
    interrupt: () => interrupts.abort(),
  };
}

async function runOneOff(ctx: EngineContext, project: Project, service: string, opts: RunOptions, interrupt: AbortSignal): Promise<number> {
  // The name becomes the replica's name, and with it file names: check it before anything runs.
  const nameText = opts.name === undefined ? undefined : nameProblem(CONTAINER_NAME, opts.name);
  if (nameText) throw usageError(`invalid --name: ${nameText}`, `use ${CONTAINER_NAME.expected}`);
  const spec = own(project.services, service) ?? own(project.disabledServices, service);
  if (!spec) throw new TugError({ code: 'run.no-service', message: `no such service: ${service}`, exitCode: 2 });
  const oneOff = oneOffService(spec, opts);
  const runProject: Project = { ...project, services: { ...project.services, [service]: oneOff } };
  checkBackendCan(ctx, { ...project, services: { [service]: oneOff } });
  const startedAt = new Date().toISOString();
  const foreign = await foreignVolumes(ctx, project);

  const deps = Object.keys(spec.depends_on ?? {});
  if (!opts.noDeps && deps.length > 0) {
    const planning = upPlanner(project, {
      services: deps,
      recreate: 'diverged',
      recreateDependencies: 'diverged',
      removeOrphans: false,
      start: true,
      tugVersion: ctx.tugVersion,
      foreignVolumes: foreign,
    });
    await applyPlans(ctx, { project: project.name, preflight: true, signal: interrupt, since: startedAt, planFor: (state, round) => planning(state, round) });
  }
  const images = await prepareImages(ctx, runProject, [service], { signal: interrupt });
  const replica = buildReplicaSpec(runProject, service, 0, {
    tugVersion: ctx.tugVersion,
    oneoff: true,
    slug: randomBytes(6).toString('hex'),
    image: images?.[service],
  });
  if (opts.name) replica.name = opts.name;

  // Watched from before the start, so an exit faster than anything else is still seen.
  const watch = new AbortController();
  const exited = waitForExit(ctx, project.name, replica.name, AbortSignal.any([watch.signal, interrupt]), startedAt);
  exited.catch(() => undefined); // awaited below; a failed start must not leave it unobserved
  try {
    await applyPlans(ctx, { project: project.name, oneShot: true, preflight: true, since: startedAt, planFor: (state) => planOneOff(runProject, state, replica, foreign) });
    emit(ctx, { type: 'attached', replicas: [replica.name] });
    const output = (async () => {
      for await (const line of ctx.backend.io.logs(project.name, { replicas: [replica.name], follow: true, untilExit: true, signal: watch.signal })) {
        emit(ctx, { type: 'log', line });
      }
    })();
    const code = await exited.catch(async (err: unknown) => {
      if (!(err instanceof TugError && err.code === 'interrupted')) throw err;
      const observed = await ctx.backend.replicas.observe(project.name);
      const current = observed.replicas.find((r) => r.name === replica.name);
      if (current) await ctx.backend.replicas.stop(project.name, current.id, stopTimeoutMs(oneOff, undefined));
      return 130;
    });
    await output;
    return code;
  } finally {
    watch.abort();
    if (opts.rm) {
      await applyPlans(ctx, { project: project.name, oneShot: true, planFor: (state) => planOneOffRemoval(state, replica.name, 0) }).catch(() => undefined);
    }
  }
}

/** The one-off's exit code, from the events since `since`; rejects with `interrupted` on abort. */
async function waitForExit(ctx: EngineContext, project: string, name: string, signal: AbortSignal, since: string): Promise<number> {
  let code: number | undefined;
  await watchReplicas(
    ctx.backend,
    project,
    (all) => {
      const mine = all.find((w) => w.replica.name === name);
      if (!mine || !mine.started || (mine.replica.state !== 'exited' && mine.replica.state !== 'dead')) return { met: false, pending: [`${name} runs`] };
      code = mine.replica.exitCode ?? 0;
      return { met: true };
    },
    { signal, since },
  );
  if (code === undefined) throw interrupted();
  return code;
}

function oneOffService(spec: ServiceSpec, opts: RunOptions): ServiceSpec {
  return {
    ...spec,
    ...(opts.command && opts.command.length > 0 ? { command: opts.command } : {}),
    ...(opts.entrypoint !== undefined ? { entrypoint: [opts.entrypoint] } : {}),
    environment: { ...(spec.environment ?? {}), ...(opts.env ?? {}) },
    restart: 'no',
    ports: [],
    container_name: undefined,
  };
}
