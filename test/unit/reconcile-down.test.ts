import { describe, expect, it } from 'vitest';
import { LABEL } from '../../src/core/model/labels.js';
import type { Project } from '../../src/core/model/types.js';
import { downVolumes, planDown, planKill, planRestart, planStart, planStop } from '../../src/core/reconcile/down.js';
import { emptyObservedState, type ObservedState } from '../../src/core/reconcile/observed.js';
import { formatPlan } from '../../src/core/reconcile/plan.js';
import { reconcile } from '../../src/core/reconcile/reconcile.js';
import { applyPlan, observedReplica } from '../helpers/apply-plan.js';
import { loadFromMemory } from '../helpers/memory-project.js';

const yaml = (...lines: string[]) => lines.join('\n') + '\n';
const load = (...lines: string[]): Project => loadFromMemory({ '/proj/compose.yaml': yaml('name: p', ...lines) }).project;

// web -> api (healthy) -> db; cache stands alone.
const app = () =>
  load(
    'services:',
    '  web: {image: web, depends_on: {api: {condition: service_healthy}}}',
    '  api: {image: api, depends_on: [db], stop_grace_period: 2s}',
    '  db: {image: db, volumes: [pg:/data]}',
    '  cache: {image: cache, scale: 2}',
    'volumes:',
    '  pg: {}',
    '  shared: {external: true}',
  );

/** A project brought up, plus an external volume and network that carry no labels. */
function running(project = app()): ObservedState {
  const up = reconcile(project, emptyObservedState('p'), {
    recreate: 'diverged',
    recreateDependencies: 'diverged',
    removeOrphans: false,
    start: true,
    startExited: true,
    tugVersion: '0.1.0',
  });
  const state = applyPlan(emptyObservedState('p'), up);
  state.volumes.push({ name: 'shared', labels: {} });
  state.networks.push({ name: 'outside', labels: {} });
  return state;
}

describe('planDown', () => {
  it('stops dependents first, removes replicas, then the networks the project created', () => {
    expect(formatPlan(planDown(running(), { project: app(), removeVolumes: false, removeOrphans: false }))).toBe(
      [
        'stop-replica p-cache-1 (10s)',
        'stop-replica p-cache-2 (10s)',
        'stop-replica p-web-1 (10s)',
        'stop-replica p-api-1 (2s) after stop-replica p-web-1',
        'stop-replica p-db-1 (10s) after stop-replica p-api-1',
        'remove-replica p-api-1 (down) after stop-replica p-api-1',
        'remove-replica p-cache-1 (down) after stop-replica p-cache-1',
        'remove-replica p-cache-2 (down) after stop-replica p-cache-2',
        'remove-replica p-db-1 (down) after stop-replica p-db-1',
        'remove-replica p-web-1 (down) after stop-replica p-web-1',
        'remove-network p_default after remove-replica p-api-1, remove-replica p-cache-1, remove-replica p-cache-2, remove-replica p-db-1, remove-replica p-web-1',
      ].join('\n'),
    );
  });

  it('with removeVolumes also removes the labelled volumes, never external ones', () => {
    const text = formatPlan(planDown(running(), { project: app(), removeVolumes: true, removeOrphans: false }));
    expect(text).toContain('remove-volume p_pg after');
    expect(text).not.toContain('remove-volume shared');
    expect(text).not.toContain('outside');
  });

  it('plain down removes replicas but keeps their anonymous volumes; -v removes them with the replicas', () => {
    const plain = formatPlan(planDown(running(), { project: app(), removeVolumes: false, removeOrphans: false }));
    expect(plain).toContain('remove-replica p-db-1 (down) after stop-replica p-db-1');
    expect(plain).not.toContain('anonymous');
    expect(plain).not.toContain('remove-volume');
    const withVolumes = formatPlan(planDown(running(), { project: app(), removeVolumes: true, removeOrphans: false }));
    expect(withVolumes).toContain('remove-replica p-db-1 (down, with its anonymous volumes) after stop-replica p-db-1');
  });

  it('-v removes only the declared, non-external volumes: a labelled volume now external or no longer declared stays', () => {
    const project = load(
      'services:',
      '  db: {image: db, volumes: [pg:/data, logs:/logs]}',
      'volumes:',
      '  pg: {}',
      '  logs: {external: true, name: p_logs}',
    );
    const observed = running(project);
    // Made by an earlier version of the file, when logs was not external and cache existed.
    observed.volumes.push(
      { name: 'p_logs', key: 'logs', labels: { [LABEL.project]: 'p', [LABEL.volume]: 'logs' } },
      { name: 'p_cache', key: 'cache', labels: { [LABEL.project]: 'p', [LABEL.volume]: 'cache' } },
    );
    const text = formatPlan(planDown(observed, { project, removeVolumes: true, removeOrphans: false }));
    expect(text.split('\n').filter((l) => l.startsWith('remove-volume'))).toEqual(['remove-volume p_pg after remove-replica p-db-1']);
    expect(downVolumes(observed, project)).toEqual({
      remove: ['p_pg'],
      kept: [
        { name: 'p_cache', reason: 'undeclared' },
        { name: 'p_logs', reason: 'external' },
      ],
    });
  });

  it('-v without the file removes the replicas\' anonymous volumes and keeps every named volume, saying why', () => {
    const observed = running();
    const text = formatPlan(planDown(observed, { removeVolumes: true, removeOrphans: false }));
    expect(text).not.toContain('remove-volume');
    expect(text).toContain('remove-replica p-db-1 (down, with its anonymous volumes)');
    expect(downVolumes(observed, undefined)).toEqual({ remove: [], kept: [{ name: 'p_pg', reason: 'no-file' }] });
  });

  it('a labelled network the file now declares external is left alone', () => {
    const project = load('services:', '  web: {image: web, networks: [front]}', 'networks:', '  front: {external: true, name: p_front}');
    const observed = running(project);
    observed.networks.push({ name: 'p_front', key: 'front', labels: { [LABEL.project]: 'p', [LABEL.network]: 'front' } });
    const text = formatPlan(planDown(observed, { project, removeVolumes: false, removeOrphans: false }));
    expect(text).not.toContain('remove-network p_front');
  });

  it('works without the file: order from labels, every replica removed, -t honoured', () => {
    const observed = running();
    observed.replicas.push(
      observedReplica('p-old-1', 'old', 1, 'exited', {}),
      observedReplica('p-web-run-abc', 'web', 0, 'running', {}, true),
    );
    const text = formatPlan(planDown(observed, { removeVolumes: false, removeOrphans: false, timeoutMs: 1000 }));
    expect(text.split('\n').filter((l) => l.startsWith('stop-replica p-db-1'))).toEqual([
      'stop-replica p-db-1 (1s) after stop-replica p-api-1',
    ]);
    expect(text).toContain('stop-replica p-api-1 (1s) after stop-replica p-web-1');
    expect(text).toContain('remove-replica p-old-1 (down)\n');
    expect(text).toContain('remove-replica p-web-run-abc (oneoff) after stop-replica p-web-run-abc');
  });

  it('leaves orphans unless removeOrphans, when the project is known', () => {
    const project = load('services:', '  web: {image: web}');
    const observed = running(project);
    observed.replicas.push(observedReplica('p-old-1', 'old', 1, 'running', {}));
    const without = formatPlan(planDown(observed, { project, removeVolumes: false, removeOrphans: false }));
    expect(without).not.toContain('p-old-1');
    // As Compose: even with -v, orphans go without their anonymous volumes.
    expect(formatPlan(planDown(observed, { project, removeVolumes: true, removeOrphans: true }))).toContain(
      'remove-replica p-old-1 (orphan) after stop-replica p-old-1',
    );
    expect(formatPlan(planDown(observed, { project, removeVolumes: false, removeOrphans: true }))).toBe(
      [
        'stop-replica p-old-1 (10s)',
        'stop-replica p-web-1 (10s)',
        'remove-replica p-old-1 (orphan) after stop-replica p-old-1',
        'remove-replica p-web-1 (down) after stop-replica p-web-1',
        'remove-network p_default after remove-replica p-old-1, remove-replica p-web-1',
      ].join('\n'),
    );
  });

  it('with services named, removes only their replicas (with their anonymous volumes) and keeps networks and named volumes', () => {
    expect(formatPlan(planDown(running(), { services: ['cache'], removeVolumes: true, removeOrphans: false }))).toBe(
      [
        'stop-replica p-cache-1 (10s)',
        'stop-replica p-cache-2 (10s)',
        'remove-replica p-cache-1 (down, with its anonymous volumes) after stop-replica p-cache-1',
        'remove-replica p-cache-2 (down, with its anonymous volumes) after stop-replica p-cache-2',
      ].join('\n'),
    );
  });

  it('a stopped dependent does not break the order: db still waits for web through api', () => {
    const observed = running();
    observed.replicas = observed.replicas.map((r) => (r.service === 'api' ? { ...r, state: 'exited' as const } : r));
    const text = formatPlan(planDown(observed, { removeVolumes: false, removeOrphans: false }));
    expect(text).toContain('stop-replica p-db-1 (10s) after stop-replica p-web-1');
    expect(text).toContain('remove-replica p-api-1 (down)\n');
  });

  it('is empty once applied', () => {
    const opts = { project: app(), removeVolumes: true, removeOrphans: true };
    const after = applyPlan(running(), planDown(running(), opts));
    expect(formatPlan(planDown(after, opts))).toBe('(nothing to do)');
    expect(after.volumes.map((v) => v.name)).toEqual(['shared']);
    expect(after.networks.map((n) => n.name)).toEqual(['outside']);
  });
});

describe('planStop / planStart / planKill / planRestart', () => {
  it('stop goes dependents first and skips what is not running', () => {
    const observed = running();
    observed.replicas = observed.replicas.map((r) => (r.name === 'p-cache-2' ? { ...r, state: 'exited' as const } : r));
    expect(formatPlan(planStop(observed, {}))).toBe(
      [
        'stop-replica p-cache-1 (10s)',
        'stop-replica p-web-1 (10s)',
        'stop-replica p-api-1 (10s) after stop-replica p-web-1',
        'stop-replica p-db-1 (10s) after stop-replica p-api-1',
      ].join('\n'),
    );
    expect(formatPlan(planStop(observed, { services: ['db'], timeoutMs: 0 }))).toBe('stop-replica p-db-1 (0s)');
  });

  it('start goes dependencies first with awaits rebuilt from labels', () => {
    const stopped = applyPlan(running(), planStop(running(), {}));
    expect(formatPlan(planStart(stopped, {}))).toBe(
      [
        'start-replica p-cache-1',
        'start-replica p-cache-2',
        'start-replica p-db-1',
        'await-dependency api <- db (service_started) after start-replica p-db-1',
        'start-replica p-api-1 after await-dependency api <- db',
        'await-dependency web <- api (service_healthy) after start-replica p-api-1',
        'start-replica p-web-1 after await-dependency web <- api',
      ].join('\n'),
    );
    // Starting web alone still waits for api, which is already running.
    const webStopped = { ...running(), replicas: running().replicas.map((r) => (r.service === 'web' ? { ...r, state: 'exited' as const } : r)) };
    expect(formatPlan(planStart(webStopped, { services: ['web'] }))).toBe(
      ['await-dependency web <- api (service_healthy)', 'start-replica p-web-1 after await-dependency web <- api'].join('\n'),
    );
    expect(formatPlan(planStart(running(), {}))).toBe('(nothing to do)');
  });

  it('kill signals every running replica of the chosen services, in no particular order', () => {
    expect(formatPlan(planKill(running(), { services: ['cache', 'db'], signal: 'SIGKILL' }))).toBe(
      ['kill-replica p-cache-1 (SIGKILL)', 'kill-replica p-cache-2 (SIGKILL)', 'kill-replica p-db-1 (SIGKILL)'].join('\n'),
    );
  });

  it('restart stops then starts, each start after its own stop', () => {
    expect(formatPlan(planRestart(running(), { services: ['api', 'db'] }))).toBe(
      [
        'stop-replica p-api-1 (10s)',
        'stop-replica p-db-1 (10s) after stop-replica p-api-1',
        'start-replica p-db-1 after stop-replica p-db-1',
        'await-dependency api <- db (service_started) after start-replica p-db-1',
        'start-replica p-api-1 after stop-replica p-api-1, await-dependency api <- db',
      ].join('\n'),
    );
  });

  it('labels that name a service with no replicas add no ordering', () => {
    const observed = emptyObservedState('p');
    observed.replicas = [observedReplica('p-web-1', 'web', 1, 'exited', { [LABEL.dependsOn]: 'gone:service_healthy:false' })];
    expect(formatPlan(planStart(observed, {}))).toBe('start-replica p-web-1');
  });
});
