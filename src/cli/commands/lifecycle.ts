// `tug start`, `stop`, `restart` and `kill`: act on existing replicas only
// (they never create anything), in dependency order for start, reverse for stop.
import { usageError } from '../../core/errors.js';
import { planKill, planRestart, planStart, planStop } from '../../core/reconcile/down.js';
import { waitForServices } from '../../engine/conditions.js';
import { applyPlans } from '../apply.js';
import { parseTimeoutSeconds, parseWaitTimeout } from '../args.js';
import type { CliContext } from '../context.js';
import { withBackend } from '../session.js';
import { projectOrName } from '../project-loading.js';

export type LifecycleAction = 'start' | 'stop' | 'restart' | 'kill';

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
  const only = services.length > 0 ? services : undefined;
  const known = project ? Object.keys(project.services) : undefined;
  for (const s of services) if (known && !known.includes(s)) throw usageError(`no such service: ${s}`);
  const signal = normalizeSignal(flags.signal ?? 'SIGKILL');
  return withBackend(ctx, async (backend) => {
    const startedAt = new Date().toISOString();
    await applyPlans(ctx, backend, {
      project: name,
      oneShot: true,
      planFor: (state) => {
        switch (action) {
          case 'start':
            return planStart(state, { services: only });
          case 'stop':
            return planStop(state, { services: only, timeoutMs });
          case 'restart':
            return planRestart(state, { services: only, timeoutMs });
          case 'kill':
            return planKill(state, { services: only, signal });
        }
      },
    });
    if (action === 'start' && flags.wait) {
      const observed = await backend.observe(name);
      const targets = only ?? [...new Set(observed.replicas.map((r) => r.service))];
      await waitForServices(backend, name, targets, { timeoutMs: waitTimeoutMs, since: startedAt });
    }
    return 0;
  });
}

function normalizeSignal(value: string): string {
  const upper = value.toUpperCase();
  const name = upper.startsWith('SIG') ? upper : `SIG${upper}`;
  if (!/^SIG[A-Z0-9]+$/.test(name)) throw usageError(`invalid signal "${value}"`, 'e.g. -s SIGTERM or -s KILL');
  return name;
}
