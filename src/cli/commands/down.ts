// `tug down`: stop and remove the project's replicas and networks (and, with
// -v, the named volumes the file declares and the replicas' anonymous ones).
// Works from what runs, so it still works when the Compose file has changed
// or is gone (with -p); volumes it keeps under -v are named, with the reason.
import { join } from 'node:path';
import { downVolumes, planDown, type KeptVolumeReason } from '../../core/reconcile/down.js';
import { findOrphans } from '../../core/reconcile/reconcile.js';
import { tugHome } from '../../runtime/native/home.js';
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
    if (flags.volumes && services.length === 0) {
      const removeHint = (names: string[]) =>
        backend.name === 'docker' ? `docker volume rm ${names.join(' ')}` : `rm -r ${names.map((n) => join(tugHome(ctx.env), 'volumes', n)).join(' ')}`;
      for (const message of keptVolumeMessages(downVolumes(observed, project).kept, removeHint)) warn(ctx, message);
    }
    if (outcome.upToDate) ctx.err(`nothing to remove for project ${name}\n`);
    return 0;
  });
}

const WHY: Record<KeptVolumeReason, (hint: string, them: string) => string> = {
  external: (_, them) => `the Compose file declares ${them} external, and tug never removes external volumes`,
  undeclared: (hint, them) => `the Compose file does not declare ${them} (any more); if the data is not needed, remove ${them} by hand (${hint})`,
  'no-file': (hint, them) =>
    `the Compose file could not be loaded, so tug cannot tell whether it still declares ${them}; run \`tug down -v\` where the file loads, or remove ${them} by hand (${hint})`,
};

/** One line per reason: "kept volume(s) a, b: why". */
export function keptVolumeMessages(kept: { name: string; reason: KeptVolumeReason }[], removeHint: (names: string[]) => string): string[] {
  const byReason = new Map<KeptVolumeReason, string[]>();
  for (const { name, reason } of kept) byReason.set(reason, [...(byReason.get(reason) ?? []), name]);
  return [...byReason].map(([reason, names]) => {
    const one = names.length === 1;
    return `kept ${one ? 'volume' : 'volumes'} ${names.join(', ')}: ${WHY[reason](removeHint(names), one ? 'it' : 'them')}`;
  });
}
