// TUG_HOME must be ours alone: a home others can write to, or owned by
// someone else, is refused with what to run; links planted where tug keeps
// its files are refused, never followed.
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempProject, tug } from '../helpers/cli.js';
import { destroyHome, rootAvailable, tempHome, uniqueProject, until } from '../helpers/native-env.js';

const homes: string[] = [];
afterEach(() => {
  for (const h of homes.splice(0)) {
    chmodSync(h, 0o700);
    destroyHome(h);
  }
});

const COMPOSE = 'services:\n  app:\n    command: ["sleep", "60"]\n';

function setup() {
  const home = tempHome();
  homes.push(home);
  const dir = tempProject({ 'compose.yaml': COMPOSE });
  const project = uniqueProject('tr');
  const run = (args: string[], env: Record<string, string> = {}) => tug(['-p', project, ...args], { cwd: dir, env: { TUG_HOME: home, ...env } });
  return { home, dir, project, run, projectDir: join(home, 'projects', project) };
}

describe('TUG_HOME trust', () => {
  it('refuses a TUG_HOME that other users can write to, saying how to fix it, and starts nothing', () => {
    const { home, run, projectDir } = setup();
    chmodSync(home, 0o777);
    for (const args of [['up', '-d'], ['ps'], ['down']]) {
      const r = run(args);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`TUG_HOME ${home} is writable by other users (mode 0777)`);
      expect(r.stderr).toContain(`chmod go-w ${home}`);
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    }
    expect(existsSync(projectDir)).toBe(false);
    chmodSync(home, 0o700);
    expect(run(['up', '-d']).code).toBe(0);
    expect(run(['down', '-t', '0']).code).toBe(0);
  });

  it('refuses a group-writable project directory', () => {
    const { run, projectDir } = setup();
    mkdirSync(projectDir, { recursive: true });
    chmodSync(projectDir, 0o770);
    const r = run(['up', '-d']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`the directory of project`);
    expect(r.stderr).toContain(`${projectDir} is writable by its group (mode 0770)`);
  });

  it('refuses an engine.log planted as a link, and leaves its target alone', () => {
    const { home, run, projectDir } = setup();
    const victim = join(home, 'victim.txt');
    writeFileSync(victim, '');
    mkdirSync(projectDir, { recursive: true, mode: 0o700 });
    symlinkSync(victim, join(projectDir, 'engine.log'));
    const r = run(['up', '-d']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${join(projectDir, 'engine.log')} is a symbolic link; tug does not follow links in its own state directory`);
    expect(readFileSync(victim, 'utf8')).toBe('');
  });

  it('does not write a replica log through a planted link, and says the logs are not kept', () => {
    const { home, dir, run, project, projectDir } = setup();
    const victim = join(home, 'victim.txt');
    writeFileSync(victim, '');
    mkdirSync(join(projectDir, 'logs'), { recursive: true, mode: 0o700 });
    symlinkSync(victim, join(projectDir, 'logs', `${project}-talker-1.jsonl`));
    const talker = 'services:\n  talker:\n    command: ["sh", "-c", "while :; do echo secret; sleep 0.05; done"]\n';
    writeFileSync(join(dir, 'compose.yaml'), talker);
    expect(run(['up', '-d']).code).toBe(0);
    let row: { Status: string; Notes: string } | undefined;
    for (let i = 0; i < 50 && !row?.Notes; i++) {
      row = JSON.parse(run(['ps', '--format', 'json']).stdout.split('\n')[0] ?? '{}');
    }
    expect(row?.Notes).toContain('logs not kept');
    expect(readFileSync(victim, 'utf8')).toBe('');
  });
});

describe('the engine process', () => {
  it('does not keep the CLI\'s secrets in its environment, while replicas get theirs', async () => {
    const { dir, run, projectDir } = setup();
    const out = join(dir, 'env.txt');
    writeFileSync(
      join(dir, 'compose.yaml'),
      `services:\n  app:\n    command: ["sh", "-c", "env > ${out}; exec sleep 60"]\n    environment:\n      GREETING: hello\n`,
    );
    const up = run(['up', '-d'], { AWS_SECRET_ACCESS_KEY: 'hunter2-secret' });
    expect(up.code, up.stderr).toBe(0);
    const engine = Number(readFileSync(join(projectDir, 'engine.pid'), 'utf8').split(' ')[0]);
    const environ = readFileSync(`/proc/${engine}/environ`, 'utf8').split('\0');
    expect(environ.join('\n')).not.toContain('hunter2-secret');
    expect(environ.some((v) => v.startsWith('PATH='))).toBe(true);
    await until(() => existsSync(out) && readFileSync(out, 'utf8').includes('GREETING'), 'the replica to write its environment');
    const replicaEnv = readFileSync(out, 'utf8').split('\n');
    expect(replicaEnv).toContain('GREETING=hello');
    expect(replicaEnv).toContain(`HOME=${process.env.HOME ?? '/root'}`);
    expect(replicaEnv.some((v) => v.startsWith('PATH='))).toBe(true);
    expect(replicaEnv.join('\n')).not.toContain('hunter2-secret');
    expect(run(['down', '-t', '0']).code).toBe(0);
  });
});

describe.skipIf(!rootAvailable('the TUG_HOME ownership test'))('TUG_HOME ownership', () => {
  it('refuses a project directory owned by another user', () => {
    const { run, projectDir } = setup();
    mkdirSync(projectDir, { recursive: true, mode: 0o700 });
    chownSync(projectDir, 65534, 65534);
    const r = run(['ps']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${projectDir} belongs to uid 65534, not to you (uid 0)`);
    expect(r.stderr).toContain(`chown -R 0 ${projectDir}`);
    chownSync(projectDir, 0, 0);
  });
});
