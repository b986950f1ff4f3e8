// The rest of the command set on the native backend, through the built CLI:
// attached up and Ctrl-C, abort flags, run, --wait, stop/start/restart/kill, ls.
import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { tempProject, tug, tugBin } from '../helpers/cli.js';
import { destroyHome, isAlive, tempHome, uniqueProject, until } from '../helpers/native-env.js';

const homes: string[] = [];
afterEach(() => {
  for (const h of homes.splice(0)) destroyHome(h);
});

function setup(compose: string) {
  const home = tempHome();
  homes.push(home);
  const dir = tempProject({ 'compose.yaml': compose });
  const project = uniqueProject('l');
  const env = { TUG_HOME: home };
  const run = (args: string[], extra: Record<string, string> = {}) => tug(['-p', project, ...args], { cwd: dir, env: { ...env, ...extra } });
  const rows = () =>
    run(['ps', '-a', '--format', 'json']).stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { Name: string; Service: string; State: string; ExitCode: number; Pid: number; Health: string });
  const attached = (args: string[]) => {
    const child = spawn(process.execPath, [tugBin, '-p', project, '--progress', 'plain', ...args], { cwd: dir, env: { ...process.env, ...env, NO_COLOR: '1' } });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    return { child, out: () => out, err: () => err, exited };
  };
  return { home, dir, project, run, rows, attached };
}

describe('attached up', () => {
  it('prints prefixed logs, and Ctrl-C stops the project gracefully with exit code 130', async () => {
    const { rows, attached } = setup(
      'services:\n  talker:\n    command: ["sh", "-c", "echo hello from talker; trap \'echo bye; exit 0\' TERM; while true; do sleep 0.1; done"]\n',
    );
    const up = attached(['up']);
    await until(() => up.out().includes('talker-1 | hello from talker'), 'the first log line');
    const pid = rows()[0]!.Pid;
    up.child.kill('SIGINT');
    expect(await up.exited).toBe(130);
    expect(up.err()).toContain('Gracefully stopping');
    expect(up.out()).toContain('talker-1 | bye');
    expect(isAlive(pid)).toBe(false);
    expect(rows()[0]!.State).toBe('exited');
  });

  it('--abort-on-container-exit stops everything when one replica exits, with its exit code', async () => {
    const { rows, attached } = setup(
      'services:\n  short:\n    command: ["sh", "-c", "sleep 0.5; exit 3"]\n  long:\n    command: ["sleep", "60"]\n',
    );
    const up = attached(['up', '--abort-on-container-exit']);
    expect(await up.exited).toBe(3);
    expect(rows().every((r) => r.State === 'exited')).toBe(true);
  });

  it('--exit-code-from returns that service\'s exit code', async () => {
    const { attached } = setup(
      'services:\n  tests:\n    command: ["sh", "-c", "echo running tests; exit 7"]\n  db:\n    command: ["sleep", "60"]\n',
    );
    const up = attached(['up', '--exit-code-from', 'tests']);
    expect(await up.exited).toBe(7);
    expect(up.out()).toContain('tests-1 | running tests');
  });
});

describe('one-off and lifecycle commands', () => {
  it('run starts dependencies, prints the output and returns the exit code; --rm removes it', () => {
    const { run, rows } = setup(
      'services:\n  db:\n    command: ["sleep", "60"]\n  job:\n    command: ["sh", "-c", "echo default"]\n    depends_on: [db]\n',
    );
    const r = run(['run', '--rm', 'job', 'sh', '-c', 'echo one-off $TUG_SERVICE; exit 5']);
    expect(r.stdout).toContain('one-off job');
    expect(r.code).toBe(5);
    const after = rows();
    expect(after.map((x) => x.Service)).toEqual(['db']);
    expect(after[0]!.State).toBe('running');
  });

  it('up --wait returns once services are healthy, and fails clearly when one is not', () => {
    const ok = setup(
      'services:\n  app:\n    command: ["sleep", "60"]\n    healthcheck:\n      test: ["CMD", "true"]\n      interval: 200ms\n',
    );
    const good = ok.run(['up', '--wait', '--wait-timeout', '20']);
    expect(good.code).toBe(0);
    expect(ok.rows()[0]!.Health).toBe('healthy');
    const bad = setup(
      'services:\n  app:\n    command: ["sleep", "60"]\n    healthcheck:\n      test: ["CMD", "false"]\n      interval: 200ms\n      retries: 2\n',
    );
    const r = bad.run(['up', '--wait', '--wait-timeout', '20']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/unhealthy/);
  });

  it('stop, start, restart and kill act on existing replicas', async () => {
    const { run, rows } = setup('services:\n  a:\n    command: ["sleep", "60"]\n  b:\n    command: ["sleep", "60"]\n    depends_on: [a]\n');
    expect(run(['up', '-d']).code).toBe(0);
    const first = rows().map((r) => r.Pid);
    expect(run(['stop', '-t', '1']).code).toBe(0);
    expect(rows().every((r) => r.State === 'exited')).toBe(true);
    for (const pid of first) expect(isAlive(pid)).toBe(false);
    expect(run(['start']).code).toBe(0);
    expect(rows().every((r) => r.State === 'running')).toBe(true);
    const before = rows().find((r) => r.Service === 'b')!.Pid;
    const restarted = run(['restart', 'b']);
    expect(restarted.code).toBe(0);
    expect(restarted.stderr, 'a restart is done once, not re-planned until it "converges"').not.toMatch(/giving up|still \d+ step/);
    const after = rows().find((r) => r.Service === 'b')!;
    expect(after.State).toBe('running');
    expect(after.Pid).not.toBe(before);
    expect(run(['kill', 'a']).code).toBe(0);
    await until(() => rows().find((r) => r.Service === 'a')!.State === 'exited', 'a to be killed');
    expect(run(['start', 'nosuch']).code).toBe(2);
  });

  it('start of a one-shot and kill of an always-restarting service each act once, with no leftover-work warning', async () => {
    const { run, rows } = setup(
      'services:\n  once:\n    command: ["true"]\n  keeper:\n    command: ["sleep", "60"]\n    restart: always\n',
    );
    expect(run(['up', '-d']).code).toBe(0);
    await until(() => rows().find((r) => r.Service === 'once')?.State === 'exited', 'the one-shot to exit');
    const started = run(['start', 'once']);
    expect(started.code).toBe(0);
    expect(started.stderr).not.toMatch(/giving up|still \d+ step/);
    const killed = run(['kill', 'keeper']);
    expect(killed.code).toBe(0);
    expect(killed.stderr).not.toMatch(/giving up|still \d+ step/);
  });

  it('ls lists the project with its state', () => {
    const { run, project } = setup('services:\n  a:\n    command: ["sleep", "60"]\n');
    expect(run(['up', '-d']).code).toBe(0);
    const ls = run(['ls', '--format', 'json']);
    const entry = JSON.parse(ls.stdout).find((p: { Name: string }) => p.Name === project);
    expect(entry.Status).toContain('running(1)');
    expect(run(['down']).code).toBe(0);
    expect(run(['ls', '-q']).stdout).not.toContain(project);
  });

  it('up --dry-run prints the plan and starts nothing', () => {
    const { run, rows, project } = setup('services:\n  a:\n    command: ["sleep", "60"]\n    scale: 2\n');
    const dry = run(['up', '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain(`create-replica ${project}-a-1`);
    expect(dry.stdout).toContain(`start-replica ${project}-a-2`);
    expect(rows()).toEqual([]);
  });
});
