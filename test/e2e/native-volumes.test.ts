// Volumes on the native backend through the built CLI: nothing is lost.
// Anonymous volumes outlive plain `down` and a recreate, `down -v` removes
// only what the file declares (and the replicas' anonymous volumes), external
// volumes must exist and are never touched, and no volume or project name
// reaches a path outside TUG_HOME.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempProject, tug } from '../helpers/cli.js';
import { destroyHome, tempHome, uniqueProject, until } from '../helpers/native-env.js';

const homes: string[] = [];
const strays: string[] = [];
afterEach(() => {
  for (const h of homes.splice(0)) destroyHome(h);
  for (const p of strays.splice(0)) rmSync(p, { recursive: true, force: true });
});

function setup(compose: string) {
  const home = tempHome();
  homes.push(home);
  const dir = tempProject({ 'compose.yaml': compose });
  const project = uniqueProject('v');
  const run = (args: string[], cwd = dir) => tug(['-p', project, '--progress', 'plain', ...args], { cwd, env: { TUG_HOME: home } });
  const ok = (args: string[], cwd?: string) => {
    const r = run(args, cwd);
    expect(r.code, `tug ${args.join(' ')}:\n${r.stdout}\n${r.stderr}`).toBe(0);
    return r;
  };
  const volumes = () => (existsSync(join(home, 'volumes')) ? readdirSync(join(home, 'volumes')).sort() : []);
  const read = (volume: string, file: string) => readFileSync(join(home, 'volumes', volume, 'data', file), 'utf8').trim();
  return { home, dir, project, run, ok, volumes, read, rewrite: (text: string) => writeFileSync(join(dir, 'compose.yaml'), text) };
}

const writer = (env: string) => `services:\n  db:\n    command: ["sh", "-c", "echo $\${V:-1} >> $$TUG_VOLUME_VAR_LIB_DB/rows; exec sleep 60"]\n    volumes: ["/var/lib/db"]\n${env}`;
const anonymousOf = (volumes: string[]) => volumes.filter((v) => /^[0-9a-f]{64}$/.test(v));

describe('native backend: anonymous volumes', () => {
  it('plain down keeps them; a recreate inherits them; down -v removes those of the replicas it removes', async () => {
    const t = setup(writer(''));
    t.ok(['up', '-d']);
    const [first] = anonymousOf(t.volumes());
    expect(first, 'the anonymous volume is a volume of its own').toBeDefined();
    // The replica writes its row once it runs, which can be after `up -d` returns.
    const rows = () => (existsSync(join(t.home, 'volumes', first!, 'data', 'rows')) ? t.read(first!, 'rows').split('\n') : []);
    await until(() => rows().length === 1, 'the first row');

    t.rewrite(writer('    environment: {V: "2"}\n'));
    t.ok(['up', '-d']);
    expect(anonymousOf(t.volumes()), 'the recreated replica kept its volume').toEqual([first]);
    await until(() => rows().length === 2, 'the second row');
    expect(rows()).toEqual(['1', '2']);

    t.ok(['down', '-t', '0']);
    expect(t.read(first!, 'rows').split('\n'), 'plain down loses nothing').toEqual(['1', '2']);

    t.ok(['up', '-d']);
    const second = anonymousOf(t.volumes()).find((v) => v !== first);
    expect(second, 'a fresh replica after down gets a fresh volume, as with Compose').toBeDefined();
    t.ok(['down', '-v', '-t', '0']);
    expect(anonymousOf(t.volumes())).toEqual([first]);
  });

  it('run --rm removes the one-off\'s anonymous volume; observe never lists anonymous volumes as the project\'s', () => {
    const t = setup('services:\n  job:\n    command: ["sh", "-c", "echo x > $$TUG_VOLUME_SCRATCH/f"]\n    volumes: ["/scratch"]\n');
    t.ok(['run', '--rm', 'job']);
    expect(anonymousOf(t.volumes())).toEqual([]);
    t.ok(['up', '-d']);
    const down = t.ok(['down', '-v', '-t', '0'], tmpdir()); // no file: only anonymous volumes of removed replicas go
    expect(anonymousOf(t.volumes())).toEqual([]);
    expect(down.stderr).not.toContain('kept volume');
  });
});

describe('native backend: named and external volumes', () => {
  it('down -v keeps a labelled volume the file now declares external, and says so', () => {
    const file = (external: string) =>
      `services:\n  app:\n    command: ["sleep", "60"]\n    volumes: ["data:/data", "logs:/logs"]\nvolumes:\n  data: {}\n  logs: ${external}\n`;
    const t = setup(file('{}'));
    t.ok(['up', '-d']);
    expect(t.volumes()).toEqual([`${t.project}_data`, `${t.project}_logs`]);
    t.rewrite(file(`{external: true, name: ${t.project}_logs}`));
    const down = t.ok(['down', '-v', '-t', '0']);
    expect(t.volumes()).toEqual([`${t.project}_logs`]);
    expect(down.stderr).toContain(`kept volume ${t.project}_logs: the Compose file declares it external`);
  });

  it('-p NAME down -v without the file keeps named volumes and says why', () => {
    const t = setup('services:\n  app:\n    command: ["sleep", "60"]\n    volumes: ["data:/data"]\nvolumes:\n  data: {}\n');
    t.ok(['up', '-d']);
    const down = t.ok(['down', '-v', '-t', '0'], tmpdir());
    expect(t.volumes()).toEqual([`${t.project}_data`]);
    expect(down.stderr).toContain(`kept volume ${t.project}_data: the Compose file could not be loaded`);
  });

  it('a second project naming the same volume uses it with a warning and converges; neither down -v takes it from the other', async () => {
    const file = (shared: string, who: string) =>
      `services:\n  app:\n    command: ["sh", "-c", "echo ${who} >> $$TUG_VOLUME_DATA/rows; exec sleep 60"]\n    volumes: ["data:/data"]\nvolumes:\n  data: {name: ${shared}}\n`;
    const first = setup('');
    const shared = `${first.project}-shared`;
    first.rewrite(file(shared, 'first'));
    first.ok(['up', '-d']);
    const second = uniqueProject('v2');
    const dir = tempProject({ 'compose.yaml': file(shared, 'second') });
    strays.push(dir);
    const run = (args: string[]) => tug(['-p', second, '--progress', 'plain', ...args], { cwd: dir, env: { TUG_HOME: first.home } });
    const up = run(['up', '-d']);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stderr).toContain(`volume "${shared}" already exists but was created for project "${first.project}" (expected "${second}")`);
    expect(up.stderr).not.toMatch(/giving up|still \d+ step/);
    expect(up.stderr.match(/Volume \S+ +Created/g)).toBeNull();
    expect(run(['ps', '--format', 'json']).stdout).toContain('"State":"running"');
    // Both replicas write to the one volume.
    const rows = () => (existsSync(join(first.home, 'volumes', shared, 'data', 'rows')) ? first.read(shared, 'rows').split('\n').sort().join() : '');
    await until(() => rows() === 'first,second', 'both rows in the shared volume');
    // As Docker refuses to remove a volume in use: the project that made it cannot take it from under the other.
    const taken = first.run(['down', '-v', '-t', '0']);
    expect(taken.code).toBe(1);
    expect(taken.stderr).toContain(`volume ${shared} is still in use by ${second}-app-1`);
    expect(rows()).toBe('first,second');
    expect(run(['down', '-v', '-t', '0']).code).toBe(0);
    expect(first.volumes()).toEqual([shared]);
    first.ok(['down', '-v', '-t', '0']);
    expect(first.volumes()).toEqual([]);
  });

  it('a volume made by hand under the declared name is used with a warning, never claimed or removed', () => {
    const t = setup('');
    const name = `${t.project}-byhand`;
    mkdirSync(join(t.home, 'volumes', name, 'data'), { recursive: true });
    t.rewrite(`services:\n  app:\n    command: ["sleep", "60"]\n    volumes: ["data:/data"]\nvolumes:\n  data: {name: ${name}}\n`);
    const up = t.ok(['up', '-d']);
    expect(up.stderr).toContain(`volume "${name}" already exists but was not created by tug or Compose`);
    expect(up.stderr).not.toMatch(/giving up|still \d+ step/);
    t.ok(['down', '-v', '-t', '0']);
    expect(t.volumes()).toEqual([name]);
    expect(existsSync(join(t.home, 'volumes', name, 'volume.json'))).toBe(false);
  });

  it('a missing external volume is refused before anything starts; it is never created', () => {
    const t = setup('services:\n  app:\n    command: ["sleep", "60"]\n    volumes: ["ext:/ext"]\nvolumes:\n  ext: {external: true, name: nosuchvolume}\n');
    const r = t.run(['up', '-d']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('volume nosuchvolume declared as external, but could not be found');
    expect(t.volumes()).toEqual([]);
    expect(t.run(['ps', '-a', '-q']).stdout.trim()).toBe('');
  });

  it('an external volume name that climbs out of TUG_HOME is refused; nothing is written outside', () => {
    const t = setup('services:\n  app:\n    command: ["sleep", "60"]\n    volumes: ["ext:/ext"]\nvolumes:\n  ext: {external: true, name: "../../../escaped"}\n');
    const target = join(t.home, 'volumes', '../../../escaped');
    strays.push(target);
    const r = t.run(['up', '-d']);
    expect(r.code).toBe(1);
    // Refused at load, with its location, before any path is built.
    expect(r.stderr).toContain('compose.yaml:6:31 volumes.ext.name: "../../../escaped" is not a valid volume name');
    expect(existsSync(target)).toBe(false);
    expect(existsSync(join(t.home, 'escaped'))).toBe(false);
  });

  it('a project name from -p or COMPOSE_PROJECT_NAME is checked even without a file: it never becomes a path outside TUG_HOME', () => {
    const home = join(tempHome(), 'home');
    homes.push(join(home, '..'));
    const noFile = tempProject({});
    strays.push(noFile);
    const flag = tug(['-p', '../../escaped', 'stop'], { cwd: noFile, env: { TUG_HOME: home } });
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain('invalid project name "../../escaped" (from -p/--project-name)');
    const env = tug(['ps'], { cwd: noFile, env: { TUG_HOME: home, COMPOSE_PROJECT_NAME: '../escaped' } });
    expect(env.code).toBe(2);
    expect(env.stderr).toContain('invalid project name "../escaped" (from COMPOSE_PROJECT_NAME)');
    expect(existsSync(join(home, '..', 'escaped'))).toBe(false);
    expect(existsSync(join(home, '..', '..', 'escaped'))).toBe(false);
  });
});
