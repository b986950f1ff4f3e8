// The docker backend through the built CLI: services reach each other by name
// on the project's networks, aliases resolve, separate networks stay separate,
// published ports answer on 127.0.0.1, and plain `docker` sees a Compose project.
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { afterEach, beforeAll, expect, it } from 'vitest';
import { tempProject, tug } from '../helpers/cli.js';
import { describeDocker, removeDockerProject } from '../helpers/docker.js';
import { freePort, tempHome, uniqueProject, until } from '../helpers/native-env.js';

const IMAGE = 'tug-test/busybox:latest';
const slow = { timeout: 120_000 };
const dockerEnv: Record<string, string> = process.env.DOCKER_HOST ? { DOCKER_HOST: process.env.DOCKER_HOST } : {};

function docker(args: string[]) {
  const r = spawnSync('docker', args, { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

function lines(text: string): string[] {
  return text.split('\n').map((l) => l.trim()).filter(Boolean);
}

interface Project {
  dir: string;
  home: string;
  project: string;
}
const projects: Project[] = [];

function setup(compose: string) {
  const p: Project = { dir: tempProject({ 'compose.yaml': compose }), home: tempHome(), project: uniqueProject('dn') };
  projects.push(p);
  const env = { TUG_HOME: p.home, ...dockerEnv };
  const run = (args: string[]) => tug(['--backend', 'docker', '-p', p.project, '--progress', 'plain', ...args], { cwd: p.dir, env });
  const up = (...extra: string[]) => {
    const r = run(['up', '-d', ...extra]);
    expect(r.code, `tug up failed:\n${r.stderr}`).toBe(0);
    return r;
  };
  /** Run a command in a replica until it succeeds (a server may still be starting). */
  const execUntil = (service: string, cmd: string[], what: string) =>
    until(() => {
      const r = run(['exec', '-T', service, ...cmd]);
      return r.code === 0 ? r : undefined;
    }, what, 20_000, 250);
  return { ...p, run, up, execUntil };
}

function teardown(p: Project): void {
  const env = { TUG_HOME: p.home, ...dockerEnv };
  tug(['--backend', 'docker', '-p', p.project, 'down', '-v', '--remove-orphans', '-t', '0'], { cwd: p.dir, env });
  removeDockerProject(p.project); // the safety net when down itself failed
  rmSync(p.dir, { recursive: true, force: true });
  rmSync(p.home, { recursive: true, force: true });
}

function service(name: string, command: string, extra = ''): string {
  return `  ${name}:\n    image: ${IMAGE}\n    command: ["sh", "-c", ${JSON.stringify(command)}]\n${extra}`;
}

const SERVE_WWW = 'mkdir -p /www && echo hello-from-$(hostname) > /www/index.html && exec httpd -f -p 80 -h /www';
// sh as PID 1 ignores SIGTERM unless it traps it; trapping keeps stops (and so recreate, scale down) fast.
const IDLE = "trap 'exit 0' TERM; sleep 100000 & wait";

describeDocker('docker backend: networks', () => {
  beforeAll(() => {
    const r = docker(['image', 'inspect', IMAGE]);
    if (r.code !== 0) throw new Error(`image ${IMAGE} is missing: run \`bash scripts/setup-docker.sh\` first`);
  });
  afterEach(() => {
    for (const p of projects.splice(0)) teardown(p);
  });

  it('a service reaches another by its service name on the default network', slow, async () => {
    const t = setup(`services:\n${service('web', SERVE_WWW)}${service('client', IDLE)}`);
    t.up();
    const r = await t.execUntil('client', ['wget', '-qO-', 'http://web/'], 'client to fetch http://web/');
    expect(r.stdout.trim()).toMatch(/^hello-from-/);
    const net = docker(['network', 'inspect', '-f', '{{index .Labels "com.docker.compose.network"}} {{index .Labels "com.docker.compose.project"}}', `${t.project}_default`]);
    expect(net.stdout.trim()).toBe(`default ${t.project}`);
  });

  it('resolves the container name and network aliases, and keeps separate networks apart', slow, async () => {
    const t = setup(
      `services:\n` +
        service('web', SERVE_WWW, '    networks:\n      back:\n        aliases: [www-alias]\n') +
        service('inside', IDLE, '    networks: [back]\n') +
        service('outside', IDLE, '    networks: [front]\n') +
        'networks:\n  back: {}\n  front: {}\n',
    );
    t.up();
    const byAlias = await t.execUntil('inside', ['wget', '-qO-', 'http://www-alias/'], 'the alias to answer');
    expect(byAlias.stdout).toMatch(/hello-from-/);
    const byName = t.run(['exec', '-T', 'inside', 'wget', '-qO-', `http://${t.project}-web-1/`]);
    expect(byName.code, byName.stderr).toBe(0);
    expect(byName.stdout).toMatch(/hello-from-/);
    // `outside` is only on `front`: it can neither resolve nor reach `web`.
    const isolated = t.run(['exec', '-T', 'outside', 'nslookup', 'web']);
    expect(isolated.code, isolated.stdout).not.toBe(0);
    expect(isolated.stdout + isolated.stderr).toMatch(/can't find web/);
    const nets = lines(docker(['network', 'ls', '--filter', `label=com.docker.compose.project=${t.project}`, '--format', '{{.Name}}']).stdout);
    expect(nets.sort()).toEqual([`${t.project}_back`, `${t.project}_front`]);
  });

  it('publishes a port on 127.0.0.1 and shows it in ps', slow, async () => {
    const port = await freePort();
    const t = setup(
      `services:\n` +
        service('web', 'mkdir -p /www && echo published > /www/index.html && exec httpd -f -p 8080 -h /www', `    ports: ["127.0.0.1:${port}:8080"]\n`),
    );
    t.up();
    const body = await until(async () => {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/`);
        return res.ok ? await res.text() : undefined;
      } catch {
        return undefined;
      }
    }, `http://127.0.0.1:${port}/ to answer`, 20_000, 200);
    expect(body.trim()).toBe('published');
    const row = JSON.parse(lines(t.run(['ps', '--format', 'json']).stdout)[0]!) as {
      Publishers: { URL: string; TargetPort: number; PublishedPort: number; Protocol: string }[];
    };
    expect(row.Publishers).toContainEqual(expect.objectContaining({ URL: '127.0.0.1', TargetPort: 8080, PublishedPort: port, Protocol: 'tcp' }));
  });

  it('is a Compose project to plain docker: names, labels and config hash', slow, () => {
    const t = setup(`services:\n${service('api', IDLE)}${service('worker', IDLE, '    scale: 2\n')}`);
    t.up();
    const ps = docker([
      'ps',
      '--filter',
      `label=com.docker.compose.project=${t.project}`,
      '--format',
      '{{.Names}} {{.Label "com.docker.compose.service"}} {{.Label "com.docker.compose.container-number"}} {{.Label "com.docker.compose.oneoff"}} {{.Label "com.docker.compose.config-hash"}}',
    ]);
    const rows = lines(ps.stdout).map((l) => l.split(' ')).sort((a, b) => a[0]!.localeCompare(b[0]!));
    expect(rows.map((r) => r.slice(0, 4))).toEqual([
      [`${t.project}-api-1`, 'api', '1', 'False'],
      [`${t.project}-worker-1`, 'worker', '1', 'False'],
      [`${t.project}-worker-2`, 'worker', '2', 'False'],
    ]);
    const hashes = new Map(lines(t.run(['config', '--hash', '*']).stdout).map((l) => l.split(' ') as [string, string]));
    for (const r of rows) expect(r[4], `config-hash label of ${r[0]}`).toBe(hashes.get(r[1]!));
    // tug's own view agrees with docker's.
    const names = lines(t.run(['ps', '--format', 'json']).stdout).map((l) => (JSON.parse(l) as { Name: string }).Name);
    expect(names.sort()).toEqual(rows.map((r) => r[0]));
  });

  it('down removes the containers and networks it created, and nothing else of the project remains', slow, () => {
    const t = setup(`services:\n${service('a', IDLE, '    networks: [one, default]\n')}networks:\n  one: {}\n`);
    t.up();
    const r = t.run(['down', '-t', '0']);
    expect(r.code, r.stderr).toBe(0);
    const filter = `label=com.docker.compose.project=${t.project}`;
    expect(lines(docker(['ps', '-a', '-q', '--filter', filter]).stdout)).toEqual([]);
    expect(lines(docker(['network', 'ls', '-q', '--filter', filter]).stdout)).toEqual([]);
  });
});
