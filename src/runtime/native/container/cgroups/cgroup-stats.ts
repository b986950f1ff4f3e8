// Pure arithmetic behind `tug stats`: parsing cgroup and /proc texts, and
// turning two samples into CPU %, the way `docker stats` computes it (CPU time
// used over wall time elapsed, so 100% = one full CPU).

export interface CgroupSample {
  memoryUsage?: number;
  /** Infinity when unlimited. */
  memoryLimit?: number;
  /** Reclaimable page cache, which `docker stats` subtracts from usage. */
  memoryCache?: number;
  cpuNanos?: number;
  pids?: number;
  pidsLimit?: number;
  oomKills?: number;
}

export interface NetworkCounters {
  rxBytes: number;
  txBytes: number;
}

export interface ReplicaStats {
  cpuPercent: number;
  memoryUsage: number;
  memoryLimit: number;
  memoryPercent: number;
  pids: number;
  network: NetworkCounters;
}

/** "key value" lines (memory.stat, memory.events, memory.oom_control, cpu.stat). */
export function parseFlatKeyed(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const [key, value] = line.trim().split(/\s+/);
    if (key && value !== undefined && /^\d+$/.test(value)) out[key] = Number(value);
  }
  return out;
}

/** /proc/<pid>/net/dev of the container's network namespace: totals over every interface but loopback. */
export function parseNetDev(text: string): NetworkCounters {
  const totals: NetworkCounters = { rxBytes: 0, txBytes: 0 };
  for (const line of text.split('\n').slice(2)) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim();
    if (name === 'lo') continue;
    const fields = line.slice(colon + 1).trim().split(/\s+/).map(Number);
    totals.rxBytes += fields[0] ?? 0;
    totals.txBytes += fields[8] ?? 0;
  }
  return totals;
}

/** CPU % between two samples `elapsedNanos` apart; 100 = one CPU busy the whole time. */
export function cpuPercent(before: CgroupSample, now: CgroupSample, elapsedNanos: number): number {
  if (before.cpuNanos === undefined || now.cpuNanos === undefined || elapsedNanos <= 0) return 0;
  const used = Math.max(0, now.cpuNanos - before.cpuNanos);
  return Math.round((used / elapsedNanos) * 10000) / 100;
}

export function replicaStats(before: CgroupSample, now: CgroupSample, elapsedNanos: number, network: NetworkCounters, hostMemory: number): ReplicaStats {
  const usage = Math.max(0, (now.memoryUsage ?? 0) - (now.memoryCache ?? 0));
  const limit = now.memoryLimit === undefined || now.memoryLimit === Infinity ? hostMemory : Math.min(now.memoryLimit, hostMemory);
  return {
    cpuPercent: cpuPercent(before, now, elapsedNanos),
    memoryUsage: usage,
    memoryLimit: limit,
    memoryPercent: limit > 0 ? Math.round((usage / limit) * 10000) / 100 : 0,
    pids: now.pids ?? 0,
    network,
  };
}
