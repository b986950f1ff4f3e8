// `tug events` lines and JSON, in `docker compose events`' shape.
import { describe, expect, it } from 'vitest';
import { replicaEventJson, replicaEventLine } from '../../src/cli/render/replica-events.js';
import type { ReplicaEvent } from '../../src/runtime/backend.js';
import type { ObservedReplica } from '../../src/core/reconcile/observed.js';

const replica: ObservedReplica = {
  id: 'shop-web-1', name: 'shop-web-1', project: 'shop', service: 'web', number: 1, oneoff: false, labels: {},
  state: 'exited', exitCode: 137, restartCount: 0, ports: [], image: 'busybox', health: 'unhealthy',
};
const at = (action: ReplicaEvent['action']): ReplicaEvent => ({ action, replica, time: '2026-12-02T04:00:00.000Z' });

describe('replica events', () => {
  it('oom and die with Docker\'s action names; the exit code on die only', () => {
    expect(replicaEventJson(at('oom'))).toEqual({ time: '2026-12-02T04:00:00.000Z', type: 'container', action: 'oom', id: 'shop-web-1', service: 'web', attributes: { name: 'shop-web-1', image: 'busybox' } });
    expect(replicaEventJson(at('die')).attributes.exitCode).toBe('137');
    expect(replicaEventLine(at('die'))).toBe('2026-12-02T04:00:00.000Z container die shop-web-1 (exitCode=137, image=busybox, name=shop-web-1)');
  });

  it('a health change is health_status: <status>, as Docker sends it', () => {
    expect(replicaEventJson(at('health')).action).toBe('health_status: unhealthy');
  });
});
