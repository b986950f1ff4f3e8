import { describe, expect, it } from 'vitest';
import { LABEL } from '../../src/core/model/labels.js';
import type { Project } from '../../src/core/model/types.js';
import { emptyObservedState, type ObservedReplica, type ObservedState, type ReplicaState } from '../../src/core/reconcile/observed.js';
import { formatPlan } from '../../src/core/reconcile/plan.js';
import { findOrphans, reconcile, type ReconcileOptions } from '../../src/core/reconcile/reconcile.js';
import { buildReplicaSpec } from '../../src/core/reconcile/replica-spec.js';
import { applyPlan, observedReplica } from '../helpers/apply-plan.js';
import { loadFromMemory } from '../helpers/memory-project.js';

const yaml = (...lines: string[]) => lines.join('\n') + '\n';
const load = (...lines: string[]): Project => loadFromMemory({ '/proj/compose.yaml': yaml('name: p', ...lines) }).project;

const UP: ReconcileOptions = {
  recreate: 'diverged',
  recreateDependencies: 'diverged',
  removeOrphans: false,
  start: true,
  startExited: true,
  tugVersion: '0.1.0',
};

const plan = (project: Project, observed: ObservedState, opts: Partial<ReconcileOptions> = {}) =>
  formatPlan(reconcile(project, observed, { ...UP, ...opts }));

/** An observed replica exactly as `up` would have created it from `project`. */
function replica(project: Project, service: string, number: number, state: ReplicaState = 'running'): ObservedReplica {
  const spec = buildReplicaSpec(project, service, number, { tugVersion: '0.1.0' });
  return observedReplica(spec.name, service, number, state, spec.labels);
}

/** Applies plans until one is empty (at most 3 rounds), as the converge loop does. */
function converge(project: Project, observed: ObservedState, opts: Partial<ReconcileOptions> = {}): ObservedState {
  let state = observed;
  for (let round = 0; round < 3; round++) {
    const p = reconcile(project, state, { ...UP, ...opts, startExited: round === 0 && (opts.startExited ?? true) });
    if (p.steps.length === 0) return state;
    state = applyPlan(state, p);
  }
  throw new Error('did not converge');
}

const app = () =>
  load(
    'services:',
    '  web:',
    '    image: web',
    '    depends_on: {api: {condition: service_healthy}}',
    '  api:',
    '    image: api',
    '    environment: {MODE: prod}',
    '    volumes: [data:/data]',
    'volumes: {data: {}}',
  );

describe('reconcile: fresh up', () => {
  it('creates networks, volumes, then replicas in dependency order with awaits', () => {
    expect(plan(app(), emptyObservedState('p'))).toBe(
      [
        'create-network p_default',
        'create-volume p_data',
        'create-replica p-api-1 after create-network p_default, create-volume p_data',
        'start-replica p-api-1 after create-replica p-api-1',
        'create-replica p-web-1 after create-network p_default',
        'await-dependency web <- api (service_healthy) after start-replica p-api-1',
        'start-replica p-web-1 after create-replica p-web-1, await-dependency web <- api',
      ].join('\n'),
    );
  });

  it('plans nothing the second time', () => {
    const project = app();
    const after = applyPlan(emptyObservedState('p'), reconcile(project, emptyObservedState('p'), UP));
    expect(plan(project, after)).toBe('(nothing to do)');
    expect(plan(project, after, { startExited: false })).toBe('(nothing to do)');
  });

  it('does not create external networks or volumes, nor unused ones', () => {
    const project = load(
      'services:',
      '  web: {image: web, networks: [front, ext], volumes: [logs:/logs]}',
      'networks: {front: {}, ext: {external: true}, unused: {}}',
      'volumes: {logs: {external: true}, spare: {}}',
    );
    expect(plan(project, emptyObservedState('p'))).toBe(
      [
        'create-network p_front',
        'create-replica p-web-1 after create-network p_front',
        'start-replica p-web-1 after create-replica p-web-1',
      ].join('\n'),
    );
  });

  it('create-only plans no starts', () => {
    expect(plan(app(), emptyObservedState('p'), { start: false })).toBe(
      [
        'create-network p_default',
        'create-volume p_data',
        'create-replica p-api-1 after create-network p_default, create-volume p_data',
        'create-replica p-web-1 after create-network p_default',
      ].join('\n'),
    );
  });
});

describe('reconcile: idempotency', () => {
  const scenarios: [string, () => { project: Project; observed: ObservedState; opts?: Partial<ReconcileOptions> }][] = [
    ['fresh up', () => ({ project: app(), observed: emptyObservedState('p') })],
    ['scale up', () => {
      const project = app();
      return { project, observed: converge(project, emptyObservedState('p')), opts: { scale: { api: 3 } } };
    }],
    ['scale down', () => {
      const project = app();
      return { project, observed: converge(project, emptyObservedState('p'), { scale: { api: 3 } }), opts: { scale: { api: 1 } } };
    }],
    ['recreate', () => {
      const observed = converge(app(), emptyObservedState('p'));
      const changed = app();
      changed.services.api!.environment = { MODE: 'dev' };
      return { project: changed, observed };
    }],
    ['force recreate', () => {
      const project = app();
      return { project, observed: converge(project, emptyObservedState('p')), opts: { recreate: 'force' } };
    }],
    ['restart:true dependents and a shared namespace', () => {
      const base = (mode: string) =>
        load(
          'services:',
          '  web: {image: web, depends_on: {api: {condition: service_started, restart: true}}}',
          '  side: {image: side, network_mode: "service:api"}',
          `  api: {image: api, environment: {MODE: ${mode}}}`,
        );
      return { project: base('dev'), observed: converge(base('prod'), emptyObservedState('p')) };
    }],
    ['orphans', () => {
      const project = app();
      const observed = converge(project, emptyObservedState('p'));
      observed.replicas.push(observedReplica('p-old-1', 'old', 1, 'running', { [LABEL.configHash]: 'x' }));
      observed.replicas.push(observedReplica('p-web-run-abc', 'web', 0, 'exited', {}, true));
      return { project, observed, opts: { removeOrphans: true } };
    }],
  ];

  it.each(scenarios)('%s: planning again after applying gives an empty plan', (_name, setup) => {
    const { project, observed, opts = {} } = setup();
    const first = reconcile(project, observed, { ...UP, ...opts });
    expect(first.steps.length).toBeGreaterThan(0);
    const after = applyPlan(observed, first);
    // force is a one-shot choice of the user; the next round plans with the defaults.
    const next = { ...opts, recreate: 'diverged' as const, startExited: false };
    expect(plan(project, after, next)).toBe('(nothing to do)');
  });
});

describe('reconcile: scaling', () => {
  it('numbers new replicas after the highest existing one, leaving gaps', () => {
    const project = load('services:', '  w: {image: w}');
    const observed = { ...emptyObservedState('p'), networks: [{ name: 'p_default', labels: {} }] };
    observed.replicas = [replica(project, 'w', 1), replica(project, 'w', 3)];
    expect(plan(project, observed, { scale: { w: 4 } })).toBe(
      [
        'create-replica p-w-4',
        'create-replica p-w-5',
        'start-replica p-w-4 after create-replica p-w-4',
        'start-replica p-w-5 after create-replica p-w-5',
      ].join('\n'),
    );
  });

  it('removes obsolete replicas first, then the highest numbers, and recreates no survivor twice', () => {
    const project = load('services:', '  w: {image: w, stop_grace_period: 3s}');
    const observed = { ...emptyObservedState('p'), networks: [{ name: 'p_default', labels: {} }] };
    const stale = { ...replica(project, 'w', 2), labels: { ...replica(project, 'w', 2).labels, [LABEL.configHash]: 'old' } };
    observed.replicas = [replica(project, 'w', 1), stale, replica(project, 'w', 3), replica(project, 'w', 4)];
    expect(plan(project, observed, { scale: { w: 2 } })).toBe(
      [
        'stop-replica p-w-2 (3s)',
        'stop-replica p-w-4 (3s)',
        'remove-replica p-w-2 (scale-down) after stop-replica p-w-2',
        'remove-replica p-w-4 (scale-down) after stop-replica p-w-4',
      ].join('\n'),
    );
  });

  it('a scale change alone recreates nothing', () => {
    const project = load('services:', '  w: {image: w, scale: 2}');
    const observed = converge(load('services:', '  w: {image: w}'), emptyObservedState('p'));
    expect(plan(project, observed)).toBe(['create-replica p-w-2', 'start-replica p-w-2 after create-replica p-w-2'].join('\n'));
  });

  it('scale 0 removes every replica and nobody waits for the service', () => {
    const project = app();
    const observed = converge(project, emptyObservedState('p'));
    observed.replicas = observed.replicas.map((r) => (r.service === 'web' ? { ...r, state: 'exited' } : r));
    expect(plan(project, observed, { scale: { api: 0 } })).toBe(
      [
        'stop-replica p-api-1 (10s)',
        'remove-replica p-api-1 (scale-down) after stop-replica p-api-1',
        'start-replica p-web-1',
      ].join('\n'),
    );
  });
});

describe('reconcile: recreate', () => {
  const changed = () => {
    const p = app();
    p.services.api!.environment = { MODE: 'dev' };
    return p;
  };

  it('recreates a replica whose config hash changed (an env change)', () => {
    const observed = converge(app(), emptyObservedState('p'));
    expect(plan(changed(), observed)).toBe(
      [
        'stop-replica p-api-1 (10s)',
        'remove-replica p-api-1 (recreate) after stop-replica p-api-1',
        'create-replica p-api-1 after remove-replica p-api-1',
        'start-replica p-api-1 after create-replica p-api-1',
      ].join('\n'),
    );
  });

  it('the replacement keeps the old replica\'s anonymous volumes; the old one is removed without them', () => {
    const project = load('services:', '  db: {image: db, volumes: [/var/lib/db, /cache]}');
    const observed = converge(project, emptyObservedState('p'));
    observed.replicas[0]!.anonymousVolumes = { '/var/lib/db': 'vol-db', '/cache': 'vol-cache' };
    const edited = load('services:', '  db: {image: db, volumes: [/var/lib/db, /cache], environment: {V: "2"}}');
    const recreate = reconcile(edited, observed, UP);
    expect(formatPlan(recreate)).toBe(
      [
        'stop-replica p-db-1 (10s)',
        'remove-replica p-db-1 (recreate) after stop-replica p-db-1',
        'create-replica p-db-1 (keeps the anonymous volumes at /cache, /var/lib/db) after remove-replica p-db-1',
        'start-replica p-db-1 after create-replica p-db-1',
      ].join('\n'),
    );
    const created = recreate.steps.find((s) => s.op.kind === 'create-replica')!.op;
    expect(created.kind === 'create-replica' && created.replica.inheritedVolumes).toEqual({ '/var/lib/db': 'vol-db', '/cache': 'vol-cache' });
    // Scale-down keeps them too, as Compose does; only down -v and run --rm remove them.
    const scaled = reconcile(project, observed, { ...UP, scale: { db: 0 } });
    expect(scaled.steps.find((s) => s.op.kind === 'remove-replica')!.op).toMatchObject({ reason: 'scale-down', removeVolumes: false });
  });

  it('recreates a replica whose image changed, and nothing when the image is the same', () => {
    const observed = converge(app(), emptyObservedState('p'), { images: { api: 'sha256:aaa', web: 'sha256:www' } });
    expect(observed.replicas.find((r) => r.service === 'api')!.labels[LABEL.image]).toBe('sha256:aaa');
    expect(plan(app(), observed, { images: { api: 'sha256:aaa', web: 'sha256:www' } })).toBe('(nothing to do)');
    expect(plan(app(), observed, { images: { api: 'sha256:bbb', web: 'sha256:www' } })).toBe(
      [
        'stop-replica p-api-1 (10s)',
        'remove-replica p-api-1 (recreate) after stop-replica p-api-1',
        'create-replica p-api-1 after remove-replica p-api-1',
        'start-replica p-api-1 after create-replica p-api-1',
      ].join('\n'),
    );
    // A backend without images says nothing about them: nothing to recreate.
    expect(plan(app(), observed)).toBe('(nothing to do)');
  });

  it('--force-recreate recreates up-to-date replicas; --no-recreate leaves diverged ones', () => {
    const observed = converge(app(), emptyObservedState('p'));
    expect(plan(app(), observed, { recreate: 'force', recreateDependencies: 'force' })).toBe(
      [
        'stop-replica p-web-1 (10s)',
        'stop-replica p-api-1 (10s)',
        'remove-replica p-api-1 (recreate) after stop-replica p-api-1',
        'create-replica p-api-1 after remove-replica p-api-1',
        'start-replica p-api-1 after create-replica p-api-1',
        'remove-replica p-web-1 (recreate) after stop-replica p-web-1',
        'create-replica p-web-1 after remove-replica p-web-1',
        'await-dependency web <- api (service_healthy) after start-replica p-api-1',
        'start-replica p-web-1 after create-replica p-web-1, await-dependency web <- api',
      ].join('\n'),
    );
    expect(plan(changed(), observed, { recreate: 'never' })).toBe('(nothing to do)');
  });

  it('always-recreate-deps recreates the dependencies of a targeted service', () => {
    const observed = converge(app(), emptyObservedState('p'));
    expect(plan(app(), observed, { services: ['web'], recreateDependencies: 'force' })).toBe(
      [
        'stop-replica p-api-1 (10s)',
        'remove-replica p-api-1 (recreate) after stop-replica p-api-1',
        'create-replica p-api-1 after remove-replica p-api-1',
        'start-replica p-api-1 after create-replica p-api-1',
      ].join('\n'),
    );
    // Targeting web with --force-recreate alone leaves its dependency alone.
    expect(plan(app(), observed, { services: ['web'], recreate: 'force' })).toBe(
      [
        'stop-replica p-web-1 (10s)',
        'remove-replica p-web-1 (recreate) after stop-replica p-web-1',
        'create-replica p-web-1 after remove-replica p-web-1',
        'await-dependency web <- api (service_healthy)',
        'start-replica p-web-1 after create-replica p-web-1, await-dependency web <- api',
      ].join('\n'),
    );
  });

  it('stops restart:true dependents before the recreate and starts them after', () => {
    const base = (mode: string) =>
      load(
        'services:',
        '  web: {image: web, depends_on: {api: {condition: service_started, restart: true}}}',
        '  worker: {image: worker, depends_on: [api]}',
        `  api: {image: api, environment: {MODE: ${mode}}}`,
      );
    const observed = converge(base('prod'), emptyObservedState('p'));
    expect(plan(base('dev'), observed)).toBe(
      [
        'stop-replica p-web-1 (10s)',
        'stop-replica p-api-1 (10s) after stop-replica p-web-1',
        'remove-replica p-api-1 (recreate) after stop-replica p-api-1',
        'create-replica p-api-1 after remove-replica p-api-1',
        'start-replica p-api-1 after create-replica p-api-1',
        'await-dependency web <- api (service_started) after start-replica p-api-1',
        'start-replica p-web-1 after stop-replica p-web-1, await-dependency web <- api',
      ].join('\n'),
    );
  });

  it('with restartDependents, a forced recreate of one named service restarts its restart:true dependents and nothing else (watch rebuild)', () => {
    const project = load(
      'services:',
      '  web: {image: web, depends_on: {api: {condition: service_started, restart: true}}}',
      '  worker: {image: worker, depends_on: [api]}',
      '  edge: {image: edge, depends_on: {web: {condition: service_started, restart: true}}}',
      '  api: {image: api}',
    );
    const observed = converge(project, emptyObservedState('p'));
    const rebuild = { services: ['api'], noDeps: true, recreate: 'force' as const };
    expect(plan(project, observed, { ...rebuild, restartDependents: true })).toBe(
      [
        'stop-replica p-web-1 (10s)',
        'stop-replica p-api-1 (10s) after stop-replica p-web-1',
        'remove-replica p-api-1 (recreate) after stop-replica p-api-1',
        'create-replica p-api-1 after remove-replica p-api-1',
        'start-replica p-api-1 after create-replica p-api-1',
        'await-dependency web <- api (service_started) after start-replica p-api-1',
        'start-replica p-web-1 after stop-replica p-web-1, await-dependency web <- api',
      ].join('\n'),
    );
    // Without it (up api --no-deps), the dependents are out of scope.
    expect(plan(project, observed, rebuild)).not.toContain('p-web-1');
    // A diverged dependent in scope only to restart is not recreated, and a missing replica is not created.
    const changed = load(
      'services:',
      '  web: {image: web, environment: {X: "2"}, scale: 2, depends_on: {api: {condition: service_started, restart: true}}}',
      '  api: {image: api}',
    );
    const text = plan(changed, observed, { ...rebuild, restartDependents: true });
    expect(text).not.toContain('create-replica p-web');
    expect(text).toContain('start-replica p-web-1 after stop-replica p-web-1');
  });

  it('recreates a service sharing the namespace of a recreated parent', () => {
    const base = (mode: string) =>
      load('services:', '  sidecar: {image: s, network_mode: "service:vpn"}', `  vpn: {image: v, environment: {MODE: ${mode}}}`);
    const observed = converge(base('a'), emptyObservedState('p'));
    expect(plan(base('b'), observed)).toBe(
      [
        'stop-replica p-sidecar-1 (10s)',
        'stop-replica p-vpn-1 (10s) after stop-replica p-sidecar-1',
        'remove-replica p-vpn-1 (recreate) after stop-replica p-vpn-1',
        'create-replica p-vpn-1 after remove-replica p-vpn-1',
        'start-replica p-vpn-1 after create-replica p-vpn-1',
        'remove-replica p-sidecar-1 (recreate) after stop-replica p-sidecar-1',
        'create-replica p-sidecar-1 after create-replica p-vpn-1, remove-replica p-sidecar-1',
        'await-dependency sidecar <- vpn (service_started) after start-replica p-vpn-1',
        'start-replica p-sidecar-1 after create-replica p-sidecar-1, await-dependency sidecar <- vpn',
      ].join('\n'),
    );
  });
});

describe('reconcile: starting existing replicas', () => {
  it('starts exited up-to-date replicas only when startExited', () => {
    const project = load('services:', '  job: {image: job}');
    const observed = converge(project, emptyObservedState('p'));
    observed.replicas = observed.replicas.map((r) => ({ ...r, state: 'exited' as const, exitCode: 0 }));
    expect(plan(project, observed, { startExited: true })).toBe('start-replica p-job-1');
    expect(plan(project, observed, { startExited: false })).toBe('(nothing to do)');
    expect(plan(project, observed, { startExited: true, start: false })).toBe('(nothing to do)');
  });

  it('leaves running and restarting replicas alone', () => {
    const project = load('services:', '  a: {image: a}', '  b: {image: b}');
    const observed = converge(project, emptyObservedState('p'));
    observed.replicas = observed.replicas.map((r) => (r.service === 'b' ? { ...r, state: 'restarting' as const } : r));
    expect(plan(project, observed)).toBe('(nothing to do)');
  });
});

describe('reconcile: orphans and one-offs', () => {
  const project = () =>
    load('services:', '  web: {image: web}', '  debug: {image: dbg, profiles: [debug]}');

  function withExtras(): ObservedState {
    const p = project();
    const observed = converge(p, emptyObservedState('p'));
    observed.replicas.push(
      observedReplica('p-old-1', 'old', 1, 'running', { [LABEL.configHash]: 'x' }),
      observedReplica('p-debug-1', 'debug', 1, 'running', { [LABEL.configHash]: 'x' }),
      observedReplica('p-web-run-aaa', 'web', 0, 'exited', {}, true),
      observedReplica('p-web-run-bbb', 'web', 0, 'running', {}, true),
    );
    return observed;
  }

  it('finds removed services and finished one-offs, not profile-disabled services or running one-offs', () => {
    expect(findOrphans(project(), withExtras()).map((r) => r.name)).toEqual(['p-old-1', 'p-web-run-aaa']);
  });

  it('removes orphans only with removeOrphans', () => {
    expect(plan(project(), withExtras())).toBe('(nothing to do)');
    expect(plan(project(), withExtras(), { removeOrphans: true })).toBe(
      [
        'stop-replica p-old-1 (10s)',
        'remove-replica p-old-1 (orphan) after stop-replica p-old-1',
        'remove-replica p-web-run-aaa (orphan)',
      ].join('\n'),
    );
  });

  it('does not count one-offs as replicas of their service', () => {
    const p = project();
    const observed = { ...emptyObservedState('p'), networks: [{ name: 'p_default', labels: {} }] };
    observed.replicas = [observedReplica('p-web-run-bbb', 'web', 0, 'running', {}, true)];
    expect(plan(p, observed)).toBe(['create-replica p-web-1', 'start-replica p-web-1 after create-replica p-web-1'].join('\n'));
  });

  it('builds one-off specs named by slug, with no replica number', () => {
    const spec = buildReplicaSpec(project(), 'web', 0, { tugVersion: '1', oneoff: true, slug: '0123456789ab' });
    expect(spec.name).toBe('p-web-run-0123456789ab');
    expect(spec.number).toBe(0);
    expect(spec.labels[LABEL.oneoff]).toBe('True');
    expect(spec.labels[LABEL.slug]).toBe('0123456789ab');
    expect(spec.labels[LABEL.number]).toBeUndefined();
  });
});

describe('reconcile: targeted services', () => {
  const project = () =>
    load(
      'services:',
      '  web: {image: web, depends_on: [api]}',
      '  api: {image: api, depends_on: {db: {condition: service_healthy}}}',
      '  db: {image: db}',
      '  other: {image: other}',
    );

  it('includes dependencies, leaves other services alone', () => {
    const observed = { ...emptyObservedState('p'), networks: [{ name: 'p_default', labels: {} }] };
    expect(plan(project(), observed, { services: ['api'] })).toBe(
      [
        'create-replica p-db-1',
        'start-replica p-db-1 after create-replica p-db-1',
        'create-replica p-api-1',
        'await-dependency api <- db (service_healthy) after start-replica p-db-1',
        'start-replica p-api-1 after create-replica p-api-1, await-dependency api <- db',
      ].join('\n'),
    );
  });

  it('with noDeps plans only the named service and waits for nothing', () => {
    const observed = { ...emptyObservedState('p'), networks: [{ name: 'p_default', labels: {} }] };
    expect(plan(project(), observed, { services: ['api'], noDeps: true })).toBe(
      ['create-replica p-api-1', 'start-replica p-api-1 after create-replica p-api-1'].join('\n'),
    );
  });

  it('does not touch untargeted services even when they diverged', () => {
    const observed = converge(project(), emptyObservedState('p'));
    const changed = project();
    changed.services.other!.environment = { X: '1' };
    changed.services.web!.environment = { X: '1' };
    expect(plan(changed, observed, { services: ['db'] })).toBe('(nothing to do)');
  });
});

describe('replica specs', () => {
  it('honours container_name, labels and engine-side names', () => {
    const project = load(
      'services:',
      '  db:',
      '    image: db',
      '    container_name: my-db',
      '    command: postgres -c fsync=off',
      '    labels: {team: data}',
      '    networks: [back]',
      '    volumes: [pg:/var/lib/postgresql/data]',
      '    links: [cache]',
      '  cache: {image: cache}',
      'networks: {back: {name: shared-back}}',
      'volumes: {pg: {}}',
    );
    const spec = buildReplicaSpec(project, 'db', 1, { tugVersion: '9.9' });
    expect(spec.name).toBe('my-db');
    expect(spec.networkNames).toEqual({ back: 'shared-back' });
    expect(spec.volumeNames).toEqual({ pg: 'p_pg' });
    expect(spec.service_spec.command).toEqual(['postgres', '-c', 'fsync=off']);
    expect(spec.projectDir).toBe('/proj');
    expect(spec).not.toHaveProperty('hostEnv');
    expect(spec.labels).toMatchObject({
      team: 'data',
      [LABEL.project]: 'p',
      [LABEL.service]: 'db',
      [LABEL.number]: '1',
      [LABEL.oneoff]: 'False',
      [LABEL.dependsOn]: 'cache:service_started:true',
      [LABEL.workingDir]: '/proj',
      [LABEL.configFiles]: '/proj/compose.yaml',
      [LABEL.tugVersion]: '9.9',
    });
    expect(spec.labels[LABEL.configHash]).toMatch(/^[0-9a-f]{64}$/);
    // A second replica (only via an explicit scale override) gets the generated name.
    expect(buildReplicaSpec(project, 'db', 2, { tugVersion: '9.9' }).name).toBe('p-db-2');
  });

  it('plans a container_name replica under that name, once', () => {
    const project = load('services:', '  db: {image: db, container_name: my-db}');
    const first = reconcile(project, emptyObservedState('p'), UP);
    expect(formatPlan(first)).toBe(
      ['create-network p_default', 'create-replica my-db after create-network p_default', 'start-replica my-db after create-replica my-db'].join('\n'),
    );
    expect(plan(project, applyPlan(emptyObservedState('p'), first))).toBe('(nothing to do)');
  });
});
