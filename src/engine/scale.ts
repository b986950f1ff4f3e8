// `scale web=3 worker=0`: set replica counts, then converge exactly as `up -d`
// does for those services: scale is not a separate code path.
import { usageError } from '../core/errors.js';
import { own } from '../core/dict.js';
import type { Project } from '../core/model/types.js';
import { applyPlans } from './apply.js';
import type { EngineContext } from './context.js';
import { foreignVolumes } from './foreign-volumes.js';
import { checkBackendCan } from './validate.js';
import { upPlanner } from './up.js';

export interface ScaleOptions {
  /** Do not start the services the scaled ones depend on. */
  noDeps?: boolean;
  signal?: AbortSignal;
}

export async function scale(ctx: EngineContext, project: Project, counts: Record<string, number>, opts: ScaleOptions = {}): Promise<void> {
  const services = Object.keys(counts);
  if (services.length === 0) throw usageError('scale needs at least one SERVICE=NUMBER', 'e.g. tug scale web=3');
  for (const s of services) if (!own(project.services, s)) throw usageError(`no such service: ${s}`);
  checkBackendCan(ctx, project);
  const planning = upPlanner(project, {
    services,
    noDeps: opts.noDeps === true,
    recreate: 'diverged',
    recreateDependencies: 'diverged',
    scale: counts,
    removeOrphans: false,
    start: true,
    tugVersion: ctx.tugVersion,
    foreignVolumes: await foreignVolumes(ctx, project),
  });
  await applyPlans(ctx, { project: project.name, preflight: true, signal: opts.signal, since: new Date().toISOString(), planFor: (state, round) => planning(state, round) });
}
