// Loading the whole project for a command (validated and normalized), or, for
// commands that work from labels alone, falling back to just its name.
import { TugError, isUserError } from '../core/errors.js';
import type { ProjectSource } from '../api/project.js';
import type { Project } from '../core/model/types.js';
import { openProject } from '../host/open-project.js';
import { projectOptions, warn, type CliContext } from './context.js';
import { typedProjectName } from './session.js';

export function loadProjectFor(ctx: CliContext, services: string[] = []): Project {
  return loadWithSource(ctx, services).project;
}

/** The project and how to load it again (watch's live reload: the same flags, the same files). */
export function loadWithSource(ctx: CliContext, services: string[] = []): { project: Project; source: ProjectSource } {
  const load = () => openProject(projectOptions(ctx, { services }), { cwd: ctx.cwd, env: ctx.env });
  const loaded = load();
  for (const w of [...loaded.discoveryWarnings, ...loaded.warnings]) warn(ctx, w);
  return { project: loaded.project, source: { files: loaded.sourceFiles, load } };
}

/**
 * For `down`, `ps`, `logs`, `stop`...: the project file if it loads, else just
 * the name from -p / COMPOSE_PROJECT_NAME, since these work from labels alone.
 */
export function projectOrName(ctx: CliContext): { name: string; project?: Project } {
  const fallback = typedProjectName(ctx);
  try {
    const project = loadProjectFor(ctx);
    return { name: project.name, project };
  } catch (err) {
    const noFile = err instanceof TugError && err.code.startsWith('discover.');
    if (fallback && (noFile || isUserError(err))) {
      if (!noFile) warn(ctx, `the Compose file has problems; working from what runs for project "${fallback}"`);
      return { name: fallback };
    }
    throw err;
  }
}
