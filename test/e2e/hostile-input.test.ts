// Input a hostile (or careless) user gives the built CLI: every mistake ends in
// a clear error with the right exit code, before anything is built from it.
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempProject, tug } from '../helpers/cli.js';
import { destroyHome, tempHome, uniqueProject } from '../helpers/native-env.js';

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
