// Input a hostile (or careless) user gives the built CLI: every mistake ends in
// a clear error with the right exit code, before anything is built from it.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempProject, tug, tugBin } from '../helpers/cli.js';
import { destroyHome, uniqueProject, until } from '../helpers/native-env.js';

const dirs: string[] = [];
const homes: string[] = [];
afterEach(() => {
  for (const h of homes.splice(0)) destroyHome(h);
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const sleeper = 'services:\n  web:\n    command: ["sleep", "60"]\n';

function setup(files: Record<string, string> = { 'compose.yaml': sleeper }) {
  const dir = tempProject(files);
  dirs.push(dir);
  // TUG_HOME two levels down, so "../x" and "../../x" would land inside the test's own directory.
  const home = join(dir, 'state', 'home');
  mkdirSync(home, { recursive: true });
  homes.push(home);
  return { dir, home, run: (args: string[], env: Record<string, string> = {}) => tug(args, { cwd: dir, env: { TUG_HOME: home, ...env } }) };
}

/** No stack trace and no "internal error": what every failure must look like. */
function expectCleanFailure(r: { code: number | null; stderr: string }, code: number): void {
  expect(r.code).toBe(code);
  expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
}

describe('project names typed by the user', () => {
  it('refuses -p ../x and COMPOSE_PROJECT_NAME=../../x as usage errors, creating nothing', () => {
    const { dir, home, run } = setup();
    for (const args of [['-p', '../x', 'down'], ['-p', '../x', 'ps'], ['-p', '../x', 'logs'], ['-p', '../x', 'stop'], ['-p', '../x', 'up', '-d']]) {
      const r = run(args);
      expectCleanFailure(r, 2);
      expect(r.stderr).toContain('invalid project name "../x" (from -p/--project-name)');
    }
    for (const args of [['ps'], ['down'], ['exec', 'web', 'true'], ['config']]) {
      const r = run(args, { COMPOSE_PROJECT_NAME: '../../x' });
      expectCleanFailure(r, 2);
      expect(r.stderr).toContain('(from COMPOSE_PROJECT_NAME)');
    }
    // projects/../x and projects/../../x, had the names been used as paths.
    expect(existsSync(join(home, 'x'))).toBe(false);
    expect(existsSync(join(dir, 'state', 'x'))).toBe(false);
    expect(existsSync(join(home, 'projects')) ? readdirSync(join(home, 'projects')) : []).toEqual([]);
  });

  it('still works from -p alone when the file is broken, with a valid name', () => {
    const { run } = setup({ 'compose.yaml': 'services: [\n' });
    const r = run(['-p', uniqueProject('hn'), 'down']);
    expect(r.code).toBe(0);
  });

  it('refuses a 64-character -p and a long run --name', () => {
    const { run } = setup();
    expectCleanFailure(run(['-p', 'x'.repeat(64), 'ps']), 2);
    const r = run(['-p', uniqueProject('hn'), 'run', '--name', '../../evil', 'web', 'true']);
    expectCleanFailure(r, 2);
    expect(r.stderr).toContain('invalid --name: "../../evil" is not a valid container name');
  });
});

describe('files that are not what they should be', () => {
  it('says -f DIRECTORY is a directory (not "internal error EISDIR")', () => {
    const { dir, run } = setup();
    const r = run(['-f', dir, 'config']);
    expectCleanFailure(r, 1);
    expect(r.stderr).toContain(`${dir} is a directory, not a file`);
    expect(r.stderr).toContain('--project-directory');
    const device = run(['-f', '/dev/zero', 'config']); // read forever, had it been read
    expectCleanFailure(device, 1);
    expect(device.stderr).toContain('/dev/zero is a device, not a file');
  });

  it('says env_file: /etc, --env-file DIR and an include of a directory are directories', () => {
    const { dir, run } = setup({
      'compose.yaml': 'services:\n  web:\n    command: [x]\n    env_file: /etc\n',
      'inc.yaml': 'include:\n  - sub\nservices:\n  web:\n    command: [x]\n',
      'sub/.keep': '',
    });
    const envFile = run(['config']);
    expectCleanFailure(envFile, 1);
    expect(envFile.stderr).toContain('compose.yaml:4:15 services.web.env_file[0]: /etc is a directory, not a file');
    const include = run(['-f', 'inc.yaml', 'config']);
    expectCleanFailure(include, 1);
    expect(include.stderr).toContain(`inc.yaml:2:5 include[0]: ${join(dir, 'sub')} is a directory, not a file`);
    // Through the executable itself, as a user runs it: Node must not take --env-file for its own option.
    const viaShebang = (args: string[]) => {
      const r = spawnSync(tugBin, args, { cwd: dir, encoding: 'utf8', env: { PATH: process.env.PATH ?? '', NO_COLOR: '1' } });
      return { code: r.status, stdout: r.stdout, stderr: r.stderr };
    };
    for (const runner of [run, viaShebang]) {
      const flag = runner(['--env-file', 'sub', '-f', 'inc.yaml', 'config']);
      expectCleanFailure(flag, 1);
      expect(flag.stderr).toContain(`${join(dir, 'sub')} is a directory, not a file`);
      expect(flag.stderr).toContain('check the --env-file value');
    }
  });

  it('skips an implicit .env that is a directory (a virtualenv), as Compose does', () => {
    const { run } = setup({ 'compose.yaml': sleeper, '.env/bin/python': '' });
    expect(run(['config', '-q']).code).toBe(0);
  });

  it('reports non-UTF-8 bytes with their line, column and offset, in Compose files, .env and env_file', () => {
    const { dir, run } = setup({ 'compose.yaml': sleeper });
    const latin1 = Buffer.concat([Buffer.from('services:\n  web:\n    command: [x]\n    environment:\n      A: "caf'), Buffer.from([0xe9]), Buffer.from('"\n')]);
    writeFileSync(join(dir, 'latin1.yaml'), latin1);
    const compose = run(['-f', 'latin1.yaml', 'config']);
    expectCleanFailure(compose, 1);
    expect(compose.stderr).toContain('latin1.yaml:5:14');
    expect(compose.stderr).toContain('byte 0xE9 at offset 64 (line 5, column 14) is not valid UTF-8');
    writeFileSync(join(dir, '.env'), Buffer.from([0x41, 0x3d, 0x31, 0x0a, 0x42, 0x3d, 0xff, 0xfe, 0x0a]));
    const dotenv = run(['config']);
    expectCleanFailure(dotenv, 1);
    expect(dotenv.stderr).toContain('.env:2:3');
    writeFileSync(join(dir, '.env'), '');
    writeFileSync(join(dir, 'bad.env'), Buffer.from([0xc3, 0x28]));
    writeFileSync(join(dir, 'ef.yaml'), 'services:\n  web:\n    command: [x]\n    env_file: bad.env\n');
    const envFile = run(['-f', 'ef.yaml', 'config']);
    expectCleanFailure(envFile, 1);
    expect(envFile.stderr).toContain('bad.env:1:1');
    expect(envFile.stderr).toContain('byte 0xC3 at offset 0');
  });
});

describe('names like __proto__ and constructor', () => {
  const compose = [
    'services:',
    '  __proto__:',
    '    command: ["sh", "-c", "echo proto=$$__proto__ ctor=$$constructor file=$$from_file; sleep 60"]',
    '    environment:',
    '      __proto__: p1',
    '      constructor: c1',
    '    env_file: vars.env',
    '  constructor:',
    '    command: ["sleep", "60"]',
    '    depends_on: [__proto__]',
    '',
  ].join('\n');

  it('prints them in config output, YAML and JSON', () => {
    const { run } = setup({ 'compose.yaml': compose, 'vars.env': 'from_file=f1\n' });
    const json = run(['config', '--format', 'json']);
    expect(json.stderr).toBe('');
    const model = JSON.parse(json.stdout);
    expect(Object.keys(model.services)).toEqual(['__proto__', 'constructor']);
    expect(model.services['__proto__'].environment).toEqual({ ['__proto__']: 'p1', constructor: 'c1', from_file: 'f1' });
    expect(Object.keys(model.services.constructor.depends_on)).toEqual(['__proto__']);
    const yamlOut = run(['config']).stdout;
    expect(yamlOut).toContain('  __proto__:\n');
    expect(yamlOut).toContain('      __proto__: p1\n');
  });

  it('runs them on the native backend, the variables reaching the process', async () => {
    const { run } = setup({ 'compose.yaml': compose, 'vars.env': 'from_file=f1\n' });
    const project = uniqueProject('proto');
    const up = run(['-p', project, 'up', '-d']);
    expect(up.stderr).not.toMatch(/error/);
    expect(up.code).toBe(0);
    const logs = await until(() => {
      const out = run(['-p', project, 'logs', '--no-log-prefix', '__proto__']).stdout;
      return out.includes('proto=') ? out : undefined;
    }, 'the replica\'s output');
    expect(logs.trim()).toBe('proto=p1 ctor=c1 file=f1');
    const ps = run(['-p', project, 'ps', '--format', 'json']).stdout.trim().split('\n').map((l) => JSON.parse(l).Service);
    expect(ps.sort()).toEqual(['__proto__', 'constructor']);
    expect(run(['-p', project, 'down', '-t', '1']).code).toBe(0);
  });
});

describe('deep and cyclic YAML', () => {
  it('reports "nesting too deep at line:col" instead of a stack overflow, and cycles of aliases', () => {
    const deep = `services:\n  web:\n    command: [x]\n    x-deep: ${'['.repeat(20_000)}${']'.repeat(20_000)}\n`;
    const { run } = setup({ 'compose.yaml': deep, 'cycle.yaml': 'services:\n  web: &x\n    command: [x]\n    x-self: *x\n' });
    for (const format of ['yaml', 'json']) {
      const r = run(['config', '--format', format]);
      expectCleanFailure(r, 1);
      expect(r.stderr).toContain('compose.yaml:4:110: invalid YAML: nesting too deep at 4:110: more than 100 levels');
    }
    const cycle = run(['-f', 'cycle.yaml', 'config']);
    expectCleanFailure(cycle, 1);
    expect(cycle.stderr).toContain('cycle.yaml:4:13 services.web.x-self: invalid YAML: an alias refers to the node that contains it');
  });
});

describe('numeric flags', () => {
  it('refuses --parallel 0, -5 and abc, and a bad COMPOSE_PARALLEL_LIMIT, before doing anything', () => {
    const { run } = setup();
    const project = uniqueProject('par');
    for (const value of ['0', '-5', 'abc']) {
      const r = run(['--parallel', value, '-p', project, 'up', '-d']);
      expectCleanFailure(r, 2);
      expect(r.stderr).toContain(`invalid --parallel "${value}"`);
    }
    const env = run(['-p', project, 'up', '-d'], { COMPOSE_PARALLEL_LIMIT: 'lots' });
    expectCleanFailure(env, 2);
    expect(env.stderr).toContain('invalid COMPOSE_PARALLEL_LIMIT "lots"');
    expect(run(['-p', project, 'ps', '-a', '-q']).stdout).toBe('');
  });

  it('checks --wait-timeout before starting anything, and accepts 30 days', () => {
    const { run } = setup();
    const project = uniqueProject('wt');
    const bad = run(['-p', project, 'up', '--wait', '--wait-timeout', 'soon']);
    expectCleanFailure(bad, 2);
    expect(run(['-p', project, 'ps', '-a', '-q']).stdout).toBe('');
    const up = run(['-p', project, '--parallel', '-1', 'up', '--wait', '--wait-timeout', '2592000']);
    expect(up.stderr).toContain('all services are running and healthy');
    expect(up.code).toBe(0);
    for (const args of [['logs', '--index', 'abc'], ['logs', '--tail', '-3'], ['exec', '--index', '0', 'web', 'true'], ['stop', '-t', '1.5'], ['scale', 'web=1e20']]) {
      const r = run(['-p', project, ...args]);
      expectCleanFailure(r, 2);
    }
    expect(run(['-p', project, 'down', '-t', '1']).code).toBe(0);
  });
});

describe('planning speed', () => {
  it('prints the plan for up --dry-run --scale web=100000 (it did not finish in two minutes)', () => {
    const { run } = setup();
    const start = performance.now();
    const r = run(['-p', uniqueProject('dry'), 'up', '--dry-run', '--scale', 'web=100000']);
    expect(r.code).toBe(0);
    expect(performance.now() - start).toBeLessThan(60_000);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(1 + 2 * 100_000);
    expect(lines.filter((l) => l.startsWith('create-replica '))).toHaveLength(100_000);
    expect(lines.filter((l) => l.startsWith('start-replica '))).toHaveLength(100_000);
  }, 90_000);
});
