// tug-sync's check that the process it writes into is the replica: a pid
// whose root is not the replica's (here, a host process: the pid reused by
// something else) is refused before anything is written, whether the
// replica's root is a host directory or an overlay the runtime mounted
// inside the container (named by its upper directory).
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findExecutable } from '../../src/runtime/native/container/executables.js';
import { ensureSyncHelper } from '../../src/runtime/native/container-sync/sync-helper-binary.js';
import { BUSYBOX } from '../helpers/isolation.js';
import { until } from '../helpers/native-env.js';
import { isRoot } from '../helpers/root.js';

/** A missing piece skips with its reason, or fails where CI requires isolation (scripts/setup-isolation.sh installs both). */
function lacking(what: string, missing: boolean): string | undefined {
  if (!missing) return undefined;
  if (process.env.TUG_REQUIRE_ISOLATION === '1') throw new Error(`tug-sync root checks need ${what}, and TUG_REQUIRE_ISOLATION=1 requires it`);
  console.warn(`skipping tug-sync root checks: no ${what}`);
  return what;
}
const reason = lacking('C compiler (cc)', !findExecutable('cc'));
const noBusybox = lacking(`${BUSYBOX} (busybox-static)`, !existsSync(BUSYBOX));

/** Whether `pid` runs chrooted at `root` yet (chroot has exec'd into it). */
function rootedAt(pid: number, root: string): boolean {
  try {
    return readlinkSync(`/proc/${pid}/root`) === root;
  } catch {
    return false;
  }
}

describe.skipIf(reason !== undefined)('tug-sync refuses a process that is not the replica', () => {
  let home: string;
  let helper: string;
  let sleeper: ReturnType<typeof spawn>;
  beforeAll(() => {
    home = mkdtempSync(join(tmpdir(), 'tug-synccheck-'));
    helper = ensureSyncHelper(home);
    sleeper = spawn('sleep', ['30'], { stdio: 'ignore' });
  });
  afterAll(() => {
    sleeper.kill('SIGKILL');
    rmSync(home, { recursive: true, force: true });
  });

  const attempt = (args: string[], file: string, target: string) =>
    spawnSync(helper, [String(sleeper.pid), ...args], { input: `${file}\0${target}\0`, encoding: 'utf8' });

  it('with a root directory, and with an overlay upper directory', () => {
    const source = join(home, 'src.txt');
    writeFileSync(source, 'x');
    const root = join(home, 'root');
    const upper = join(home, 'upper');
    mkdirSync(root);
    mkdirSync(upper);
    const target = `${home}/written-by-sync.txt`;
    for (const args of [[root], [root, upper]]) {
      const r = attempt(args, source, target);
      expect(r.status, r.stderr).toBe(3);
      expect(r.stderr).toContain('is not rooted in');
    }
    // The host process's root is the host's: had the check passed, the file would be here.
    expect(existsSync(target)).toBe(false);
  });

  it.skipIf(!isRoot || noBusybox !== undefined)('an overlay root is the replica\'s only with its upper directory', async () => {
    const base = join(home, 'ov');
    const [lower, upper, work, mnt] = ['lower', 'upper', 'work', 'mnt'].map((d) => join(base, d)) as [string, string, string, string];
    for (const d of [join(lower, 'bin'), upper, work, mnt]) mkdirSync(d, { recursive: true });
    copyFileSync(BUSYBOX, join(lower, 'bin', 'busybox'));
    chmodSync(join(lower, 'bin', 'busybox'), 0o755);
    expect(spawnSync('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${lower},upperdir=${upper},workdir=${work}`, mnt]).status).toBe(0);
    // A process rooted in that overlay, as a container's init is (its mountinfo shows the overlay at "/").
    const rooted = spawn('chroot', [mnt, '/bin/busybox', 'sleep', '30'], { stdio: 'ignore' });
    try {
      await until(() => rootedAt(rooted.pid!, mnt), `process ${rooted.pid} to run rooted at ${mnt}`, 2_000, 10);
      const source = join(home, 'src.txt');
      writeFileSync(source, 'synced');
      const run = (u: string) => spawnSync(helper, [String(rooted.pid), join(base, 'empty-root'), u], { input: `${source}\0/app/file.txt\0`, encoding: 'utf8' });
      const other = run(join(base, 'another-upper'));
      expect(other.status, other.stderr).toBe(3);
      expect(existsSync(join(upper, 'app', 'file.txt'))).toBe(false);
      const mine = run(upper);
      expect(mine.status, mine.stderr).toBe(0);
      expect(mine.stdout).toBe('c\n');
      expect(readFileSync(join(upper, 'app', 'file.txt'), 'utf8')).toBe('synced');
    } finally {
      rooted.kill('SIGKILL');
      await new Promise((r) => rooted.once('exit', r));
      spawnSync('umount', [mnt]);
    }
  });
});
