import { describe, expect, it } from 'vitest';
import { loadErrors, loadFromMemory } from '../helpers/memory-project.js';

const yaml = (...lines: string[]) => lines.join('\n') + '\n';

describe('loadProject', () => {
  it('merges override files with the Compose rules', () => {
    const { project } = loadFromMemory(
      {
        '/proj/compose.yaml': yaml(
          'services:',
          '  web:',
          '    image: web:1',
          '    command: ["a", "b"]',
          '    environment: [A=1, B=2]',
          '    ports: ["8080:80"]',
          '    volumes: ["./data:/data", "cache:/cache"]',
          'volumes: {cache: {}}',
        ),
        '/proj/compose.override.yaml': yaml(
          'services:',
          '  web:',
          '    image: web:2',
          '    command: ["c"]',
          '    environment: {B: "3", C: "4"}',
          '    ports: ["8080:80", "9090:90"]',
          '    volumes: ["./other:/data"]',
        ),
      },
      { main: ['/proj/compose.yaml', '/proj/compose.override.yaml'] },
    );
    const web = project.services.web!;
    expect(web.image).toBe('web:2');
    expect(web.command).toEqual(['c']);
    expect(web.environment).toEqual({ A: '1', B: '3', C: '4' });
    expect(web.ports!.map((p) => p.published)).toEqual(['8080', '9090']);
    expect(web.volumes!.find((v) => v.target === '/data')!.source).toBe('/proj/other');
    expect(web.volumes).toHaveLength(2);
  });

  it('resolves extends from the same file and from another file, paths relative to the base file', () => {
    const { project } = loadFromMemory({
      '/proj/compose.yaml': yaml(
        'services:',
        '  base: {image: b, environment: {X: "1"}}',
        '  web:',
        '    extends: base',
        '    environment: {Y: "2"}',
        '  api:',
        '    extends: {file: lib/common.yaml, service: common}',
        '    command: run',
      ),
      '/proj/lib/common.yaml': yaml('services:', '  common:', '    image: c', '    build: ./ctx', '    env_file: common.env'),
      '/proj/lib/common.env': 'FROM_FILE=yes\n',
    });
    expect(project.services.web!.environment).toEqual({ X: '1', Y: '2' });
    expect(project.services.web!.image).toBe('b');
    expect(project.services.api!.build!.context).toBe('/proj/lib/ctx');
    expect(project.services.api!.environment).toEqual({ FROM_FILE: 'yes' });
    expect(project.services.api!.command).toEqual(['run']);
  });

  it('resolves a long extends chain once per service (2,000 links took minutes: each service merged its whole chain again)', { timeout: 20_000 }, () => {
    const lines = ['services:'];
    for (let i = 0; i < 2_000; i++) lines.push(`  s${i}: {extends: s${i + 1}, environment: {LINK: "${i}"}}`);
    lines.push('  s2000: {command: [x], environment: {BASE: "yes"}}');
    const { project } = loadFromMemory({ '/proj/compose.yaml': yaml(...lines) });
    expect(project.services.s0!.command).toEqual(['x']);
    expect(project.services.s0!.environment).toEqual({ BASE: 'yes', LINK: '0' });
    expect(project.services.s1999!.environment).toEqual({ BASE: 'yes', LINK: '1999' });
  });

  it('detects extends cycles', () => {
    const errors = loadErrors({
      '/proj/compose.yaml': yaml('services:', '  a: {extends: b}', '  b: {extends: a}'),
    });
    expect(errors[0]!.message).toMatch(/extends cycle detected \(circular reference\): a -> b -> a/);
  });

  it('includes other files with their own directory and .env, local definitions winning', () => {
    const { project } = loadFromMemory({
      '/proj/compose.yaml': yaml('include:', '  - sub/compose.yaml', 'services:', '  web: {image: w, depends_on: [db]}'),
      '/proj/sub/compose.yaml': yaml('services:', '  db:', '    image: postgres:${PG:-15}', '    volumes: ["./init:/init"]'),
      '/proj/sub/.env': 'PG=16\n',
    });
    expect(project.services.db!.image).toBe('postgres:16');
    expect(project.services.db!.volumes![0]!.source).toBe('/proj/sub/init');
  });

  it('detects include cycles', () => {
    const errors = loadErrors({ '/proj/compose.yaml': yaml('include: [compose.yaml]', 'services: {a: {image: a}}') });
    expect(errors[0]!.message).toMatch(/^include cycle detected/);
  });

  it('interpolates values with the environment, warning once per unset variable', () => {
    const { project, warnings } = loadFromMemory(
      {
        '/proj/compose.yaml': yaml(
          'services:',
          '  web:',
          '    image: "app:${TAG}"',
          '    labels: {a: "${MISSING}", b: "${MISSING}", "${KEY}": "$$HOME"}',
        ),
      },
      { environment: { TAG: '7' } },
    );
    expect(project.services.web!.image).toBe('app:7');
    expect(project.services.web!.labels).toEqual({ a: '', b: '', '${KEY}': '$HOME' });
    expect(warnings.filter((w) => w.includes('MISSING'))).toHaveLength(1);
    expect(warnings.some((w) => w.includes('KEY'))).toBe(false);
  });

  it('does not use env_file values for interpolation', () => {
    const { project } = loadFromMemory({
      '/proj/compose.yaml': yaml('services:', '  web:', '    image: "x:${V:-default}"', '    env_file: vars.env'),
      '/proj/vars.env': 'V=fromfile\n',
    });
    expect(project.services.web!.image).toBe('x:default');
    expect(project.services.web!.environment).toEqual({ V: 'fromfile' });
  });

  it('names the project from -p, COMPOSE_PROJECT_NAME, name: or the directory', () => {
    const files = { '/proj/compose.yaml': yaml('name: From_File', 'services: {a: {image: a}}') };
    expect(loadFromMemory(files).project.name).toBe('from_file');
    expect(loadFromMemory(files, { environment: { COMPOSE_PROJECT_NAME: 'env' } }).project.name).toBe('env');
    expect(loadFromMemory(files, { projectName: 'flag' }).project.name).toBe('flag');
    expect(loadFromMemory({ '/proj/compose.yaml': 'services: {a: {image: a}}\n' }).project.name).toBe('proj');
  });

  it('keeps profile-disabled services aside and explains a dependency on one', () => {
    const files = {
      '/proj/compose.yaml': yaml(
        'services:',
        '  web: {image: w, depends_on: [debugger]}',
        '  debugger: {image: d, profiles: [debug]}',
      ),
    };
    const errors = loadErrors(files);
    expect(errors[0]!.message).toMatch(/"debugger" is required by "web" but is disabled/);
    expect(errors[0]!.hint).toMatch(/--profile debug/);
    const { project } = loadFromMemory(files, { profiles: ['debug'] });
    expect(Object.keys(project.services).sort()).toEqual(['debugger', 'web']);
  });

  it('fails fast and clearly on a two-service cycle and on an unknown dependency', () => {
    const start = Date.now();
    const cycle = loadErrors({ '/proj/compose.yaml': yaml('services:', '  api: {image: a, depends_on: [db]}', '  db: {image: d, depends_on: [api]}') });
    expect(cycle[0]!.message).toBe('dependency cycle detected: api -> db -> api');
    expect(cycle[0]!.location).toMatchObject({ file: '/proj/compose.yaml', line: 2 });
    const missing = loadErrors({ '/proj/compose.yaml': yaml('services:', '  web: {image: a, depends_on: [dbb]}', '  db: {image: d}') });
    expect(missing[0]!.message).toMatch(/service "web" depends on undefined service "dbb"/);
    expect(missing[0]!.hint).toMatch(/did you mean "db"/);
    expect(Date.now() - start).toBeLessThan(1000);
  });

  it('reports every error at once, each with file, line, column, path and a hint', () => {
    const errors = loadErrors({
      '/proj/compose.yaml': yaml(
        'services:',
        '  web:',
        '    image: w',
        '    prots: ["80"]',
        '    restart: 5',
        '  db:',
        '    image: d',
        '    networks: [backend]',
        '    volumes: ["data:/var/lib"]',
      ),
    });
    const messages = errors.map((e) => e.message).join('\n');
    expect(messages).toMatch(/unknown key "prots"/);
    const prots = errors.find((e) => e.message.includes('prots'))!;
    expect(prots.location).toEqual({ file: '/proj/compose.yaml', line: 4, column: 5 });
    expect(prots.hint).toBe('did you mean "ports"?');
    expect(errors.some((e) => e.path?.join('.') === 'services.web.restart')).toBe(true);
  });

  it('reports undefined networks and volumes after the schema passes', () => {
    const errors = loadErrors({
      '/proj/compose.yaml': yaml(
        'services:',
        '  db:',
        '    image: d',
        '    networks: [backend]',
        '    volumes: ["dta:/var/lib"]',
        'volumes: {data: {}}',
      ),
    });
    expect(errors.map((e) => e.message)).toEqual([
      'service "db" refers to undefined network "backend"',
      'service "db" refers to undefined volume "dta"',
    ]);
    expect(errors[1]!.hint).toBe('did you mean "data"?');
    expect(errors[1]!.location?.line).toBe(5);
  });

  it('rejects container_name on a scaled service and duplicate published ports', () => {
    const errors = loadErrors({
      '/proj/compose.yaml': yaml(
        'services:',
        '  a: {image: a, container_name: fixed, scale: 2}',
        '  b: {image: b, ports: ["8080:80"]}',
        '  c: {image: c, ports: ["127.0.0.1:8080:81"]}',
        '  d: {image: d, ports: ["8080:80/udp"]}',
      ),
    });
    expect(errors.map((e) => e.code).sort()).toEqual(['check.container-name-scaled', 'check.duplicate-port']);
    expect(errors.find((e) => e.code === 'check.duplicate-port')!.message).toMatch(/service "c" publishes host port 8080\/tcp, already published by service "b"/);
  });

  it('adds the default network only when a service uses it', () => {
    const { project } = loadFromMemory({ '/proj/compose.yaml': 'services: {a: {image: a}}\n' });
    expect(project.networks).toEqual({ default: { name: 'proj_default' } });
    expect(project.services.a!.networks).toEqual({ default: null });
    const host = loadFromMemory({ '/proj/compose.yaml': 'services: {a: {image: a, network_mode: host}}\n' });
    expect(host.project.networks).toEqual({});
  });

  it('rejects an empty file', () => {
    expect(loadErrors({ '/proj/compose.yaml': '# nothing\n' })[0]!.message).toMatch(/empty compose file/);
  });
});
