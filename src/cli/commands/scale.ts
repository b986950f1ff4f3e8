// `tug scale web=3 worker=0`: set replica counts, then converge exactly as `up -d`
// does for those services (scale is not a separate code path).
import { usageError } from '../../core/errors.js';
import { reconcile } from '../../core/reconcile/reconcile.js';
import { applyPlans } from '../apply.js';
import { parseScaleArgs } from '../args.js';
import type { CliContext } from '../context.js';
import { withBackend } from '../session.js';
import { tugVersion } from '../../version.js';
import { loadProjectFor, throwBackendProblems } from '../project-loading.js';

export async function scaleCommand(ctx: CliContext, pairs: string[], flags: { deps: boolean }): Promise<number> {
  if (pairs.length === 0) throw usageError('scale needs at least one SERVICE=NUMBER', 'e.g. tug scale web=3');
  const project = loadProjectFor(ctx);
  const scale = parseScaleArgs(pairs, Object.keys(project.services));
  const services = Object.keys(scale);
  return withBackend(ctx, async (backend) => {
    throwBackendProblems(backend, project);
    await applyPlans(ctx, backend, {
      project: project.name,
      preflight: true,
      planFor: (state, round) =>
        reconcile(project, state, {
          services,
          noDeps: !flags.deps,
          recreate: 'diverged',
          recreateDependencies: 'diverged',
          scale,
          removeOrphans: false,
          start: true,
          startExited: round === 1,
          tugVersion: tugVersion(),
        }),
    });
    return 0;
  });
}
