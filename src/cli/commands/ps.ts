// `tug ps`: the project's replicas, from what runs (labels), as a table or
// as JSON lines with Compose's field names.
import { usageError } from '../../core/errors.js';
import type { ReplicaState } from '../../core/reconcile/observed.js';
import type { CliContext } from '../context.js';
import { psJsonLine, psTable } from '../render/ps.js';
import { projectNameFor, withBackend } from '../session.js';

export interface PsFlags {
  format: 'table' | 'json';
  all?: boolean;
  quiet?: boolean;
  services?: boolean;
  status?: string[];
}

const STATES: ReplicaState[] = ['created', 'running', 'restarting', 'paused', 'exited', 'dead', 'removing'];

export async function psCommand(ctx: CliContext, services: string[], flags: PsFlags): Promise<number> {
  for (const s of flags.status ?? []) {
    if (!STATES.includes(s as ReplicaState)) throw usageError(`invalid --status "${s}"`, `choose from ${STATES.join(', ')}`);
  }
  const name = projectNameFor(ctx);
  return withBackend(ctx, async (backend) => {
    const observed = await backend.observe(name);
    const now = Date.now();
    const rows = observed.replicas
      .filter((r) => services.length === 0 || services.includes(r.service))
      .filter((r) => (flags.status?.length ? flags.status.includes(r.state) : flags.all || r.state === 'running' || r.state === 'restarting'))
      .sort((a, b) => compareText(a.service, b.service) || a.number - b.number || compareText(a.name, b.name));
    if (flags.services) {
      ctx.out([...new Set(rows.map((r) => r.service))].map((s) => `${s}\n`).join(''));
      return 0;
    }
    if (flags.quiet) {
      ctx.out(rows.map((r) => `${r.id}\n`).join(''));
      return 0;
    }
    if (flags.format === 'json') {
      ctx.out(rows.map((r) => psJsonLine(r, now) + '\n').join(''));
      return 0;
    }
    ctx.out(psTable(rows, now, ctx.color));
    return 0;
  });
}

/** Plain code-point order: localeCompare would load ICU collation data, a visible cost at start-up. */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
