// `ps`: the project's replicas, from what runs (labels), filtered by service
// and state and in a stable order. Rendering (table, JSON lines) is the
// caller's; the rows `ps --format json` prints come from core/render/ps-row.ts.
import { compareText } from '../core/compare.js';
import { usageError } from '../core/errors.js';
import type { ObservedReplica, ReplicaState } from '../core/reconcile/observed.js';
import type { EngineContext } from './context.js';

export interface PsOptions {
  services?: string[];
  /** Stopped replicas too. */
  all?: boolean;
  /** Only replicas in these states (overrides `all`). */
  status?: string[];
}

export const REPLICA_STATES: readonly ReplicaState[] = ['created', 'running', 'restarting', 'paused', 'exited', 'dead', 'removing'];

export async function ps(ctx: EngineContext, project: string, opts: PsOptions = {}): Promise<ObservedReplica[]> {
  for (const s of opts.status ?? []) {
    if (!REPLICA_STATES.includes(s as ReplicaState)) throw usageError(`invalid --status "${s}"`, `choose from ${REPLICA_STATES.join(', ')}`);
  }
  const services = opts.services ?? [];
  const observed = await ctx.backend.replicas.observe(project);
  return observed.replicas
    .filter((r) => services.length === 0 || services.includes(r.service))
    .filter((r) => (opts.status?.length ? opts.status.includes(r.state) : opts.all || r.state === 'running' || r.state === 'restarting'))
    .sort((a, b) => compareText(a.service, b.service) || a.number - b.number || compareText(a.name, b.name));
}

/** `ps --size`: bytes each replica wrote to its own root filesystem, by ID; none known when the backend cannot tell. */
export async function replicaSizes(ctx: EngineContext, project: string, replicas: readonly ObservedReplica[]): Promise<Record<string, number | undefined>> {
  const facet = ctx.backend.replicas;
  if (!facet.diskUsage || replicas.length === 0) return {};
  return facet.diskUsage(project, replicas.map((r) => r.id));
}
