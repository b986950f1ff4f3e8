// The arithmetic behind `tug stats` and OOM reports, from literal cgroup and /proc texts.
import { describe, expect, it } from 'vitest';
import { cpuPercent, parseFlatKeyed, parseNetDev, replicaStats } from '../../src/runtime/native/container/cgroups/cgroup-stats.js';

describe('cgroup and /proc texts', () => {
  it('reads flat keyed files: memory.stat, memory.events, v1 oom_control, cpu.stat', () => {
    expect(parseFlatKeyed('oom_kill_disable 0\nunder_oom 0\noom_kill 2\n')).toEqual({ oom_kill_disable: 0, under_oom: 0, oom_kill: 2 });
    expect(parseFlatKeyed('usage_usec 123456\nuser_usec 100000\nsystem_usec 23456\n').usage_usec).toBe(123456);
    expect(parseFlatKeyed('low 0\nhigh 0\nmax 4\noom 1\noom_kill 1\n').oom_kill).toBe(1);
  });

  it('sums the network counters of a namespace, loopback excluded', () => {
    const text = [
      'Inter-|   Receive                                                |  Transmit',
      ' face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed',
      '    lo:    1000      10    0    0    0     0          0         0     1000      10    0    0    0     0       0          0',
      '  eth0:    5000      40    0    0    0     0          0         0     3000      30    0    0    0     0       0          0',
      '  eth1:     200       2    0    0    0     0          0         0      100       1    0    0    0     0       0          0',
    ].join('\n');
    expect(parseNetDev(text)).toEqual({ rxBytes: 5200, txBytes: 3100 });
  });
});

describe('stats', () => {
  it('CPU % is CPU time over wall time, 100 per busy CPU', () => {
    expect(cpuPercent({ cpuNanos: 1e9 }, { cpuNanos: 1.5e9 }, 1e9)).toBe(50);
    expect(cpuPercent({ cpuNanos: 0 }, { cpuNanos: 3e9 }, 2e9)).toBe(150);
    expect(cpuPercent({}, { cpuNanos: 1 }, 1e9)).toBe(0);
  });

  it('memory use without page cache, against the limit or the host\'s memory when unlimited', () => {
    const s = replicaStats({ cpuNanos: 0 }, { cpuNanos: 0, memoryUsage: 30e6, memoryCache: 10e6, memoryLimit: 64e6, pids: 3 }, 1e9, { rxBytes: 1, txBytes: 2 }, 8e9);
    expect(s).toEqual({ cpuPercent: 0, memoryUsage: 20e6, memoryLimit: 64e6, memoryPercent: 31.25, pids: 3, network: { rxBytes: 1, txBytes: 2 } });
    expect(replicaStats({}, { memoryUsage: 1e6, memoryLimit: Infinity }, 1, { rxBytes: 0, txBytes: 0 }, 4e9).memoryLimit).toBe(4e9);
  });
});
