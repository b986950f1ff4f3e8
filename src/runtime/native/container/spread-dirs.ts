// The project directories that hold one subdirectory per replica (bundles,
// runtime state, image roots), created with ext4's "top of hierarchy" flag
// (`chattr +T`), which makes the Orlov allocator place each subdirectory in a
// block group of its own instead of its parent's.
//
// Why: ext4 without a journal (these machines' root filesystem) skips, for
// every inode it allocates, each free inode of the group that was deleted in
// the last minute (five when its block is still dirty): the allocator calls
// recently_deleted() on each in turn. `down` deletes some 16 inodes per
// replica; the next `up` allocates some 22 per replica, all in the one group
// of their parent, so 100 replicas cost millions of those checks: a second
// of CPU on two cores. Spread over groups, each replica's files meet only
// the few inodes its own predecessor left. Measured with perf: the ext4
// inode search went from about 14% of all CPU samples during `up -d` of 100
// replicas to none in the profile's top.
//
// A hint only: on another filesystem, or without chattr, the directories are
// plain ones and nothing else changes.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { findExecutable } from './executables.js';

export interface SpreadDir {
  path: string;
  mode: number;
}

/**
 * Makes the directories that do not exist yet, flagged; resolves when done
 * (never rejects). Existing ones are left as they are: once per directory
 * made, rather than a process per replica.
 */
export function ensureSpreadDirs(dirs: readonly SpreadDir[], chattr = findExecutable('chattr')): Promise<void> {
  const made: string[] = [];
  for (const d of dirs) {
    if (existsSync(d.path)) continue;
    mkdirSync(d.path, { recursive: true, mode: d.mode });
    made.push(d.path);
  }
  if (made.length === 0 || !chattr) return Promise.resolve();
  return new Promise((resolve) => {
    const child = spawn(chattr, ['+T', '--', ...made], { stdio: 'ignore' });
    child.on('error', () => resolve());
    child.on('close', () => resolve());
  });
}
