// `sync` for replicas that run as host processes: decides once per rule
// whether it may copy (core/watch/process-sync.ts), then copies changed paths
// from the rule's path to its target on the host, never outside the project
// directory. Each write is checked where it lands: a symlink inside the target
// tree that points out of the project stops that file, and files are written
// to a temporary name and renamed into place, so an existing symlink at the
// destination is replaced, never written through, and the process never reads
// a half-written file.
import type { Stats } from 'node:fs';
import { chmod, copyFile, lstat, mkdir, readlink, realpath, rename, rm, symlink } from 'node:fs/promises';
import { dirname, join, posix, relative } from 'node:path';
import { TugError } from '../../core/errors.js';
import type { SyncPath } from '../../core/watch/changes.js';
import { isInside } from '../../core/watch/paths.js';
import { decideProcessSync, processTarget, type ProcessSyncDecision } from '../../core/watch/process-sync.js';
import type { ServiceWatchRule } from '../../core/watch/rules.js';

export interface HostSyncResult {
  copied: number;
  removed: number;
  ms: number;
  /** Paths that could not be synced, each with why. */
  errors: TugError[];
}

/** The decision for one rule, from the file system as it is now. */
export async function decideHostSync(entry: ServiceWatchRule, projectDir: string): Promise<ProcessSyncDecision> {
  const target = processTarget(entry.rule.target ?? '', projectDir);
  return decideProcessSync(entry, projectDir, {
    project: await realpath(projectDir),
    source: await realPathOf(entry.rule.path),
    target: await realPathOf(target),
  });
}

/** Copies (or removes) each path as it is on the host now; `projectDir` bounds every write. */
export async function syncOnHost(paths: readonly SyncPath[], projectDir: string): Promise<HostSyncResult> {
  const started = performance.now();
  const project = await realpath(projectDir);
  const result: HostSyncResult = { copied: 0, removed: 0, ms: 0, errors: [] };
  for (const p of paths) {
    const dest = processTarget(p.target, projectDir);
    try {
      const source = await lstat(p.hostPath).catch(() => undefined);
      await ensureParentInside(dest, project);
      if (!source) {
        if (isInside(project, await realPathOf(dest))) throw outside(dest, 'it is the project directory or holds it');
        await rm(dest, { recursive: true, force: true });
        result.removed++;
      } else if (await place(p.hostPath, source, dest)) result.copied++;
    } catch (err) {
      result.errors.push(err instanceof TugError ? err : new TugError({ code: 'sync.failed', message: `cannot sync ${p.hostPath} to ${dest}: ${(err as Error).message}` }));
    }
  }
  result.ms = Math.round(performance.now() - started);
  return result;
}

/** The destination's directory exists and really is inside the project (no symlink leads out). */
async function ensureParentInside(dest: string, project: string): Promise<void> {
  const parent = dirname(dest);
  const real = await realPathOf(parent);
  if (!isInside(real, project)) throw outside(dest, `${parent} leads through a symlink to ${real}, outside the project directory`);
  await mkdir(parent, { recursive: true });
}

function outside(dest: string, why: string): TugError {
  return new TugError({
    code: 'watch.sync-outside-project',
    message: `cannot sync to ${dest}: ${why}`,
    hint: 'in process mode tug writes only inside the project directory',
  });
}

/** Puts a file, link or directory at `dest`; false for what cannot be copied (sockets, devices). */
async function place(from: string, source: Stats, dest: string): Promise<boolean> {
  if (source.isDirectory()) {
    const existing = await lstat(dest).catch(() => undefined);
    if (existing && !existing.isDirectory()) await rm(dest, { force: true });
    await mkdir(dest, { recursive: true });
    await chmod(dest, source.mode & 0o7777);
    return true;
  }
  if (!source.isFile() && !source.isSymbolicLink()) return false;
  const temporary = join(dirname(dest), `.tug-sync-${process.pid}-${posix.basename(dest)}`);
  await rm(temporary, { force: true });
  if (source.isSymbolicLink()) await symlink(await readlink(from), temporary);
  else {
    await copyFile(from, temporary);
    await chmod(temporary, source.mode & 0o7777);
  }
  const existing = await lstat(dest).catch(() => undefined);
  if (existing?.isDirectory()) await rm(dest, { recursive: true, force: true });
  await rename(temporary, dest);
  return true;
}

/** The real path, or for a path that does not exist yet its nearest existing ancestor's real path plus the rest. */
async function realPathOf(path: string): Promise<string> {
  let existing = path;
  for (;;) {
    try {
      const real = await realpath(existing);
      return join(real, relative(existing, path));
    } catch {
      const up = dirname(existing);
      if (up === existing) return path;
      existing = up;
    }
  }
}
