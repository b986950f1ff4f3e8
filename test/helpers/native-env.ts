// Per-test isolation for the native backend: a private TUG_HOME, a unique
// project name, free ports, and a teardown that leaves no process behind.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { tugBin } from './cli.js';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

let counter = 0;
export function uniqueProject(prefix = 't'): string {
  return `${prefix}${process.pid}x${Date.now().toString(36)}${counter++}`;
}

export function tempHome(): string {
  return mkdtempSync(join(tmpdir(), 'tug-home-'));
}

/** Makes a TUG_HOME per call; each is destroyed (engines and replicas killed) after its test. */
export function tempHomes(): () => string {
  const homes: string[] = [];
  afterEach(() => {
    for (const h of homes.splice(0)) destroyHome(h);
  });
  return () => {
    const home = tempHome();
    homes.push(home);
    return home;
  };
}

/** Kill every engine and replica recorded under a TUG_HOME, then delete it. */
export function destroyHome(home: string): void {
  stopEverything(home);
  rmSync(home, { recursive: true, force: true });
}

/** `down` every project under a TUG_HOME, then SIGKILL every engine and process group it recorded. */
export function stopEverything(home: string): void {
  const projects = join(home, 'projects');
  let names: string[] = [];
  try {
    names = readdirSync(projects);
  } catch {
    names = [];
  }
  for (const project of names) {
    spawnSync(process.execPath, [tugBin, '-p', project, 'down', '-t', '0'], {
      env: { ...process.env, TUG_HOME: home, NO_COLOR: '1' },
      timeout: 20_000,
      encoding: 'utf8',
    });
    for (const pid of recordedPids(join(projects, project))) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
  }
}

function recordedPids(dir: string): number[] {
  const pids: number[] = [];
  try {
    pids.push(Number(readFileSync(join(dir, 'engine.pid'), 'utf8').split(' ')[0]));
  } catch {
    /* no engine */
  }
  for (const file of ['state.json', 'state.journal']) {
    try {
      const text = readFileSync(join(dir, file), 'utf8');
      for (const m of text.matchAll(/"(?:pid|pgid)"\s*:\s*(\d+)/g)) pids.push(Number(m[1]));
    } catch {
      /* no state */
    }
  }
  return pids.filter((p) => Number.isInteger(p) && p > 1);
}

export async function until<T>(fn: () => T | Promise<T>, what: string, timeoutMs = 15_000, everyMs = 100): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/**
 * Whether tests that need root (mounts, chown to another user) can run. Without
 * root they skip with a printed reason, or fail when TUG_REQUIRE_ISOLATION=1 (CI).
 */
export function rootAvailable(what: string): boolean {
  if (process.getuid?.() === 0) return true;
  const reason = `skipping ${what}: needs root`;
  if (process.env.TUG_REQUIRE_ISOLATION === '1') throw new Error(`${reason}, and TUG_REQUIRE_ISOLATION=1 requires it`);
  console.warn(reason);
  return false;
}
