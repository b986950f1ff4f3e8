// `tug run SVC [CMD…]`: a one-off replica of a service, its dependencies
// started first (unless --no-deps); prints its output and exits with its code.
import { randomBytes } from 'node:crypto';
import { TugError, usageError } from '../../core/errors.js';
import { CONTAINER_NAME, nameProblem } from '../../core/load/names.js';
import { reconcile } from '../../core/reconcile/reconcile.js';
import { buildReplicaSpec } from '../../core/reconcile/replica-spec.js';
import { planResourcesFor } from '../../core/reconcile/resources.js';
import { applyPlans } from '../apply.js';
import type { CliContext } from '../context.js';
import { withImageProgress } from '../render/image-progress.js';
import { createLogFormatter } from '../render/log-prefix.js';
import { interruptController, withBackend } from '../session.js';
import { tugVersion } from '../../version.js';
import { loadProjectFor, throwBackendProblems } from '../project-loading.js';
import { parseEnvPairs } from './exec.js';
import { sleep } from '../../timers.js';
import { own } from '../../core/dict.js';

export interface RunFlags {
  rm?: boolean;
  deps: boolean;
  env?: string[];
  entrypoint?: string;
  name?: string;
}

export async function runCommand(ctx: CliContext, service: string, command: string[], flags: RunFlags): Promise<number> {
  // The name becomes the replica's name, and with it file names: check it before anything runs.
  const nameProblemText = flags.name === undefined ? undefined : nameProblem(CONTAINER_NAME, flags.name);
  if (nameProblemText) throw usageError(`invalid --name: ${nameProblemText}`, `use ${CONTAINER_NAME.expected}`);
  const project = loadProjectFor(ctx, [service]);
  const spec = own(project.services, service);
  if (!spec) throw new TugError({ code: 'run.no-service', message: `no such service: ${service}`, exitCode: 2 });
  const deps = Object.keys(spec.depends_on ?? {});
  return withBackend(ctx, async (backend) => {
    throwBackendProblems(backend, { ...project, services: { [service]: oneOffService(spec, command, flags) } });
    if (flags.deps && deps.length > 0) {
      await applyPlans(ctx, backend, {
        project: project.name,
        preflight: true,
        planFor: (state, round) =>
          reconcile(project, state, {
            services: deps,
            recreate: 'diverged',
            recreateDependencies: 'diverged',
            removeOrphans: false,
            start: true,
            startExited: round === 1,
            tugVersion: tugVersion(),
          }),
      });
    }
    await applyPlans(ctx, backend, {
      project: project.name,
      maxRounds: 1,
      planFor: (state) => planResourcesFor(project, state, [service]),
    });
    const prepare = backend.prepareImages?.bind(backend);
    const images = prepare
      ? await withImageProgress(ctx, (onProgress) => prepare(project, [service], { build: 'missing', onProgress }))
      : {};
    const slug = randomBytes(6).toString('hex');
    const oneOffProject = { ...project, services: { ...project.services, [service]: oneOffService(spec, command, flags) } };
    const replicaSpec = buildReplicaSpec(oneOffProject, service, 0, {
      tugVersion: tugVersion(),
      oneoff: true,
      slug,
      image: images[service],
    });
    if (flags.name) replicaSpec.name = flags.name;
    const interrupt = interruptController();
    const created = await backend.createReplica(replicaSpec);
    try {
      const ended = waitForExit(backend, project.name, created.id, interrupt.signal);
      ended.catch(() => undefined); // handled below; a failed start must not leave it unobserved
      await backend.startReplica(project.name, created.id);
      const format = createLogFormatter([created.name], project.name, { prefix: false, timestamps: false, color: ctx.color });
      const follow = new AbortController();
      const logs = (async () => {
        for await (const line of backend.logs(project.name, { follow: true, signal: follow.signal, services: [service] })) {
          if (line.replica === created.name) (line.stream === 'stderr' ? ctx.err : ctx.out)(format(line));
        }
      })().catch(() => undefined);
      const code = await ended.catch(async () => {
        await backend.stopReplica(project.name, created.id, 10_000);
        return 130;
      });
      await sleep(150); // let the last lines reach the log file
      follow.abort();
      await logs;
      return code;
    } finally {
      interrupt.dispose();
      // Like `docker run --rm`: the one-off's anonymous volumes go with it.
      if (flags.rm) await backend.removeReplica(project.name, created.id, { removeVolumes: true }).catch(() => undefined);
    }
  });
}

function oneOffService(spec: import('../../core/model/types.js').ServiceSpec, command: string[], flags: RunFlags) {
  const env = parseEnvPairs(flags.env ?? []);
  return {
    ...spec,
    ...(command.length > 0 ? { command } : {}),
    ...(flags.entrypoint !== undefined ? { entrypoint: [flags.entrypoint] } : {}),
    environment: { ...(spec.environment ?? {}), ...env },
    restart: 'no',
    ports: [],
    container_name: undefined,
  };
}

async function waitForExit(backend: import('../../runtime/backend.js').RuntimeBackend, project: string, id: string, signal: AbortSignal): Promise<number> {
  for await (const event of backend.events(project, signal)) {
    if (event.replica.id === id && event.action === 'die') return event.replica.exitCode ?? 0;
  }
  throw new TugError({ code: 'interrupted', message: 'interrupted', exitCode: 130 });
}
