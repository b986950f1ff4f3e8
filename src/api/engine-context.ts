// The engine context a Project runs in, and a Project over it. Kept apart from
// openProject (open.ts), which loads Compose files, so commands that work by
// name alone (ps, logs, exec) start without the loader.
import type { Project as ProjectModel } from '../core/model/types.js';
import type { EngineContext } from '../engine/context.js';
import { stamp, type EngineHooks } from '../engine/events.js';
import { selectBackend } from '../runtime/select.js';
import { tugVersion } from '../version.js';
import { Project, type ProjectSource } from './project.js';

/** The engine context a project runs in: the backend (its notices become events), parallelism, environment, reporting. */
export async function engineContext(
  opts: { backend?: string; isolation?: string; parallel?: number },
  env: Readonly<Record<string, string | undefined>>,
  hooks: EngineHooks,
): Promise<EngineContext> {
  const backend = await selectBackend(opts.backend, env, (message) => hooks.event(stamp({ type: 'warning', message })), { isolation: opts.isolation });
  return { backend, parallel: opts.parallel ?? backend.capabilities.defaultParallelism, env, hooks, tugVersion: tugVersion() };
}

/** A Project over a loaded model, or by name alone (`-p NAME` without a file). */
export function projectFor(engine: EngineContext, model: ProjectModel | string, source?: ProjectSource): Project {
  return typeof model === 'string' ? new Project(engine, model) : new Project(engine, model.name, model, source);
}
