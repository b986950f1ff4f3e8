// Reading a container's cgroup on whichever layout the machine has (v1, v2 or
// hybrid, where the v1 controllers do the work): memory use and limit, CPU
// time, pids, and OOM kills, the fact behind "exit 137, OOM killed". Also the
// removal of the directories runc leaves: `runc delete` removes the
// container's own cgroup but not the parents tug named in cgroupsPath.
import { rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { readTextFile } from '../read-file.js';
import type { CgroupMounts } from './cgroup-layout.js';
import { parseFlatKeyed, type CgroupSample } from './cgroup-stats.js';

const read = readTextFile;

function number(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const t = text.trim();
  if (t === 'max') return Infinity;
  const n = Number(t);
  return Number.isFinite(n) ? n : undefined;
}

/** v1 reports "no limit" as a huge page-aligned number. */
const V1_UNLIMITED = 2 ** 62;

/** Which hierarchy serves a controller: v1 when it is mounted there (hybrid included), else v2. */
function dirFor(mounts: CgroupMounts, controller: string, path: string): { dir: string; v2: boolean } | undefined {
  const v1 = mounts.v1[controller];
  if (v1) return { dir: join(v1, path), v2: false };
  if (mounts.v2) return { dir: join(mounts.v2, path), v2: true };
  return undefined;
}

export function readCgroupSample(mounts: CgroupMounts, path: string): CgroupSample {
  const sample: CgroupSample = {};
  const memory = dirFor(mounts, 'memory', path);
  if (memory) {
    const stat = parseFlatKeyed(read(join(memory.dir, 'memory.stat')) ?? '');
    if (memory.v2) {
      sample.memoryUsage = number(read(join(memory.dir, 'memory.current')));
      sample.memoryLimit = number(read(join(memory.dir, 'memory.max')));
      sample.memoryCache = stat.inactive_file;
      sample.oomKills = parseFlatKeyed(read(join(memory.dir, 'memory.events')) ?? '').oom_kill;
    } else {
      sample.memoryUsage = number(read(join(memory.dir, 'memory.usage_in_bytes')));
      const limit = number(read(join(memory.dir, 'memory.limit_in_bytes')));
      sample.memoryLimit = limit !== undefined && limit >= V1_UNLIMITED ? Infinity : limit;
      sample.memoryCache = stat.total_inactive_file ?? stat.inactive_file;
      sample.oomKills = parseFlatKeyed(read(join(memory.dir, 'memory.oom_control')) ?? '').oom_kill;
    }
  }
  const cpu = dirFor(mounts, 'cpuacct', path) ?? dirFor(mounts, 'cpu', path);
  if (cpu) {
    if (cpu.v2) {
      const usec = parseFlatKeyed(read(join(cpu.dir, 'cpu.stat')) ?? '').usage_usec;
      if (usec !== undefined) sample.cpuNanos = usec * 1000;
    } else sample.cpuNanos = number(read(join(cpu.dir, 'cpuacct.usage')));
  }
  const pids = dirFor(mounts, 'pids', path);
  if (pids) {
    sample.pids = number(read(join(pids.dir, 'pids.current')));
    sample.pidsLimit = number(read(join(pids.dir, 'pids.max')));
  }
  return sample;
}

/** Whether the kernel killed a process of this cgroup for lack of memory (read before `runc delete`). */
export function oomKilled(mounts: CgroupMounts, path: string): boolean {
  return (readCgroupSample(mounts, path).oomKills ?? 0) > 0;
}

/** Whether memory+swap limits can be set (v1 memory.memsw.*, v2 memory.swap.max). */
export function swapAccounting(mounts: CgroupMounts): boolean {
  // Fixed at boot (swapaccount=): asked once per layout, not once per replica.
  let known = swapAccountingOf.get(mounts);
  if (known === undefined) swapAccountingOf.set(mounts, (known = readSwapAccounting(mounts)));
  return known;
}

const swapAccountingOf = new WeakMap<CgroupMounts, boolean>();

function readSwapAccounting(mounts: CgroupMounts): boolean {
  if (mounts.v1.memory) return read(join(mounts.v1.memory, 'memory.memsw.limit_in_bytes')) !== undefined;
  // v2 kernels account swap with the memory controller (memory.swap.max in every child).
  if (mounts.v2) return (read(join(mounts.v2, 'cgroup.controllers')) ?? '').split(/\s+/).includes('memory');
  return false;
}

/** Every distinct hierarchy mount point (v1 ones, named ones like name=systemd, and v2). */
export function hierarchyRoots(mounts: CgroupMounts): string[] {
  const roots = new Set(Object.values(mounts.v1));
  if (mounts.v2) roots.add(mounts.v2);
  return [...roots];
}

/**
 * rmdir of each of `paths` in every hierarchy, then of their parents up to
 * (not including) `stopAt`, each parent once however many children it had.
 * rmdir only removes empty cgroups, so a parent another container still uses
 * stays. Returns the leaf directories that could not go.
 */
export function removeCgroups(mounts: CgroupMounts, paths: readonly string[], stopAt: string): string[] {
  const left: string[] = [];
  const parents = new Set<string>();
  for (const path of paths) {
    for (let p = path.slice(0, path.lastIndexOf('/')); p.startsWith(`${stopAt}/`); p = p.slice(0, p.lastIndexOf('/'))) parents.add(p);
  }
  const deepestFirst = [...parents].sort((a, b) => b.length - a.length);
  for (const root of hierarchyRoots(mounts)) {
    for (const path of paths) if (!rmdirQuietly(join(root, path))) left.push(join(root, path));
    for (const parent of deepestFirst) rmdirQuietly(join(root, parent));
  }
  return left;
}

export function removeCgroup(mounts: CgroupMounts, path: string, stopAt: string): string[] {
  return removeCgroups(mounts, [path], stopAt);
}

/** true when the directory is gone (removed now, or already). */
function rmdirQuietly(dir: string): boolean {
  try {
    rmdirSync(dir);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT';
  }
}
