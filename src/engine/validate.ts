// What a backend cannot do with a project, found before anything starts and
// reported all at once: the backend's own checks, and the capabilities it
// lacks for what the file asks (an image beside a command on a backend that
// runs host commands is noted, not used).
import { ConfigErrors } from '../core/errors.js';
import type { Project } from '../core/model/types.js';
import { emit, type EngineContext } from './context.js';

export function checkBackendCan(ctx: EngineContext, project: Project): void {
  const problems = ctx.backend.validate(project);
  if (problems.length > 0) throw new ConfigErrors(problems);
  const withImage = Object.entries(project.services).filter(([, s]) => s.image && (s.command || s.entrypoint)).map(([n]) => n);
  const notRun = ctx.backend.imagesNotRun?.(project) ?? (ctx.backend.capabilities.runsImages ? [] : withImage);
  if (notRun.length > 0) {
    const use = ctx.backend.capabilities.images ? 'is pulled but not run' : 'is not used';
    emit(ctx, {
      type: 'warning',
      message: `the ${ctx.backend.name} backend runs host commands for these services; "image" ${use} for: ${notRun.join(', ')}`,
    });
  }
}
