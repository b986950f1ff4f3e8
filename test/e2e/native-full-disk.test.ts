// TUG_HOME on a full disk: the engine must stay responsive (not spin on its
// own failing log writes), replicas keep running, and `ps` and `down` keep
// working and say that logs are not being kept. TUG_HOME is a small tmpfs
// (root only) filled to the last byte.
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmdirSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EngineClient } from '../../src/runtime/native/client.js';
import { tempProject, tug } from '../helpers/cli.js';
import { isAlive, rootAvailable, stopEverything, uniqueProject, until } from '../helpers/native-env.js';

const mounts: string[] = [];
afterEach(() => {
  for (const dir of mounts.splice(0)) {
    stopEverything(dir);
    const umount = spawnSync('umount', [dir], { encoding: 'utf8' });
    if (umount.status !== 0) spawnSync('umount', ['-l', dir]);
    rmdirSync(dir);
  }
});

/** A 4 MiB tmpfs, mode 0700 like a TUG_HOME tug would create. */
function smallDisk(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tug-full-'));
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=4m,mode=0700', 'tug-full-test', dir], { encoding: 'utf8' });
  if (r.status !== 0) {
    rmdirSync(dir);
    throw new Error(`cannot mount a tmpfs: ${r.stderr}`);
  }
  mounts.push(dir);
  return dir;
}

/** Writes to `file` until the file system refuses another byte. */
function fill(file: string): void {
  const fd = openSync(file, 'w');
  try {
    for (const size of [1 << 20, 1 << 12, 1]) {
      const chunk = Buffer.alloc(size, 0x2e);
      for (;;) {
        try {
          writeSync(fd, chunk);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
          break;
        }
      }
    }
  } finally {
    closeSync(fd);
  }
}

/** utime + stime of a process, in clock ticks. */
function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]); // fields 14 and 15
}

interface PsRow {
  Name: string;
  State: string;
  Pid: number;
  Notes: string;
}

describe.skipIf(!rootAvailable('the full-disk test (mounts a tmpfs)'))('a full TUG_HOME', () => {
  it('keeps the engine responsive and the replica running; ps and down work and say logs are not kept', async () => {
    const home = smallDisk();
    const dir = tempProject({
      'compose.yaml': 'services:\n  talker:\n    command: ["sh", "-c", "while :; do echo line; sleep 0.01; done"]\n',
    });
    const project = uniqueProject('fd');
    const run = (args: string[]) => tug(['-p', project, ...args], { cwd: dir, env: { TUG_HOME: home } });
    const rows = (): PsRow[] => run(['ps', '-a', '--format', 'json']).stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as PsRow);
    expect(run(['up', '-d']).code).toBe(0);
    const paths = join(home, 'projects', project);
    const enginePid = Number(readFileSync(join(paths, 'engine.pid'), 'utf8').split(' ')[0]);
    const replicaPid = rows()[0]!.Pid;
    await until(() => readFileSync(join(paths, 'logs', `${project}-talker-1.jsonl`), 'utf8').includes('line'), 'the first log line');

    fill(join(home, 'filler'));
    await until(() => rows()[0]?.Notes.includes('logs not kept: no space left on device'), 'ps to say the logs are not kept');

    const client = new EngineClient(join(paths, 'engine.sock'), project);
    try {
      const asked = Date.now();
      expect((await client.call('ping', {}, { timeoutMs: 1_000 })).pid).toBe(enginePid);
      expect(Date.now() - asked).toBeLessThan(1_000);
    } finally {
      client.close();
    }
    const before = cpuTicks(enginePid);
    await new Promise((r) => setTimeout(r, 1_000));
    // 100 ticks a second is one core pegged; draining 100 lines/s costs a few.
    expect(cpuTicks(enginePid) - before).toBeLessThan(30);

    expect(isAlive(replicaPid)).toBe(true);
    const table = run(['ps']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/Up .*; logs not kept: no space left on device/);
    const [row] = rows();
    expect(row).toMatchObject({ State: 'running', Pid: replicaPid });

    const down = run(['down', '-t', '1']);
    expect(down.code, down.stderr).toBe(0);
    await until(() => !isAlive(replicaPid) && !isAlive(enginePid), 'the replica and the engine to be gone');
    expect(rows()).toEqual([]);
  });
});
