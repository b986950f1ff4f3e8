// `stats`: the resource use of a project's running replicas, per interval,
// filtered by service. Refuses clearly on a backend that cannot measure
// (docker's own `docker stats` exists; tug's comes from native container mode).
import { TugError } from '../core/errors.js';
import type { ReplicaStatsRow } from '../runtime/backend.js';
import type { EngineContext } from './context.js';

export interface StatsOptions {
  services?: string[];
  /** Default 1 s, as `docker stats`. */
  intervalMs?: number;
  signal?: AbortSignal;
}

export async function* stats(ctx: EngineContext, project: string, opts: StatsOptions = {}): AsyncGenerator<ReplicaStatsRow[]> {
  const facet = ctx.backend.stats;
  if (!facet) {
    throw new TugError({
      code: 'stats.unsupported',
      message: `the ${ctx.backend.name} backend does not report replica statistics`,
      hint: ctx.backend.name === 'docker' ? 'use docker stats' : 'run the services as containers (--isolation container)',
    });
  }
  const services = opts.services ?? [];
  const signal = opts.signal ?? new AbortController().signal;
  for await (const rows of facet.stream(project, { intervalMs: opts.intervalMs ?? 1_000, signal })) {
    yield rows.filter((r) => services.length === 0 || services.includes(r.service)).sort((a, b) => (a.replica < b.replica ? -1 : a.replica > b.replica ? 1 : 0));
  }
}
