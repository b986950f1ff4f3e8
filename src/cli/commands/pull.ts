// `tug pull [SERVICE...]`: pulls the images of the project's services into the
// image store (tug's own runtime), as `docker compose pull` does: services
// with pull_policy never or build, and services tug runs as host commands, are
// skipped; a buildable service whose pull fails is only a warning.
import { TugError, throwIfAny, usageError } from '../../core/errors.js';
import { effectivePolicy } from '../../core/images/pull-policy.js';
import { prepareStoreImages } from '../../runtime/images/prepare.js';
import { warn, type CliContext } from '../context.js';
import { loadProjectFor } from '../project-loading.js';
import { withImageProgress } from '../render/image-progress.js';
import { interruptController } from '../session.js';
import { storeFor } from './image.js';

export async function pullCommand(ctx: CliContext, services: string[], flags: { ignorePullFailures?: boolean; quiet?: boolean }): Promise<number> {
  const project = loadProjectFor(ctx, services);
  const chosen = services.length > 0 ? services : Object.keys(project.services).sort();
  for (const s of chosen) if (!project.services[s]) throw usageError(`no such service: ${s}`, `services in this project: ${Object.keys(project.services).join(', ')}`);
  const pullable = chosen.filter((s) => {
    const spec = project.services[s]!;
    if (!spec.image) return false;
    const { policy } = effectivePolicy(spec);
    return policy !== 'never' && policy !== 'build';
  });
  const interrupt = interruptController();
  try {
    const quietCtx = flags.quiet ? { ...ctx, globals: { ...ctx.globals, progress: 'quiet' as const } } : ctx;
    const result = await withImageProgress(quietCtx, (onProgress) =>
      prepareStoreImages(storeFor(ctx), project, pullable, { env: ctx.env, pull: 'always', onProgress, signal: interrupt.signal }),
    );
    const errors: TugError[] = [];
    for (const [service, err] of Object.entries(result.failures)) {
      if (project.services[service]?.build || flags.ignorePullFailures) warn(ctx, err.message);
      else errors.push(err);
    }
    throwIfAny(errors);
    return 0;
  } finally {
    interrupt.dispose();
  }
}
