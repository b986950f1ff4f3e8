// The per-replica parent directories: made with their mode, and flagged for
// ext4's Orlov spreading where the filesystem has the flag; left alone when
// they exist; a machine without chattr still gets plain directories.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ensureSpreadDirs } from '../../src/runtime/native/container/spread-dirs.js';
import { findExecutable } from '../../src/runtime/native/container/executables.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function scratch(): string {
  const d = mkdtempSync(join(tmpdir(), 'tug-spread-'));
  dirs.push(d);
  return d;
}

/** The attribute letters lsattr shows for a directory, or undefined where the filesystem has none. */
function attributes(dir: string): string | undefined {
  const r = spawnSync('lsattr', ['-d', dir], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.split(/\s+/)[0] : undefined;
}

const fsType = spawnSync('findmnt', ['-no', 'FSTYPE', '-T', tmpdir()], { encoding: 'utf8' }).stdout.trim();
const flagReason = !findExecutable('chattr') ? 'no chattr (e2fsprogs)' : !/^ext[234]$/.test(fsType) ? `${tmpdir()} is ${fsType || 'unknown'}, not ext2/3/4` : undefined;
if (flagReason) console.warn(`skipping the ext4 flag check: ${flagReason}`);

describe('ensureSpreadDirs', () => {
  it('makes missing directories with their mode (parents included)', async () => {
    const base = scratch();
    const a = join(base, 'projects', 'p', 'containers');
    const b = join(base, 'projects', 'p', 'image-roots');
    await ensureSpreadDirs([{ path: a, mode: 0o700 }, { path: b, mode: 0o755 }]);
    expect(statSync(a).mode & 0o777).toBe(0o700);
    expect(statSync(b).mode & 0o777).toBe(0o755);
  });

  it.skipIf(flagReason !== undefined)('flags what it made with the top-of-hierarchy attribute, and leaves existing directories alone', async () => {
    const base = scratch();
    const existing = join(base, 'existing');
    mkdirSync(existing);
    const made = join(base, 'made');
    await ensureSpreadDirs([{ path: existing, mode: 0o700 }, { path: made, mode: 0o700 }]);
    expect(attributes(made)).toContain('T');
    expect(attributes(existing)).not.toContain('T');
  });

  it('still makes the directories when chattr cannot run', async () => {
    const dir = join(scratch(), 'runc');
    await ensureSpreadDirs([{ path: dir, mode: 0o700 }], join(scratch(), 'no-such-chattr'));
    expect(statSync(dir).isDirectory()).toBe(true);
  });
});
