// `tug down`: engine/down.ts does the work (from what runs, so it works when
// the Compose file has changed or is gone, with -p); here flags in, events out.
import { down } from '../../engine/down.js';
import { parseTimeoutSeconds } from '../args.js';
import type { CliContext } from '../context.js';
import { withEngine } from '../session.js';
import { projectOrName } from '../project-loading.js';

export interface DownFlags {
  volumes?: boolean;
  removeOrphans?: boolean;
  timeout?: string;
}

export async function downCommand(ctx: CliContext, services: string[], flags: DownFlags): Promise<number> {
  const { name, project } = projectOrName(ctx);
  const timeoutMs = parseTimeoutSeconds(flags.timeout);
  return withEngine(ctx, { progress: true }, async (engine) => {
    const result = await down(engine, name, project, {
      services,
      volumes: flags.volumes,
      removeOrphans: flags.removeOrphans,
      timeout: timeoutMs === undefined ? undefined : timeoutMs / 1000,
    });
    if (result.upToDate) ctx.err(`nothing to remove for project ${name}\n`);
    return 0;
  });
}
