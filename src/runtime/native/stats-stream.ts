// `tug stats` on the native backend: the engine hands out raw samples of its
// running container replicas (cgroup counters, network bytes, its clock); CPU %
// needs two of them, so this asks every interval and turns each pair into a
// row with cgroup-stats.ts's arithmetic. Process replicas have no cgroup of
// their own and are not listed.
import { totalmem } from 'node:os';
import type { ReplicaStatsRow } from '../backend.js';
import { sleep } from '../../timers.js';
import { replicaStats } from './container/cgroups/cgroup-stats.js';
import type { StatsSample } from './protocol.js';

function row(before: StatsSample | undefined, now: StatsSample, hostMemory: number): ReplicaStatsRow {
  const cgroup = (s: StatsSample) => ({ cpuNanos: s.cpuNanos, memoryUsage: s.memoryUsage, memoryLimit: s.memoryLimit ?? Infinity, memoryCache: s.memoryCache, pids: s.pids });
  const stats = replicaStats(cgroup(before ?? now), cgroup(now), before ? now.atNanos - before.atNanos : 0, { rxBytes: now.rxBytes, txBytes: now.txBytes }, hostMemory);
  return {
    replica: now.replica,
    service: now.service,
    cpuPercent: stats.cpuPercent,
    memoryUsage: stats.memoryUsage,
    memoryLimit: stats.memoryLimit,
    memoryPercent: stats.memoryPercent,
    pids: stats.pids,
    netRxBytes: stats.network.rxBytes,
    netTxBytes: stats.network.txBytes,
  };
}

/** Rows every `intervalMs` from `sample` (one engine call each), until the signal aborts. */
export async function* statsStream(sample: () => Promise<StatsSample[]>, opts: { intervalMs: number; signal: AbortSignal }): AsyncGenerator<ReplicaStatsRow[]> {
  const hostMemory = totalmem();
  let previous = new Map((await sample()).map((s) => [s.replica, s]));
  while (!opts.signal.aborted) {
    await sleep(opts.intervalMs, opts.signal).catch(() => undefined);
    if (opts.signal.aborted) return;
    const now = await sample();
    yield now.map((s) => row(previous.get(s.replica), s, hostMemory));
    previous = new Map(now.map((s) => [s.replica, s]));
  }
}
