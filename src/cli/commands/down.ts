// `tug down`: stop and remove the project's replicas and networks (and, with
// -v, its named and anonymous volumes). Works from what runs, so it still works
// when the Compose file has changed or is gone (with -p).
import { planDown } from '../../core/reconcile/down.js';
import { findOrphans } from '../../core/reconcile/reconcile.js';
import { applyPlans } from '../apply.js';
import { parseTimeoutSeconds } from '../args.js';
import { warn, type CliContext } from '../context.js';
import { withBackend } from '../session.js';
import { projectOrName } from '../project-loading.js';

export interface DownFlags {
  volumes?: boolean;
  removeOrphans?: boolean;
  timeout?: string;
}

export async function downCommand(ctx: CliContext, services: string[], flags: DownFlags): Promise<number> {
  const { name, project } = projectOrName(ctx);
  const timeoutMs = parseTimeoutSeconds(flags.timeout);
  return withBackend(ctx, async (backend) => {
    const observed = await backend.observe(name);
    if (project && !flags.removeOrphans) {
      const orphans = findOrphans(project, observed);
      if (orphans.length > 0) warn(ctx, `found orphan replicas (${orphans.map((o) => o.name).join(', ')}); run with --remove-orphans to remove them`);
    }
    const outcome = await applyPlans(ctx, backend, {
      project: name,
      maxRounds: 2,
      planFor: (state) =>
        planDown(state, {
          project,
          services: services.length > 0 ? services : undefined,
          removeVolumes: Boolean(flags.volumes),
          removeOrphans: Boolean(flags.removeOrphans),
          timeoutMs,
        }),
    });
    if (outcome.upToDate) ctx.err(`nothing to remove for project ${name}\n`);
    return 0;
  });
}
