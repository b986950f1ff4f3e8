// `tug down`: engine/down.ts does the work (from what runs, so it works when
// the Compose file has changed or is gone, with -p); here flags in, events out.
import { parseTimeoutSeconds } from '../args.js';
import type { CliContext } from '../context.js';
import { withProject } from '../session.js';
import { projectOrName } from '../project-loading.js';

export interface DownFlags {
  volumes?: boolean;
  removeOrphans?: boolean;
  timeout?: string;
  rmi?: 'local' | 'all';
}

export async function downCommand(ctx: CliContext, services: string[], flags: DownFlags): Promise<number> {
  const { name, project } = projectOrName(ctx);
  const timeoutMs = parseTimeoutSeconds(flags.timeout);
  return withProject(ctx, { progress: true }, project ?? name, async (tug) => {
    const result = await tug.down({
      services,
      volumes: flags.volumes,
      removeOrphans: flags.removeOrphans,
      timeout: timeoutMs === undefined ? undefined : timeoutMs / 1000,
      rmi: flags.rmi,
    });
    if (result.upToDate) ctx.err(`nothing to remove for project ${name}\n`);
    return 0;
  });
}
