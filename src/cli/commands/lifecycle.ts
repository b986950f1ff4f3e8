// `tug start`, `stop`, `restart` and `kill`: engine/lifecycle.ts acts on the
// existing replicas; here flags in, events out.
import { usageError } from '../../core/errors.js';
import type { LifecycleAction } from '../../engine/lifecycle.js';
import { parseTimeoutSeconds, parseWaitTimeout } from '../args.js';
import type { CliContext } from '../context.js';
import { withProject } from '../session.js';
import { projectOrName } from '../project-loading.js';

export type { LifecycleAction };

export interface LifecycleFlags {
  timeout?: string;
  signal?: string;
  wait?: boolean;
  waitTimeout?: string;
}

export async function lifecycleCommand(ctx: CliContext, action: LifecycleAction, services: string[], flags: LifecycleFlags): Promise<number> {
  const { name, project } = projectOrName(ctx);
  const timeoutMs = parseTimeoutSeconds(flags.timeout);
  const waitTimeoutMs = parseWaitTimeout(flags.waitTimeout);
  const known = project ? Object.keys(project.services) : undefined;
  for (const s of services) if (known && !known.includes(s)) throw usageError(`no such service: ${s}`);
  return withProject(ctx, { progress: true }, project ?? name, async (tug) => {
    await tug[action]({
      services,
      timeout: timeoutMs === undefined ? undefined : timeoutMs / 1000,
      signal: flags.signal,
      wait: flags.wait,
      waitTimeout: waitTimeoutMs === undefined ? undefined : waitTimeoutMs / 1000,
    });
    return 0;
  });
}
