// Bad input and bad luck on the native backend: clear errors, the right exit
// codes, nothing started halfway, nothing lost.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempProject, tug, tugBin } from '../helpers/cli.js';
import { destroyHome, freePort, isAlive, tempHome, uniqueProject, until } from '../helpers/native-env.js';

const homes: string[] = [];
const servers: Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
  for (const h of homes.splice(0)) destroyHome(h);
});

function setup(compose: string, files: Record<string, string> = {}) {
  const home = tempHome();
  homes.push(home);
  const dir = tempProject({ 'compose.yaml': compose, ...files });
  const project = uniqueProject('e');
  const env = { TUG_HOME: home };
  const run = (args: string[], extraEnv: Record<string, string> = {}) => tug(['-p', project, ...args], { cwd: dir, env: { ...env, ...extraEnv } });
  return { home, dir, project, env, run };
}

const sleeper = 'services:\n  web:\n    command: ["sleep", "60"]\n';

describe('native backend: bad input', () => {
  it('rejects bad scale values with exit code 2 and a clear message', () => {
    const { run } = setup(sleeper);
    const unknown = run(['scale', 'nosuch=2']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no such service: nosuch');
    const word = run(['scale', 'web=abc']);
    expect(word.code).toBe(2);
    expect(word.stderr).toContain('"abc" is not a whole number');
    const negative = run(['scale', 'web=-1']);
    expect(negative.code).toBe(2);
    expect(run(['up', '-d', '--scale', 'web=x']).code).toBe(2);
    expect(run(['ps', '-a', '--format', 'json']).stdout).toBe('');
  });

  it('refuses a published port that is taken, naming it, before anything starts', async () => {
    const port = await freePort();
    const server = createServer().listen(port, '127.0.0.1');
    servers.push(server);
    await new Promise((r) => server.once('listening', r));
    const { run } = setup(
      `services:\n  other:\n    command: ["sleep", "60"]\n  web:\n    command: ["sleep", "60"]\n    ports: ["127.0.0.1:${port}:${port}"]\n`,
    );
    const up = run(['up', '-d']);
    expect(up.code).toBe(1);
    expect(up.stderr).toContain(String(port));
    expect(up.stderr).toMatch(/in use|taken|held/i);
    expect(up.stderr).not.toMatch(/\n\s+at /);
    expect(run(['ps', '-a', '--format', 'json']).stdout).toBe('');
  });

  it('refuses a fixed port shared by several replicas', async () => {
    const port = await freePort();
    const { run } = setup(`services:\n  web:\n    command: ["sleep", "60"]\n    ports: ["127.0.0.1:${port}:${port}"]\n`);
    const up = run(['up', '-d', '--scale', 'web=2']);
    expect(up.code).toBe(1);
    expect(up.stderr).toContain(String(port));
    expect(run(['ps', '-a', '--format', 'json']).stdout).toBe('');
  });

  it('reports a missing bind source', () => {
    const { run } = setup(
      'services:\n  web:\n    command: ["sleep", "60"]\n    volumes:\n      - type: bind\n        source: ./missing\n        target: /data\n        bind:\n          create_host_path: false\n',
    );
    const up = run(['up', '-d']);
    expect(up.code).toBe(1);
    expect(up.stderr).toContain('missing');
    expect(up.stderr).toMatch(/does not exist/);
  });

  it('explains that a host process needs a command when a service only has an image', () => {
    const { run } = setup('services:\n  db:\n    image: postgres:16\n  cache:\n    image: redis\n');
    const up = run(['--isolation', 'process', 'up', '-d']);
    expect(up.code).toBe(1);
    expect(up.stderr).toContain('service "db" has an image but no command');
    expect(up.stderr).toContain('service "cache" has an image but no command');
    expect(up.stderr).toContain('--backend docker');
  });

  it('recovers after the engine is killed in the middle of up', async () => {
    const { home, dir, project, env, run } = setup(
      'services:\n  a:\n    command: ["sleep", "60"]\n  b:\n    command: ["sleep", "60"]\n    depends_on: [a]\n    scale: 3\n',
    );
    const up = spawn(process.execPath, [tugBin, '-p', project, 'up', '-d'], { cwd: dir, env: { ...process.env, ...env } });
    const pidFile = join(home, 'projects', project, 'engine.pid');
    const enginePid = await until(() => {
      try {
        return Number(readFileSync(pidFile, 'utf8').split(' ')[0]) || undefined;
      } catch {
        return undefined;
      }
    }, 'the engine to start');
    process.kill(enginePid, 'SIGKILL');
    await new Promise((r) => up.once('exit', r));
    const again = run(['--progress', 'plain', 'up', '-d']);
    expect(again.code).toBe(0);
    const rows = run(['ps', '--format', 'json']).stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l));
    expect(rows.map((r: { Service: string }) => r.Service).sort()).toEqual(['a', 'b', 'b', 'b']);
    const pids = rows.map((r: { Pid: number }) => r.Pid);
    expect(run(['down', '-t', '1']).code).toBe(0);
    for (const pid of pids) expect(isAlive(pid)).toBe(false);
    expect(isAlive(enginePid)).toBe(false);
  });
});
