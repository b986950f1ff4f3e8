// `tug pull [SERVICE...]`: pulls the images of the project's services on its
// backend (native: tug's image store; docker: the engine), as `docker compose
// pull` does: services with pull_policy never or build, and services without
// an image, are skipped; a buildable service whose pull fails only warns.
import type { CliContext } from '../context.js';
import { loadProjectFor } from '../project-loading.js';
import { interruptController, withProject } from '../session.js';

export async function pullCommand(ctx: CliContext, services: string[], flags: { ignorePullFailures?: boolean; quiet?: boolean }): Promise<number> {
  const project = loadProjectFor(ctx, services);
  const quietCtx = flags.quiet ? { ...ctx, globals: { ...ctx.globals, progress: 'quiet' as const } } : ctx;
  const interrupt = interruptController();
  try {
    await withProject(quietCtx, { progress: true }, project, (tug) => tug.pull({ services, ignorePullFailures: flags.ignorePullFailures, signal: interrupt.signal }));
    return 0;
  } finally {
    interrupt.dispose();
  }
}
