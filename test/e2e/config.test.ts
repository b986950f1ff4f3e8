// `tug config` through the built CLI: what a user sees on stdout and stderr,
// and the exit codes.
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { repoRoot, tempProject, tug } from '../helpers/cli.js';

const quickstart = join(repoRoot, 'examples/quickstart');

describe('tug config on examples/quickstart', () => {
  it('prints the canonical form, deterministically', () => {
    const first = tug(['config'], { cwd: quickstart });
    expect(first.code).toBe(0);
    const model = parse(first.stdout);
    expect(model.name).toBe('quickstart');
    expect(Object.keys(model.services)).toEqual(['api', 'web', 'worker']);
    expect(model.services.web.ports).toEqual([
      { host_ip: '127.0.0.1', mode: 'ingress', protocol: 'tcp', published: '7100', target: 7100 },
    ]);
    expect(model.services.web.depends_on).toEqual({ api: { condition: 'service_healthy', required: true, restart: false } });
    expect(model.services.worker.depends_on.api.condition).toBe('service_started');
    expect(model.volumes['worker-data'].name).toBe('quickstart_worker-data');
    expect(tug(['config'], { cwd: quickstart }).stdout).toBe(first.stdout);
  });

  it('prints JSON with --format json', () => {
    const r = tug(['config', '--format', 'json'], { cwd: quickstart });
    expect(JSON.parse(r.stdout).services.api.healthcheck.test).toEqual(['CMD', 'node', 'healthcheck.mjs']);
  });

  it('lists services, volumes, networks and validates quietly', () => {
    expect(tug(['config', '--services'], { cwd: quickstart }).stdout).toBe('api\nweb\nworker\n');
    expect(tug(['config', '--volumes'], { cwd: quickstart }).stdout).toBe('worker-data\n');
    expect(tug(['config', '--networks'], { cwd: quickstart }).stdout).toBe('default\n');
    const quiet = tug(['config', '-q'], { cwd: quickstart });
    expect(quiet).toMatchObject({ code: 0, stdout: '' });
  });

  it('follows variables from the environment, and keeps them with --no-interpolate', () => {
    const r = tug(['config', '--format', 'json'], { cwd: quickstart, env: { WEB_PORT: '8088' } });
    expect(JSON.parse(r.stdout).services.web.ports[0].published).toBe('8088');
    const raw = tug(['config', '--no-interpolate', '--format', 'json'], { cwd: quickstart });
    expect(raw.code).toBe(0);
    expect(JSON.parse(raw.stdout).services.web.environment.WEB_PORT).toBe('${WEB_PORT:-7100}');
  });
});

describe('tug config flags', () => {
  const project = () =>
    tempProject({
      'compose.yaml': [
        'services:',
        '  web:',
        '    image: "web:${TAG}"',
        '    command: \'echo "cost: $$5"\'',
        '    scale: ${SCALE:-1}',
        '  debug:',
        '    image: busybox',
        '    profiles: [debug]',
      ].join('\n'),
      '.env': 'TAG=from-dotenv\nSCALE=1\n',
      'other.env': 'TAG=from-env-file\n',
    });

  it('writes a literal $ back as $$', () => {
    const r = tug(['config'], { cwd: project() });
    expect(r.stdout).toContain('cost: $$5');
  });

  it('reads .env, lets the process environment win, and --env-file replace it', () => {
    const dir = project();
    const image = (r: { stdout: string }) => JSON.parse(r.stdout).services.web.image;
    expect(image(tug(['config', '--format', 'json'], { cwd: dir }))).toBe('web:from-dotenv');
    expect(image(tug(['config', '--format', 'json'], { cwd: dir, env: { TAG: 'from-os' } }))).toBe('web:from-os');
    expect(image(tug(['--env-file', 'other.env', 'config', '--format', 'json'], { cwd: dir }))).toBe('web:from-env-file');
  });

  it('enables profiles with --profile, COMPOSE_PROFILES, or by naming the service', () => {
    const dir = project();
    expect(tug(['config', '--services'], { cwd: dir }).stdout).toBe('web\n');
    expect(tug(['--profile', 'debug', 'config', '--services'], { cwd: dir }).stdout).toBe('debug\nweb\n');
    expect(tug(['config', '--services'], { cwd: dir, env: { COMPOSE_PROFILES: 'debug' } }).stdout).toBe('debug\nweb\n');
    expect(tug(['config', '--profiles'], { cwd: dir }).stdout).toBe('debug\n');
    expect(tug(['config', '--services', 'debug'], { cwd: dir }).stdout).toBe('debug\n');
  });

  it('prints a config hash that ignores scale but follows the image', () => {
    const dir = project();
    const hash = (env: Record<string, string>) => tug(['config', '--hash', 'web'], { cwd: dir, env }).stdout;
    const base = hash({});
    expect(base).toMatch(/^web [0-9a-f]{64}\n$/);
    expect(hash({ SCALE: '3' })).toBe(base);
    expect(hash({ TAG: 'other' })).not.toBe(base);
    expect(tug(['config', '--hash', '*'], { cwd: dir }).stdout.split('\n').filter(Boolean)).toHaveLength(1);
  });

  it('reads the file from stdin with -f -', () => {
    const dir = tempProject({});
    const r = tug(['-f', '-', '-p', 'piped', 'config', '--services'], { cwd: dir, input: 'services:\n  one: {image: a}\n' });
    expect(r).toMatchObject({ code: 0, stdout: 'one\n' });
  });

  it('finds compose.yaml in a parent directory', () => {
    const dir = tempProject({ 'compose.yaml': 'services: {a: {image: a}}\n', 'sub/deeper/.keep': '' });
    expect(tug(['config', '--services'], { cwd: join(dir, 'sub/deeper') }).stdout).toBe('a\n');
  });
});

describe('tug config errors', () => {
  it('reports all problems with file:line:col, path and hint, exit 1, no stack trace', () => {
    const dir = tempProject({
      'compose.yaml': ['services:', '  web:', '    image: nginx', '    prots: ["80:80"]', '    restart: 5', ''].join('\n'),
    });
    const r = tug(['config'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('compose.yaml:4:5');
    expect(r.stderr).toContain('did you mean "ports"?');
    expect(r.stderr).toContain('compose.yaml:5:14');
    expect(r.stderr).toContain('2 errors');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('reports invalid YAML with the parser position', () => {
    const dir = tempProject({ 'compose.yaml': 'services:\n  web:\n    image: a\n   bad: [\n' });
    const r = tug(['config'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/compose\.yaml:\d+:\d+: invalid YAML/);
  });

  it('fails fast on a dependency cycle and on an unknown dependency', () => {
    const cycle = tempProject({ 'compose.yaml': 'services:\n  api: {image: a, depends_on: [db]}\n  db: {image: b, depends_on: [api]}\n' });
    const r = tug(['config', '-q'], { cwd: cycle });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('dependency cycle detected: api -> db -> api');
    const missing = tempProject({ 'compose.yaml': 'services:\n  web: {image: a, depends_on: [nope]}\n' });
    expect(tug(['config', '-q'], { cwd: missing }).stderr).toContain('depends on undefined service "nope"');
  });

  it('uses exit code 2 for usage errors', () => {
    const dir = tempProject({ 'compose.yaml': 'services: {a: {image: a}}\n' });
    expect(tug(['config', '--no-such-flag'], { cwd: dir }).code).toBe(2);
    expect(tug(['no-such-command'], { cwd: dir }).code).toBe(2);
    const badName = tug(['-p', 'Bad Name', 'config'], { cwd: dir });
    expect(badName.code).toBe(2);
    expect(badName.stderr).toContain('invalid project name "Bad Name"');
    expect(tug(['config', '--hash', 'nope'], { cwd: dir }).code).toBe(2);
  });

  it('says clearly when there is no Compose file', () => {
    const r = tug(['config'], { cwd: tempProject({}) });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('no Compose file found');
  });

  it('prints no color codes with --ansi never or NO_COLOR', () => {
    const dir = tempProject({ 'compose.yaml': 'services:\n  web: {imag: a}\n' });
    const r = tug(['--ansi', 'never', 'config'], { cwd: dir, env: { FORCE_COLOR: '1' } });
    expect(r.stderr).not.toContain('\u001b[');
    const colored = tug(['--ansi', 'always', 'config'], { cwd: dir });
    expect(colored.stderr).toContain('\u001b[');
  });
});

describe('tug --version and --help', () => {
  it('prints the version', () => {
    expect(tug(['--version'], { cwd: repoRoot }).stdout).toMatch(/^tug version \d+\.\d+\.\d+/);
  });
  it('prints help with exit 0', () => {
    const r = tug(['--help'], { cwd: repoRoot });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('config');
  });
});
