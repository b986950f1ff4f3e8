// Watch's `rebuild` of one service, as Compose's does: build only that
// service's image, then force-recreate only that service (its anonymous
// volumes inherited), its dependents that declare `restart: true` stopped
// before the recreate and started after it (the up planner's
// restartDependents), and with --prune the image it replaced removed when
// nothing uses it any more.
//
// The build honours the watch's stop signal (Ctrl-C ends a long build at
// once, nothing has changed yet); the recreate that follows does not: cut
// halfway, it would leave the service stopped or gone, and watching must end
// with the project running.
import { LABEL } from '../../core/model/labels.js';
import type { Project } from '../../core/model/types.js';
import { interrupted } from '../conditions.js';
import { applyPlans } from '../apply.js';
import type { EngineContext } from '../context.js';
import { prepareImages } from '../images.js';
import { foreignVolumes } from '../foreign-volumes.js';
import { upPlanner } from '../up.js';
import type { WatchEventInit } from './events.js';

export interface RebuildContext {
  ctx: EngineContext;
  project: Project;
  emit: (event: WatchEventInit) => void;
  prune?: boolean;
  /** Aborted by stop(): ends the build. */
  signal?: AbortSignal;
}

export async function rebuildService({ ctx, project, emit, prune, signal }: RebuildContext, service: string): Promise<void> {
  const started = performance.now();
  const since = new Date().toISOString();
  const before = await ctx.backend.replicas.observe(project.name);
  const oldImages = before.replicas.filter((r) => r.service === service).map((r) => r.labels[LABEL.image]).filter((id): id is string => Boolean(id));
  const images = await prepareImages(ctx, project, [service], { build: true, signal });
  if (signal?.aborted) throw interrupted();
  const planning = upPlanner(project, {
    services: [service],
    noDeps: true,
    recreate: 'force',
    recreateDependencies: 'never',
    restartDependents: true,
    removeOrphans: false,
    start: true,
    tugVersion: ctx.tugVersion,
    foreignVolumes: await foreignVolumes(ctx, project, false),
  });
  await applyPlans(ctx, { project: project.name, preflight: true, since, planFor: (state, round) => planning(state, round, images) });
  // What the planner restarted around the recreate: the running replicas of the direct restart:true dependents.
  const restarted = before.replicas
    .filter((r) => !r.oneoff && r.state === 'running' && r.service !== service && project.services[r.service]?.depends_on?.[service]?.restart === true)
    .map((r) => r.name)
    .sort();
  emit({ type: 'rebuild', service, restarted, ms: performance.now() - started });
  const removeUnused = ctx.backend.images?.removeUnused;
  if (!prune || !removeUnused || oldImages.length === 0) return;
  const removed = await removeUnused(oldImages);
  if (removed.length > 0) emit({ type: 'notice', service, message: `removed the image the rebuild of ${service} replaced (${removed.map(shortId).join(', ')})` });
}

function shortId(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}
