// The docker backend through the built CLI: named and anonymous volumes
// outlive `down`, `down -v` removes the declared and anonymous ones but never
// external ones (whatever they are called), anonymous volumes survive a
// recreate, and bind mounts see the project files.
import { tmpdir } from 'node:os';
import { afterEach, beforeAll, expect, it } from 'vitest';
import { tug } from '../helpers/cli.js';
import { describeDocker } from '../helpers/docker.js';
import { IDLE, IMAGE, docker, dockerProject, lines, requireTestImage, service, teardownDockerProjects } from '../helpers/docker-project.js';
import { uniqueProject, until } from '../helpers/native-env.js';

const slow = { timeout: 120_000 };
const volumeExists = (name: string) => docker(['volume', 'inspect', name]).code === 0;

/** Volume name mounted at each destination in a container. */
function mounts(container: string): Record<string, string> {
  const r = docker(['inspect', '-f', '{{range .Mounts}}{{.Destination}}={{.Name}}{{println}}{{end}}', container]);
  return Object.fromEntries(lines(r.stdout).map((l) => l.split('=') as [string, string]));
}

function setup(files: Record<string, string>) {
  const p = dockerProject(files, 'dv');
  /** An external volume the test creates itself, as a user would. */
  const external = (name: string) => {
    p.onTeardown(() => docker(['volume', 'rm', '-f', name]));
    expect(docker(['volume', 'create', name]).code).toBe(0);
  };
  return { ...p, external };
}

describeDocker('docker backend: volumes', () => {
  beforeAll(() => requireTestImage());
  afterEach(teardownDockerProjects);

  it('a named volume keeps its data across down and up', slow, () => {
    const t = setup({
      'compose.yaml': `services:\n${service('app', 'echo boot >> /data/boots; exec sleep 100000', '    volumes: ["data:/data"]\n')}volumes:\n  data: {}\n`,
    });
    t.ok(['up', '-d']);
    const labels = docker(['volume', 'inspect', '-f', '{{index .Labels "com.docker.compose.project"}} {{index .Labels "com.docker.compose.volume"}}', `${t.project}_data`]);
    expect(labels.stdout.trim()).toBe(`${t.project} data`);
    t.ok(['down', '-t', '0']);
    expect(volumeExists(`${t.project}_data`)).toBe(true);
    t.ok(['up', '-d']);
    const boots = t.ok(['exec', '-T', 'app', 'cat', '/data/boots']).stdout;
    expect(lines(boots)).toEqual(['boot', 'boot']);
  });

  it('down -v removes declared and anonymous volumes but never an external one', slow, () => {
    const project = uniqueProject('dv');
    const extName = `${project}-ext`;
    const t = setup({
      'compose.yaml':
        'services:\n' +
        service('app', 'echo kept > /ext/file; exec sleep 100000', '    volumes: ["data:/data", "/anon", "ext:/ext"]\n') +
        `volumes:\n  data: {}\n  ext:\n    external: true\n    name: ${extName}\n`,
    });
    t.external(extName);
    t.ok(['up', '-d']);
    const m = mounts(`${t.project}-app-1`);
    expect(m['/data']).toBe(`${t.project}_data`);
    expect(m['/ext']).toBe(extName);
    const anonymous = m['/anon'];
    expect(anonymous, 'an anonymous volume at /anon').toMatch(/^[0-9a-f]{64}$/);
    t.ok(['down', '-v', '-t', '0']);
    expect(volumeExists(`${t.project}_data`)).toBe(false);
    expect(volumeExists(anonymous!)).toBe(false);
    expect(volumeExists(extName)).toBe(true);
    const kept = docker(['run', '--rm', '-v', `${extName}:/ext`, IMAGE, 'cat', '/ext/file']);
    expect(kept.stdout.trim()).toBe('kept');
  });

  it('plain down keeps anonymous volumes (as Compose does); only down -v removes them', slow, () => {
    const t = setup({ 'compose.yaml': `services:\n${service('app', 'echo kept > /anon/file; exec sleep 100000', '    volumes: ["/anon"]\n')}` });
    t.ok(['up', '-d']);
    const first = mounts(`${t.project}-app-1`)['/anon']!;
    t.onTeardown(() => docker(['volume', 'rm', '-f', first]));
    t.ok(['down', '-t', '0']);
    expect(volumeExists(first), 'plain down keeps the anonymous volume').toBe(true);
    expect(docker(['run', '--rm', '-v', `${first}:/anon`, IMAGE, 'cat', '/anon/file']).stdout.trim()).toBe('kept');
    t.ok(['up', '-d']);
    const second = mounts(`${t.project}-app-1`)['/anon']!;
    t.ok(['down', '-v', '-t', '0']);
    expect(volumeExists(second)).toBe(false);
  });

  it('an external volume with a 64-hex name is never taken for anonymous: it survives down and down -v', slow, () => {
    const extName = [...Array(64)].map((_, i) => '0123456789abcdef'[(i * 7 + process.pid) % 16]).join('');
    const t = setup({
      'compose.yaml':
        'services:\n' +
        service('app', 'echo mine > /ext/file; exec sleep 100000', '    volumes: ["ext:/ext"]\n') +
        `volumes:\n  ext:\n    external: true\n    name: ${extName}\n`,
    });
    t.external(extName);
    t.ok(['up', '-d']);
    t.ok(['down', '-t', '0']);
    expect(volumeExists(extName), 'plain down').toBe(true);
    t.ok(['up', '-d']);
    t.ok(['down', '-v', '-t', '0']);
    expect(volumeExists(extName), 'down -v').toBe(true);
    expect(docker(['run', '--rm', '-v', `${extName}:/ext`, IMAGE, 'cat', '/ext/file']).stdout.trim()).toBe('mine');
  });

  it('down -v keeps a labelled volume the file now declares external; without the file it keeps named volumes and says why', slow, () => {
    const t = setup({
      'compose.yaml': `services:\n${service('app', IDLE, '    volumes: ["data:/data", "logs:/logs"]\n')}volumes:\n  data: {}\n  logs: {}\n`,
    });
    t.ok(['up', '-d']);
    const logs = `${t.project}_logs`;
    t.rewrite(`services:\n${service('app', IDLE, '    volumes: ["data:/data", "logs:/logs"]\n')}volumes:\n  data: {}\n  logs:\n    external: true\n    name: ${logs}\n`);
    const down = t.ok(['down', '-v', '-t', '0']);
    expect(volumeExists(`${t.project}_data`)).toBe(false);
    expect(volumeExists(logs), 'now external: kept').toBe(true);
    expect(down.stderr).toContain(`kept volume ${logs}`);
    t.onTeardown(() => docker(['volume', 'rm', '-f', logs]));

    // No file at all: `-p NAME down -v` cannot tell what is still declared.
    t.rewrite(`services:\n${service('app', IDLE, '    volumes: ["data:/data"]\n')}volumes:\n  data: {}\n`);
    t.ok(['up', '-d']);
    const blind = tug(['--backend', 'docker', '-p', t.project, '--progress', 'plain', 'down', '-v', '-t', '0'], { cwd: tmpdir(), env: t.env });
    expect(blind.code, blind.stderr).toBe(0);
    expect(volumeExists(`${t.project}_data`)).toBe(true);
    expect(blind.stderr).toContain(`${t.project}_data`);
    expect(blind.stderr).toContain('the Compose file could not be loaded');
  });

  it('a second project naming the same volume uses it with a warning and converges; neither down -v takes it from the other', slow, async () => {
    const shared = `${uniqueProject('dv')}-shared`;
    const file = (who: string) => `services:\n${service('app', `echo ${who} >> /data/rows; exec sleep 100000`, '    volumes: ["data:/data"]\n')}volumes:\n  data:\n    name: ${shared}\n`;
    const first = setup({ 'compose.yaml': file('first') });
    first.onTeardown(() => docker(['volume', 'rm', '-f', shared]));
    first.ok(['up', '-d']);
    const second = setup({ 'compose.yaml': file('second') });
    const up = second.ok(['up', '-d']);
    expect(up.stderr).toContain(`volume "${shared}" already exists but was created for project "${first.project}" (expected "${second.project}")`);
    expect(up.stderr).not.toMatch(/giving up|still \d+ step/);
    // Both containers write to the one volume.
    await until(() => lines(second.run(['exec', '-T', 'app', 'cat', '/data/rows']).stdout).sort().join() === 'first,second', 'both rows in the shared volume');
    const taken = first.run(['down', '-v', '-t', '0']);
    expect(taken.code, 'the engine refuses to remove a volume in use').toBe(1);
    expect(taken.stderr).toContain(`volume ${shared} is still in use`);
    second.ok(['down', '-v', '-t', '0']);
    expect(volumeExists(shared), 'the volume of another project stays').toBe(true);
    first.ok(['down', '-v', '-t', '0']);
    expect(volumeExists(shared)).toBe(false);
  });

  it('an external volume that does not exist is refused before anything is created', slow, () => {
    const t = setup({
      'compose.yaml': `services:\n${service('app', IDLE, '    volumes: ["ext:/ext"]\n')}volumes:\n  ext:\n    external: true\n    name: tug-test-missing-${process.pid}\n`,
    });
    const r = t.run(['up', '-d']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`tug-test-missing-${process.pid}`);
    expect(lines(docker(['ps', '-a', '-q', '--filter', `label=com.docker.compose.project=${t.project}`]).stdout)).toEqual([]);
  });

  it('a recreated container keeps its anonymous volumes (the spec\'s and the image\'s), and down -v then removes them', slow, () => {
    const file = (v: string) =>
      'services:\n' +
      `  db:\n    image: tug-test/${t.project}-db\n    build:\n      dockerfile_inline: |\n        FROM ${IMAGE}\n        VOLUME /image-data\n` +
      `    command: ["sh", "-c", ${JSON.stringify(IDLE)}]\n    volumes: ["/var/lib/db"]\n    environment:\n      VERSION: "${v}"\n`;
    const t = setup({ 'compose.yaml': 'services: {}\n' });
    t.onTeardown(() => docker(['rmi', '-f', `tug-test/${t.project}-db`]));
    t.rewrite(file('1'));
    t.ok(['up', '-d']);
    t.ok(['exec', '-T', 'db', 'sh', '-c', 'echo precious > /var/lib/db/row; echo baked > /image-data/row']);
    const before = mounts(`${t.project}-db-1`);
    const id = docker(['inspect', '-f', '{{.Id}}', `${t.project}-db-1`]).stdout.trim();
    t.rewrite(file('2'));
    t.ok(['up', '-d']);
    expect(docker(['inspect', '-f', '{{.Id}}', `${t.project}-db-1`]).stdout.trim()).not.toBe(id);
    expect(t.ok(['exec', '-T', 'db', 'cat', '/var/lib/db/row', '/image-data/row']).stdout.trim()).toBe('precious\nbaked');
    expect(mounts(`${t.project}-db-1`)).toEqual(before);
    t.ok(['down', '-v', '-t', '0']);
    expect(volumeExists(before['/var/lib/db']!), 'the inherited anonymous volume goes with down -v').toBe(false);
    expect(volumeExists(before['/image-data']!)).toBe(false);
  });

  it('a relative bind mount shows the project directory\'s files', slow, () => {
    const t = setup({
      'compose.yaml': `services:\n${service('app', IDLE, '    volumes: ["./site:/site:ro"]\n')}`,
      'site/index.html': 'from the host\n',
    });
    t.ok(['up', '-d']);
    expect(t.ok(['exec', '-T', 'app', 'cat', '/site/index.html']).stdout).toBe('from the host\n');
    const write = t.run(['exec', '-T', 'app', 'sh', '-c', 'echo x > /site/new']);
    expect(write.code, 'a :ro bind mount is read-only').not.toBe(0);
  });
});
