// Reading a container's cgroup on the v1 and v2 layouts, from file trees laid
// out as the kernel does (this machine is hybrid, so each layout gets its own
// tree here; the real hierarchy is read in container-runtime.test.ts).
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { oomKilled, readCgroupSample, removeCgroup } from '../../src/runtime/native/container/cgroups/cgroup-files.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'tug-cgroup-'));
  dirs.push(root);
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(join(root, rel, '..'), { recursive: true });
    writeFileSync(join(root, rel), text);
  }
  return root;
}

describe('cgroup files', () => {
  it('v2: memory.current/max, memory.events oom_kill, cpu.stat, pids', () => {
    const root = tree({
      'tug/p/r/memory.current': '2097152\n',
      'tug/p/r/memory.max': 'max\n',
      'tug/p/r/memory.stat': 'anon 1048576\ninactive_file 524288\n',
      'tug/p/r/memory.events': 'low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n',
      'tug/p/r/cpu.stat': 'usage_usec 2500\n',
      'tug/p/r/pids.current': '4\n',
      'tug/p/r/pids.max': '20\n',
    });
    const mounts = { layout: 'v2' as const, v1: {}, v2: root };
    expect(readCgroupSample(mounts, '/tug/p/r')).toEqual({
      memoryUsage: 2097152,
      memoryLimit: Infinity,
      memoryCache: 524288,
      oomKills: 1,
      cpuNanos: 2_500_000,
      pids: 4,
      pidsLimit: 20,
    });
    expect(oomKilled(mounts, '/tug/p/r')).toBe(true);
  });

  it('v1 (and hybrid): memory.usage_in_bytes, a huge limit meaning none, oom_control, cpuacct.usage', () => {
    const root = tree({
      'memory/tug/p/r/memory.usage_in_bytes': '4096\n',
      'memory/tug/p/r/memory.limit_in_bytes': '9223372036854771712\n',
      'memory/tug/p/r/memory.stat': 'total_inactive_file 1024\n',
      'memory/tug/p/r/memory.oom_control': 'oom_kill_disable 0\nunder_oom 0\noom_kill 0\n',
      'cpuacct/tug/p/r/cpuacct.usage': '777\n',
      'pids/tug/p/r/pids.current': '1\n',
      'pids/tug/p/r/pids.max': 'max\n',
    });
    const mounts = { layout: 'hybrid' as const, v1: { memory: join(root, 'memory'), cpuacct: join(root, 'cpuacct'), pids: join(root, 'pids') }, v2: join(root, 'unified') };
    expect(readCgroupSample(mounts, '/tug/p/r')).toEqual({ memoryUsage: 4096, memoryLimit: Infinity, memoryCache: 1024, oomKills: 0, cpuNanos: 777, pids: 1, pidsLimit: Infinity });
    expect(oomKilled(mounts, '/tug/p/r')).toBe(false);
  });

  it('removes the replica\'s cgroup and the parents it emptied, in every hierarchy, and keeps a parent still in use', () => {
    const root = tree({ 'memory/tug/p/other/x': '', 'pids/tug/p/.keep': '' });
    mkdirSync(join(root, 'memory/tug/p/r'), { recursive: true });
    mkdirSync(join(root, 'pids/tug/p/r'), { recursive: true });
    rmSync(join(root, 'pids/tug/p/.keep'));
    const mounts = { layout: 'v1' as const, v1: { memory: join(root, 'memory'), pids: join(root, 'pids') } };
    expect(removeCgroup(mounts, '/tug/p/r', '/tug')).toEqual([]);
    expect(existsSync(join(root, 'memory/tug/p/r'))).toBe(false);
    expect(existsSync(join(root, 'memory/tug/p'))).toBe(true); // another replica's cgroup is in it
    expect(existsSync(join(root, 'pids/tug/p'))).toBe(false);
    expect(existsSync(join(root, 'pids/tug'))).toBe(true); // the root all projects share stays
  });
});
