import { describe, expect, it } from 'vitest';
import { ConfigErrors, TugError, type PathSegment } from '../../src/core/errors.js';
import { buildServiceGraph } from '../../src/core/graph/service-graph.js';
import { order } from '../../src/core/graph/order.js';
import type { DependsOnSpec, Project, ServiceSpec } from '../../src/core/model/types.js';

function project(services: Record<string, ServiceSpec>, disabledServices: Record<string, ServiceSpec> = {}): Project {
  return {
    name: 'demo',
    workingDir: '/demo',
    configFiles: ['/demo/compose.yaml'],
    services,
    disabledServices,
    networks: {},
    volumes: {},
    secrets: {},
    configs: {},
    extensions: {},
  };
}

const started: DependsOnSpec = { condition: 'service_started', required: true, restart: false };
const healthy: DependsOnSpec = { condition: 'service_healthy', required: true, restart: true };
const img = (extra: ServiceSpec = {}): ServiceSpec => ({ image: 'alpine', ...extra });
const dependsOn = (...names: string[]) => img({ depends_on: Object.fromEntries(names.map((n) => [n, started])) });

/** Runs fn, which must throw; returns the errors as a list whatever their packaging. */
function errorsOf(fn: () => unknown): TugError[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigErrors) return err.errors;
    if (err instanceof TugError) return [err];
    throw err;
  }
  throw new Error('expected an error');
}

describe('buildServiceGraph', () => {
  it('builds edges from depends_on, keeping condition, required and restart', () => {
    const g = buildServiceGraph(project({ web: img({ depends_on: { db: healthy } }), db: img() }));
    expect(g.nodes()).toEqual(['db', 'web']);
    expect(g.edge('web', 'db')).toMatchObject({ ...healthy, source: 'depends_on', path: ['services', 'web', 'depends_on', 'db'] });
    expect(order(g, 'dependencies-first')).toEqual(['db', 'web']);
  });

  it('adds implicit edges from links, volumes_from and network_mode/ipc/pid', () => {
    const g = buildServiceGraph(
      project({
        web: img({ links: ['api:backend', 'cache'], volumes_from: ['data:ro', 'container:legacy'], network_mode: 'service:vpn' }),
        api: img({ ipc: 'service:shm', pid: 'host' }),
        cache: img(),
        data: img(),
        vpn: img(),
        shm: img(),
      }),
    );
    expect(g.dependenciesOf('web')).toEqual(['api', 'cache', 'data', 'vpn']);
    expect(g.dependenciesOf('api')).toEqual(['shm']);
    expect(g.edge('web', 'api')).toMatchObject({ condition: 'service_started', restart: true, source: 'links', raw: 'api:backend' });
    expect(g.edge('web', 'data')).toMatchObject({ condition: 'service_started', restart: false, source: 'volumes_from' });
    expect(g.edge('web', 'vpn')).toMatchObject({ condition: 'service_started', restart: true, source: 'network_mode' });
    expect(g.edge('api', 'shm')).toMatchObject({ restart: true, source: 'ipc' });
    expect(g.hasNode('legacy')).toBe(false); // container: refers outside the project
  });

  it('lets an explicit depends_on win over an implicit edge to the same service', () => {
    const g = buildServiceGraph(project({ web: img({ depends_on: { db: healthy }, links: ['db'] }), db: img() }));
    expect(g.edge('web', 'db')).toMatchObject({ condition: 'service_healthy', source: 'depends_on' });
  });

  it('fails fast and clearly on a cycle of 2, with the location of the first edge', { timeout: 1000 }, () => {
    const seen: PathSegment[][] = [];
    const locate = (path: PathSegment[]) => (seen.push(path), { file: '/demo/compose.yaml', line: 7, column: 7 });
    const [err, ...rest] = errorsOf(() => buildServiceGraph(project({ api: dependsOn('db'), db: dependsOn('api') }), locate));
    expect(rest).toEqual([]);
    expect(err!.code).toBe('graph.cycle');
    expect(err!.message).toBe('dependency cycle detected: api -> db -> api');
    expect(err!.path).toEqual(['services', 'api', 'depends_on', 'db']);
    expect(err!.location).toEqual({ file: '/demo/compose.yaml', line: 7, column: 7 });
    expect(seen).toEqual([['services', 'api', 'depends_on', 'db']]);
  });

  it('reports a cycle of 3', () => {
    const p = project({ service1: dependsOn('service2'), service2: dependsOn('service3'), service3: dependsOn('service1') });
    expect(errorsOf(() => buildServiceGraph(p)).map((e) => e.message)).toEqual([
      'dependency cycle detected: service1 -> service2 -> service3 -> service1',
    ]);
  });

  it('reports a self dependency as a cycle', () => {
    const p = project({ service1: dependsOn('service1') });
    expect(errorsOf(() => buildServiceGraph(p)).map((e) => e.message)).toEqual([
      'dependency cycle detected: service1 -> service1',
    ]);
  });

  it('reports a cycle made of implicit edges at the implicit entry', () => {
    const p = project({ a: img({ links: ['b'] }), b: img({ volumes_from: ['a'] }) });
    const [err] = errorsOf(() => buildServiceGraph(p));
    expect(err!.message).toBe('dependency cycle detected: a -> b -> a');
    expect(err!.path).toEqual(['services', 'a', 'links', 0]);
  });

  it('fails fast on an unknown service in depends_on, with a did-you-mean', { timeout: 1000 }, () => {
    const [err] = errorsOf(() =>
      buildServiceGraph(project({ web: dependsOn('zot'), postgres: img() }), () => ({ file: 'c.yaml', line: 3, column: 9 })),
    );
    expect(err!.code).toBe('graph.unknown-service');
    expect(err!.message).toBe('service "web" depends on undefined service "zot"');
    expect(err!.location).toEqual({ file: 'c.yaml', line: 3, column: 9 });
    expect(err!.hint).toBe('defined services: postgres');

    const [typo] = errorsOf(() => buildServiceGraph(project({ web: dependsOn('postgress'), postgres: img() })));
    expect(typo!.hint).toBe('did you mean "postgres"?');
  });

  it('reports unknown services named by links, volumes_from and network_mode', () => {
    const p = project({ web: img({ links: ['dbb:db'], volumes_from: ['store'], network_mode: 'service:vpn' }), db: img() });
    expect(errorsOf(() => buildServiceGraph(p)).map((e) => [e.code, e.message, e.path])).toEqual([
      ['graph.unknown-service', 'service "web" depends on undefined service "dbb" (links: "dbb:db")', ['services', 'web', 'links', 0]],
      ['graph.unknown-service', 'service "web" depends on undefined service "vpn" (network_mode: "service:vpn")', ['services', 'web', 'network_mode']],
      ['graph.unknown-service', 'service "web" depends on undefined service "store" (volumes_from: "store")', ['services', 'web', 'volumes_from', 0]],
    ]);
  });

  it('says a dependency is disabled and which profile enables it', () => {
    const p = project({ web: dependsOn('db') }, { db: img({ profiles: ['debug'] }) });
    const [err] = errorsOf(() => buildServiceGraph(p));
    expect(err!.code).toBe('graph.disabled-dependency');
    expect(err!.message).toBe('service "db" is required by "web" but is disabled');
    expect(err!.hint).toBe('enable it with --profile debug');
  });

  it('drops a required: false edge to a missing or disabled service silently', () => {
    const optional: DependsOnSpec = { condition: 'service_started', required: false, restart: false };
    const p = project({ web: img({ depends_on: { metrics: optional, debugger: optional } }) }, { debugger: img({ profiles: ['debug'] }) });
    const g = buildServiceGraph(p);
    expect(g.nodes()).toEqual(['web']);
    expect(g.edges()).toEqual([]);
  });

  it('collects every problem and throws them together', () => {
    const p = project(
      { web: dependsOn('nope', 'dbg'), api: dependsOn('worker'), worker: dependsOn('api') },
      { dbg: img({ profiles: ['debug', 'dev'] }) },
    );
    const errors = errorsOf(() => buildServiceGraph(p));
    expect(errors.map((e) => e.code).sort()).toEqual(['graph.cycle', 'graph.disabled-dependency', 'graph.unknown-service']);
    expect(errors.find((e) => e.code === 'graph.disabled-dependency')!.hint).toBe('enable it with --profile debug or --profile dev');
  });
});
