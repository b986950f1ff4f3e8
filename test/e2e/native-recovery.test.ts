// What a user sees after an engine dies: `ps -a` says the replicas were
// killed with it (no made-up exit time), the next command repairs and says
// so once, and a damaged state file does not stop the project from working.
import { spawn } from 'node:child_process';
import { lstatSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempProject, tug, tugBin } from '../helpers/cli.js';
import { isAlive, tempHomes, uniqueProject, until } from '../helpers/native-env.js';

const newHome = tempHomes();

function setup(compose: string) {
  const home = newHome();
  const dir = tempProject({ 'compose.yaml': compose });
  const project = uniqueProject('rc');
  const run = (args: string[]) => tug(['-p', project, ...args], { cwd: dir, env: { TUG_HOME: home } });
  const rows = () =>
    run(['ps', '-a', '--format', 'json']).stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { Name: string; State: string; Status: string; ExitCode: number; Notes: string });
  const projectDir = join(home, 'projects', project);
  const enginePid = () => Number(readFileSync(join(projectDir, 'engine.pid'), 'utf8').split(' ')[0]);
  const background = (args: string[]) => {
    const child = spawn(process.execPath, [tugBin, '-p', project, ...args], { cwd: dir, env: { ...process.env, TUG_HOME: home, NO_COLOR: '1' } });
    let err = '';
    let out = '';
    child.stderr.on('data', (d) => (err += d));
    child.stdout.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    return { child, err: () => err, out: () => out, exited };
  };
  /** Kills the engine under a command that waits on it: the command must fail at once, saying so, and release the CLI lock. */
  const killEngineUnder = async (waiting: ReturnType<typeof background>) => {
    process.kill(enginePid(), 'SIGKILL');
    const killedAt = Date.now();
    const code = await Promise.race([waiting.exited, new Promise((r) => setTimeout(() => r('still waiting'), 10_000))]);
    if (code === 'still waiting') waiting.child.kill('SIGKILL');
    expect(code).toBe(1);
    expect(Date.now() - killedAt).toBeLessThan(5_000);
    // Killed during a call rather than a wait, the message names the call: the same failure to the user.
    expect(waiting.err()).toMatch(new RegExp(`the engine for project ${project} stopped unexpectedly( during "\\w+")?; run \`tug up\` again to repair`));
    expect(() => lstatSync(join(projectDir, 'cli.lock'))).toThrow(/ENOENT/); // the lock was released
  };
  return { home, dir, project, run, rows, projectDir, enginePid, background, killEngineUnder };
}

const NOTICE = /stopped unexpectedly; 1 replica left behind was stopped/;

describe('after an engine crash', () => {
  it('ps -a says the replicas were killed with it, and the next up repairs and says so once', async () => {
    const { run, rows, enginePid } = setup('services:\n  app:\n    command: ["sleep", "60"]\n');
    expect(run(['up', '-d']).code).toBe(0);
    const engine = enginePid();
    process.kill(engine, 'SIGKILL');
    await until(() => !isAlive(engine), 'the engine to die');

    const table = run(['ps', '-a']);
    expect(table.code).toBe(0);
    expect(table.stdout).toContain('Exited (137); killed with its engine, which stopped unexpectedly; exit time unknown');
    expect(table.stdout).not.toContain(' ago');
    expect(rows()).toEqual([expect.objectContaining({ State: 'exited', Status: 'Exited (137)', ExitCode: 137, Notes: expect.stringContaining('killed with its engine') })]);

    const up = run(['up', '-d']);
    expect(up.code).toBe(0);
    expect(up.stderr).toMatch(NOTICE);
    for (const args of [['ps'], ['ps', '-a'], ['up', '-d']]) {
      const again = run(args);
      expect(again.code).toBe(0);
      expect(again.stderr).not.toMatch(NOTICE);
    }
    expect(rows()).toEqual([expect.objectContaining({ State: 'running', Notes: '' })]);
  });

  it('keeps working over a damaged state.json, telling once what was set aside', () => {
    const { run, rows, projectDir } = setup('services:\n  app:\n    command: ["sleep", "60"]\n');
    mkdirSync(projectDir, { recursive: true, mode: 0o700 });
    writeFileSync(join(projectDir, 'state.json'), '{"version":1,"replicas":[null]}');
    const up = run(['up', '-d']);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stderr).toMatch(/started over: its saved state was damaged \(state\.json replicas\[0\] is not a replica record: null is not an object\); it was moved to \S+state\.json\.corrupt-\S+, and 0 replica records were recovered/);
    expect(rows().map((r) => r.State)).toEqual(['running']);
    const ps = run(['ps']);
    expect(ps.stderr).not.toContain('damaged');
  });

  it('an up waiting on a dependency fails at once when the engine dies, and the next up repairs', async () => {
    const waiting = (check: string) =>
      'services:\n  db:\n    command: ["sleep", "60"]\n    healthcheck:\n' +
      `      test: ["CMD", "${check}"]\n      interval: 100ms\n      start_interval: 100ms\n      start_period: 1h\n` +
      '  app:\n    command: ["sleep", "60"]\n    depends_on:\n      db:\n        condition: service_healthy\n';
    const { dir, project, rows, run, background, killEngineUnder } = setup(waiting('false'));
    const up = background(['up', '-d']);
    // What up prints once it waits on db: ps showing db running can come before up has its answer to the start.
    await until(() => up.err().includes('app waits for db'), 'up to wait for db');
    expect(rows().some((r) => r.Name === `${project}-db-1` && r.State === 'running')).toBe(true);
    await killEngineUnder(up);

    writeFileSync(join(dir, 'compose.yaml'), waiting('true'));
    const again = run(['up', '-d']);
    expect(again.code, again.stderr).toBe(0);
    expect(rows().map((r) => [r.Name, r.State]).sort()).toEqual([
      [`${project}-app-1`, 'running'],
      [`${project}-db-1`, 'running'],
    ]);
  });

  it('up --wait ends at once when the engine dies while it waits for health', async () => {
    const { rows, background, killEngineUnder } = setup(
      'services:\n  app:\n    command: ["sleep", "60"]\n    healthcheck:\n      test: ["CMD", "false"]\n      interval: 100ms\n      start_interval: 100ms\n      start_period: 1h\n',
    );
    const up = background(['up', '-d', '--wait']);
    // The replica started and up has its answer (it prints Started), so what is left is the wait.
    await until(() => /Replica \S+-app-1 +Started/.test(up.err()), 'up to start the replica');
    expect(rows().map((r) => r.State)).toEqual(['running']);
    await killEngineUnder(up);
  });

  it('an attached up ends at once when the engine dies, and the next up repairs', async () => {
    const { rows, run, background, killEngineUnder } = setup('services:\n  app:\n    command: ["sh", "-c", "echo ready; exec sleep 60"]\n');
    const up = background(['up']);
    // Attached: the replica's output reaches the terminal.
    await until(() => up.out().includes('ready'), 'the attached output');
    await killEngineUnder(up);
    expect(run(['up', '-d']).code).toBe(0);
    expect(rows().map((r) => r.State)).toEqual(['running']);
  });

  it('says the engine is not answering instead of showing nothing, and works again once it answers', async () => {
    const { run, rows, enginePid, project } = setup('services:\n  app:\n    command: ["sleep", "60"]\n');
    expect(run(['up', '-d']).code).toBe(0);
    const engine = enginePid();
    process.kill(engine, 'SIGSTOP');
    try {
      for (const args of [['ps'], ['down']]) {
        const r = run(args);
        expect(r.code).toBe(1);
        expect(r.stderr).toContain(`the engine for project ${project} (pid ${engine}) is running but did not answer within 2 s`);
        expect(r.stderr).toContain(`kill ${engine}`);
      }
    } finally {
      process.kill(engine, 'SIGCONT');
    }
    expect(rows().map((r) => r.State)).toEqual(['running']);
  });
});
