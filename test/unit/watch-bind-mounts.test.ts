import { describe, expect, it } from 'vitest';
import { bindMountCovering } from '../../src/core/watch/bind-mounts.js';
import type { ServiceSpec } from '../../src/core/model/types.js';

const svc: ServiceSpec = {
  volumes: [
    { type: 'bind', source: '/proj', target: '/app' },
    { type: 'volume', source: 'data', target: '/data' },
  ],
};

describe('sync rules a bind mount already covers', () => {
  it('finds the bind mount that shows the rule path at its target', () => {
    expect(bindMountCovering(svc, { path: '/proj/src', action: 'sync', target: '/app/src' })?.target).toBe('/app');
    expect(bindMountCovering(svc, { path: '/proj', action: 'sync', target: '/app/' })?.target).toBe('/app');
  });

  it('keeps rules that sync elsewhere, or from outside the mount, or that do not sync', () => {
    expect(bindMountCovering(svc, { path: '/proj/src', action: 'sync', target: '/srv' })).toBeUndefined();
    expect(bindMountCovering(svc, { path: '/project/src', action: 'sync', target: '/app/src' })).toBeUndefined();
    expect(bindMountCovering(svc, { path: '/proj/src', action: 'restart' })).toBeUndefined();
    expect(bindMountCovering({}, { path: '/proj/src', action: 'sync', target: '/app/src' })).toBeUndefined();
  });
});
