// The quickstart example on the native backend, through the built CLI, with
// real processes: what a user does in the README, and what they would notice.
import { spawn } from 'node:child_process';
import { cpSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, tempDir, tug, tugBin } from '../helpers/cli.js';
import { destroyHome, freePort, isAlive, tempHome, uniqueProject, until } from '../helpers/native-env.js';

interface PsRow {
  Name: string;
  Service: string;
  State: string;
  Health: string;
  ExitCode: number;
  Restarts: number;
  Pid: number;
  Replica: number;
  StartedAt: string;
}

describe('examples/quickstart on the native backend', () => {
  let home: string;
  let dir: string;
  let env: Record<string, string>;
  let webPort: number;
  const project = uniqueProject('qs');
  const run = (args: string[]) => tug(['-p', project, ...args], { cwd: dir, env });
  const ps = (...extra: string[]): PsRow[] =>
    run(['ps', '--format', 'json', ...extra])
      .stdout.split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as PsRow);

  beforeAll(async () => {
    home = tempHome();
    dir = tempDir('tug-qs-');
    cpSync(join(repoRoot, 'examples/quickstart'), dir, { recursive: true });
    webPort = await freePort();
    env = { TUG_HOME: home, WEB_PORT: String(webPort), API_PORT: String(await freePort()) };
  });

  afterAll(() => destroyHome(home));

  it('up -d starts all three services, web only once api is healthy', () => {
    const up = run(['--progress', 'plain', 'up', '-d']);
    expect(up.stderr).not.toMatch(/error/i);
    expect(up.code).toBe(0);
    const rows = ps();
    expect(rows.map((r) => r.Service).sort()).toEqual(['api', 'web', 'worker']);
    expect(rows.every((r) => r.State === 'running')).toBe(true);
    const api = rows.find((r) => r.Service === 'api')!;
    const web = rows.find((r) => r.Service === 'web')!;
    expect(api.Health).toBe('healthy');
    expect(Date.parse(web.StartedAt)).toBeGreaterThan(Date.parse(api.StartedAt));
  });

  it('serves the page on the published port', async () => {
    const text = await until(async () => {
      try {
        return await (await fetch(`http://127.0.0.1:${webPort}/`)).text();
      } catch {
        return undefined;
      }
    }, 'the web page');
    expect(text).toMatch(/Hello from tug! The API has been visited \d+ times/);
  });

  it('a second up does nothing and says so', () => {
    const before = ps().map((r) => `${r.Name}:${r.Pid}`).sort();
    const again = run(['--progress', 'plain', 'up', '-d']);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain('up to date');
    expect(ps().map((r) => `${r.Name}:${r.Pid}`).sort()).toEqual(before);
  });

  it('scales up and down, removing the highest numbers first', () => {
    expect(run(['scale', 'worker=3']).code).toBe(0);
    expect(ps().filter((r) => r.Service === 'worker').map((r) => r.Replica).sort()).toEqual([1, 2, 3]);
    expect(run(['scale', 'worker=1']).code).toBe(0);
    expect(ps().filter((r) => r.Service === 'worker').map((r) => r.Name)).toEqual([`${project}-worker-1`]);
  });

  it('shows logs with --tail, and -f follows a replica that appears later', async () => {
    const tail = run(['logs', '--tail', '1', '--no-color', 'api']);
    expect(tail.code).toBe(0);
    expect(tail.stdout.trim().split('\n')).toHaveLength(1);
    expect(tail.stdout).toMatch(/^api-1 +\| /);

    const follower = spawn(process.execPath, [tugBin, '-p', project, 'logs', '-f', '--no-color', 'worker'], { cwd: dir, env: { ...process.env, ...env } });
    let seen = '';
    follower.stdout.on('data', (d) => (seen += d));
    try {
      await until(() => seen.includes('worker-1 |'), 'worker-1 lines');
      expect(run(['scale', 'worker=2']).code).toBe(0);
      await until(() => seen.includes('worker-2 |'), 'worker-2 lines in the follower');
    } finally {
      follower.kill('SIGINT');
    }
    expect(run(['scale', 'worker=1']).code).toBe(0);
  });

  it('restarts a crashed replica (restart: on-failure) and counts it', async () => {
    const worker = ps().find((r) => r.Service === 'worker')!;
    process.kill(worker.Pid, 'SIGKILL');
    const again = await until(() => {
      const w = ps().find((r) => r.Service === 'worker');
      return w && w.State === 'running' && w.Pid !== worker.Pid ? w : undefined;
    }, 'the worker to restart');
    expect(again.Restarts).toBeGreaterThanOrEqual(1);
  });

  it('runs a command in a replica with exec', () => {
    const r = run(['exec', '-T', 'api', 'sh', '-c', 'echo $TUG_SERVICE-$TUG_REPLICA; exit 4']);
    expect(r.stdout.trim()).toBe('api-1');
    expect(r.code).toBe(4);
  });

  it('down stops every process, keeps the named volume, and down -v removes it', () => {
    const pids = ps().map((r) => r.Pid);
    expect(pids.length).toBe(3);
    const volume = join(home, 'volumes', `${project}_worker-data`);
    expect(existsSync(volume)).toBe(true);
    const down = run(['down']);
    expect(down.code).toBe(0);
    for (const pid of pids) expect(isAlive(pid)).toBe(false);
    expect(ps('-a')).toEqual([]);
    expect(existsSync(volume)).toBe(true);
    expect(run(['up', '-d']).code).toBe(0);
    expect(run(['down', '-v']).code).toBe(0);
    expect(existsSync(volume)).toBe(false);
  });
});
