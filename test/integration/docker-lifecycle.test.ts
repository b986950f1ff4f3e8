// The docker backend through the built CLI: what `up` leaves alone and what it
// recreates, scaling down, orphans, health-gated dependencies, exec, run and
// following logs. Containers are observed with plain `docker`, not through tug.
import { spawn } from 'node:child_process';
import { afterEach, beforeAll, expect, it } from 'vitest';
import { tugBin } from '../helpers/cli.js';
import { describeDocker } from '../helpers/docker.js';
import { IDLE, docker, dockerProject, lines, requireTestImage, service, teardownDockerProjects } from '../helpers/docker-project.js';
import { until } from '../helpers/native-env.js';

const slow = { timeout: 120_000 };

interface Container {
  id: string;
  name: string;
  service: string;
  number: string;
  oneoff: string;
  state: string;
}

/** The project's containers as docker sees them, sorted by name. */
function containers(project: string, all = true): Container[] {
  const format = '{{.ID}} {{.Names}} {{.Label "com.docker.compose.service"}} {{.Label "com.docker.compose.container-number"}} {{.Label "com.docker.compose.oneoff"}} {{.State}}';
  const r = docker(['ps', ...(all ? ['-a'] : []), '--no-trunc', '--filter', `label=com.docker.compose.project=${project}`, '--format', format]);
  return lines(r.stdout)
    .map((l) => {
      const [id, name, svc, number, oneoff, state] = l.split(' ') as [string, string, string, string, string, string];
      return { id, name, service: svc, number, oneoff, state };
    })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

const idsByName = (cs: Container[]) => Object.fromEntries(cs.map((c) => [c.name, c.id]));

function setup(compose: string) {
  const p = dockerProject({ 'compose.yaml': compose }, 'dl');
  return { ...p, containers: (all = true) => containers(p.project, all) };
}

describeDocker('docker backend: lifecycle', () => {
  beforeAll(() => requireTestImage());
  afterEach(teardownDockerProjects);

  it('a second up changes nothing; changing one service\'s environment recreates only that service', slow, () => {
    const file = (bar: string) => `services:\n${service('a', IDLE, '    environment:\n      FOO: "1"\n')}${service('b', IDLE, `    environment:\n      BAR: "${bar}"\n`)}`;
    const t = setup(file('1'));
    t.ok(['up', '-d']);
    const first = idsByName(t.containers());
    expect(Object.keys(first).sort()).toEqual([`${t.project}-a-1`, `${t.project}-b-1`]);
    t.ok(['up', '-d']);
    expect(idsByName(t.containers())).toEqual(first);
    t.rewrite(file('2'));
    t.ok(['up', '-d']);
    const after = t.containers();
    expect(after.map((c) => [c.name, c.state])).toEqual([[`${t.project}-a-1`, 'running'], [`${t.project}-b-1`, 'running']]);
    const ids = idsByName(after);
    expect(ids[`${t.project}-a-1`]).toBe(first[`${t.project}-a-1`]);
    expect(ids[`${t.project}-b-1`]).not.toBe(first[`${t.project}-b-1`]);
    const env = docker(['inspect', '-f', '{{range .Config.Env}}{{println .}}{{end}}', `${t.project}-b-1`]).stdout;
    expect(lines(env)).toContain('BAR=2');
  });

  it('scaling down removes the highest numbers and keeps the others untouched', slow, () => {
    const t = setup(`services:\n${service('w', IDLE)}`);
    t.ok(['up', '-d', '--scale', 'w=4']);
    const four = t.containers();
    expect(four.map((c) => c.number).sort()).toEqual(['1', '2', '3', '4']);
    t.ok(['scale', 'w=2']);
    const two = t.containers();
    expect(two.map((c) => [c.number, c.state])).toEqual([['1', 'running'], ['2', 'running']]);
    const before = idsByName(four);
    for (const c of two) expect(c.id).toBe(before[c.name]);
  });

  it('a service removed from the file is an orphan: kept by up, removed by up --remove-orphans', slow, () => {
    const t = setup(`services:\n${service('a', IDLE)}${service('gone', IDLE)}`);
    t.ok(['up', '-d']);
    const aId = idsByName(t.containers())[`${t.project}-a-1`];
    t.rewrite(`services:\n${service('a', IDLE)}`);
    t.ok(['up', '-d']);
    expect(t.containers().map((c) => c.service)).toEqual(['a', 'gone']);
    t.ok(['up', '-d', '--remove-orphans']);
    const left = t.containers();
    expect(left.map((c) => c.service)).toEqual(['a']);
    expect(left[0]!.id).toBe(aId);
  });

  it('service_healthy holds the dependent back until the health check passes', slow, () => {
    const t = setup(
      'services:\n' +
        service('db', 'sleep 2; touch /shared/ready; exec sleep 100000', [
          '    volumes: ["shared:/shared"]',
          '    healthcheck:',
          '      test: ["CMD-SHELL", "test -f /shared/ready"]',
          '      interval: 300ms',
          '      timeout: 2s',
          '      retries: 30',
          '',
        ].join('\n')) +
        service('app', 'if [ -f /shared/ready ]; then echo db-was-ready; else echo db-not-ready; fi; exec sleep 100000', [
          '    volumes: ["shared:/shared"]',
          '    depends_on:',
          '      db:',
          '        condition: service_healthy',
          '',
        ].join('\n')) +
        'volumes:\n  shared: {}\n',
    );
    t.ok(['up', '-d']);
    expect(docker(['inspect', '-f', '{{.State.Health.Status}}', `${t.project}-db-1`]).stdout.trim()).toBe('healthy');
    const logs = t.ok(['logs', '--no-log-prefix', 'app']).stdout;
    expect(logs).toContain('db-was-ready');
    expect(logs).not.toContain('db-not-ready');
    const db = t.run(['ps', '--format', 'json', 'db']).stdout;
    expect((JSON.parse(lines(db)[0]!) as { Health: string }).Health).toBe('healthy');
  });

  it('an unhealthy dependency fails up and its dependent is never started', slow, () => {
    const t = setup(
      'services:\n' +
        service('db', IDLE, '    healthcheck:\n      test: ["CMD-SHELL", "exit 1"]\n      interval: 200ms\n      retries: 2\n') +
        service('app', 'echo started; exec sleep 100000', '    depends_on:\n      db:\n        condition: service_healthy\n'),
    );
    const r = t.run(['up', '-d']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/unhealthy/);
    expect(r.stderr, 'the message names the dependency').toMatch(/\bdb\b|-db-1/);
    expect(t.containers(false).map((c) => c.service)).not.toContain('app');
  });

  it('exec runs in a running replica and returns its exit status and output', slow, () => {
    const t = setup(`services:\n${service('a', IDLE, '    environment:\n      GREETING: hi\n')}`);
    t.ok(['up', '-d']);
    const r = t.run(['exec', '-T', 'a', 'sh', '-c', 'echo "$GREETING from $(hostname)"; echo to-stderr >&2; exit 3']);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/^hi from \w+/);
    expect(r.stderr).toContain('to-stderr');
    const opts = t.run(['exec', '-T', '-e', 'EXTRA=42', '-w', '/tmp', 'a', 'sh', '-c', 'echo "$EXTRA $(pwd)"']);
    expect(opts.code, opts.stderr).toBe(0);
    expect(opts.stdout.trim()).toBe('42 /tmp');
  });

  it('run starts dependencies, returns the one-off\'s exit status, and --rm removes it', slow, () => {
    const t = setup(`services:\n${service('db', IDLE)}${service('job', 'echo default', '    depends_on: [db]\n')}`);
    const r = t.run(['run', '--rm', 'job', 'sh', '-c', 'echo one-off output; exit 4']);
    expect(r.code, r.stderr).toBe(4);
    expect(r.stdout).toContain('one-off output');
    expect(t.containers().map((c) => [c.service, c.oneoff, c.state])).toEqual([['db', 'False', 'running']]);
    // Without --rm the one-off stays, named <project>-<service>-run-<id>.
    const kept = t.run(['run', 'job', 'true']);
    expect(kept.code, kept.stderr).toBe(0);
    const oneoffs = t.containers().filter((c) => c.oneoff === 'True');
    expect(oneoffs).toHaveLength(1);
    expect(oneoffs[0]!.name).toMatch(new RegExp(`^${t.project}-job-run-[0-9a-f]+$`));
  });

  it('logs -f follows replicas added later by scale', slow, async () => {
    const t = setup(`services:\n${service('talker', 'echo hello from replica $(hostname); exec sleep 100000')}`);
    t.ok(['up', '-d']);
    const child = spawn(process.execPath, [tugBin, '--backend', 'docker', '-p', t.project, 'logs', '-f'], {
      cwd: t.dir,
      env: { ...process.env, ...t.env, NO_COLOR: '1' },
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const seen = (re: RegExp, what: string) =>
      until(() => re.test(out), what, 20_000).catch((e: Error) => {
        throw new Error(`${e.message}; logs -f printed:\n${out}`);
      });
    try {
      await seen(/talker-1\s*\| hello from replica/, "talker-1's line in logs -f");
      t.ok(['scale', 'talker=2']);
      await seen(/talker-2\s*\| hello from replica/, "talker-2's line in logs -f, after scale");
      expect(child.exitCode).toBeNull();
    } finally {
      child.kill('SIGTERM');
    }
  });
});
