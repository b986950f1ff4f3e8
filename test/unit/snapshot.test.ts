// ReplicaSpec + what a backend knows → the ObservedReplica every backend reports.
import { describe, expect, it } from 'vitest';
import type { ServiceSpec } from '../../src/core/model/types.js';
import type { ReplicaSpec } from '../../src/core/reconcile/operations.js';
import { commandText, snapshotOf } from '../../src/core/reconcile/snapshot.js';
import { specLiteral } from '../helpers/replica-spec.js';

function replica(service_spec: ServiceSpec): ReplicaSpec {
  return specLiteral({
    project: 'shop',
    service: 'web',
    number: 2,
    labels: { 'com.docker.compose.service': 'web' },
    service_spec,
    projectDir: '/srv/shop',
  });
}

describe('snapshotOf', () => {
  it('a created replica: identity, labels, image and command from the spec', () => {
    const spec = replica({ image: 'nginx', entrypoint: ['sh', '-c'], command: ['echo hi'] });
    expect(snapshotOf(spec, { state: 'created', createdAt: '2026-01-01T00:00:00.000Z' })).toStrictEqual({
      id: 'shop-web-2',
      name: 'shop-web-2',
      project: 'shop',
      service: 'web',
      number: 2,
      oneoff: false,
      labels: { 'com.docker.compose.service': 'web' },
      state: 'created',
      restartCount: 0,
      ports: [],
      createdAt: '2026-01-01T00:00:00.000Z',
      image: 'nginx',
      command: 'sh -c echo hi',
    });
  });

  it('what the backend knows wins, and absent facts leave no keys behind', () => {
    const spec = replica({ command: ['sleep', '9'] });
    const observed = snapshotOf(spec, {
      id: 'c0ffee',
      state: 'exited',
      exitCode: 137,
      restartCount: 3,
      labels: { extra: '1' },
      image: null,
      command: "sleep '9'",
      anonymousVolumes: {},
      notes: [],
    });
    expect(observed).toStrictEqual({
      id: 'c0ffee',
      name: 'shop-web-2',
      project: 'shop',
      service: 'web',
      number: 2,
      oneoff: false,
      labels: { extra: '1' },
      state: 'exited',
      restartCount: 3,
      ports: [],
      exitCode: 137,
      command: "sleep '9'",
    });
  });

  it('does not share the spec\'s objects', () => {
    const spec = replica({});
    const observed = snapshotOf(spec, { state: 'created', anonymousVolumes: { '/data': 'abc' } });
    observed.labels.x = 'y';
    expect(spec.labels).toEqual({ 'com.docker.compose.service': 'web' });
    expect(observed.anonymousVolumes).toEqual({ '/data': 'abc' });
    expect(commandText(spec)).toBeUndefined();
  });
});
