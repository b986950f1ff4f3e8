// The docker backend through the built CLI: services reach each other by name
// on the project's networks, aliases resolve, separate networks stay separate,
// published ports answer on 127.0.0.1, and plain `docker` sees a Compose project.
import { afterEach, beforeAll, expect, it } from 'vitest';
import { describeDocker } from '../helpers/docker.js';
import { IDLE, docker, dockerProject, lines, requireTestImage, service, teardownDockerProjects } from '../helpers/docker-project.js';
import { freePort, until } from '../helpers/native-env.js';

const slow = { timeout: 120_000 };

function setup(compose: string) {
  const p = dockerProject({ 'compose.yaml': compose }, 'dn');
  const up = (...extra: string[]) => p.ok(['up', '-d', ...extra]);
  /** Run a command in a replica until it succeeds (a server may still be starting). */
  const execUntil = (svc: string, cmd: string[], what: string) =>
    until(() => {
      const r = p.run(['exec', '-T', svc, ...cmd]);
      return r.code === 0 ? r : undefined;
    }, what, 20_000, 250);
  return { ...p, up, execUntil };
}

const SERVE_WWW = 'mkdir -p /www && echo hello-from-$(hostname) > /www/index.html && exec httpd -f -p 80 -h /www';

describeDocker('docker backend: networks', () => {
  beforeAll(() => requireTestImage());
  afterEach(teardownDockerProjects);

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

  it('refuses a scale beyond a published range before creating anything, with the port\'s place in the file', slow, async () => {
    const base = await freePort();
    const t = setup(`services:\n${service('web', IDLE, `    ports: ["127.0.0.1:${base}-${base + 1}:8080"]\n`)}`);
    const r = t.run(['up', '-d', '--scale', 'web=3']);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain(`compose.yaml:5:13 services.web.ports[0]: service web: published range ${base}-${base + 1} has 2 ports for 3 replicas`);
    expect(lines(docker(['ps', '-a', '-q', '--filter', `label=com.docker.compose.project=${t.project}`]).stdout)).toEqual([]);
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
