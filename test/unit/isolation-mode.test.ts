// Which services run as containers: x-tug.isolation, --isolation, TUG_ISOLATION, auto.
import { describe, expect, it } from 'vitest';
import { TugError } from '../../src/core/errors.js';
import type { CapabilityReport } from '../../src/runtime/native/container/capability-report.js';
import { decideIsolation } from '../../src/runtime/native/container/isolation-mode.js';

const able: CapabilityReport = { capabilities: [], containers: { available: true, runtime: 'runc', missing: [] } };
const unable: CapabilityReport = {
  capabilities: [{ id: 'runc', title: 'OCI runtime', status: 'missing', detail: 'no runc', fix: 'apt-get install runc' }],
  containers: { available: false, missing: ['an OCI runtime (runc)'] },
};
const services = { db: { image: 'postgres:16' }, app: { command: ['node', 'app.js'] } };

describe('isolation per service', () => {
  it('auto: image services in containers once image root filesystems exist; host commands as processes', () => {
    expect(decideIsolation(services, { report: able, imageRootfs: true })).toEqual({ db: 'container', app: 'process' });
    expect(decideIsolation(services, { report: able, imageRootfs: false })).toEqual({ db: 'process', app: 'process' });
    expect(decideIsolation(services, { report: unable, imageRootfs: true })).toEqual({ db: 'process', app: 'process' });
  });

  it('x-tug.isolation beats the flag, which beats TUG_ISOLATION', () => {
    const mixed = { ...services, app: { ...services.app, 'x-tug': { isolation: 'process' } } };
    expect(decideIsolation(mixed, { flag: 'container', env: 'process', report: able, imageRootfs: false })).toEqual({ db: 'container', app: 'process' });
    expect(decideIsolation(services, { env: 'container', report: able, imageRootfs: false })).toEqual({ db: 'container', app: 'container' });
  });

  it('refuses before anything starts when containers are asked for and impossible, naming the services and the fix', () => {
    let err: unknown;
    try {
      decideIsolation(services, { flag: 'container', report: unable, imageRootfs: true });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TugError);
    expect((err as TugError).message).toBe('services db, app must run as containers, but this machine cannot run containers: missing an OCI runtime (runc)');
    expect((err as TugError).hint).toBe('apt-get install runc');
  });

  it('rejects unknown settings as usage or config errors', () => {
    expect(() => decideIsolation(services, { flag: 'vm', report: able, imageRootfs: false })).toThrow(/--isolation: unknown isolation "vm"/);
    const bad = { app: { 'x-tug': { isolation: 'jail' } } };
    expect(() => decideIsolation(bad, { report: able, imageRootfs: false })).toThrow(/x-tug.isolation must be auto, container or process/);
  });
});
