import { describe, expect, it } from 'vitest';
import type { ServiceSpec } from '../../src/core/model/types.js';
import { formatDuration, waitForCondition, waitForServices } from '../../src/engine/conditions.js';
import { FakeBackend } from '../fakes/fake-backend.js';
import { HEALTHY, PROJECT, replicaSpec, until } from '../helpers/fake-plan.js';

const name = (service: string, n = 1) => `${PROJECT}-${service}-${n}`;

async function running(fake: FakeBackend, service: string, n = 1, spec: ServiceSpec = {}): Promise<void> {
  const { id } = await fake.replicas.create(replicaSpec(service, n, spec));
  await fake.replicas.start(PROJECT, id);
}

/** Settles to 'pending' while the promise has not settled after a few turns of the event loop. */
async function state(p: Promise<unknown>): Promise<'pending' | 'resolved' | 'rejected'> {
  const marker = Symbol();
  const r = await Promise.race([p.then(() => 'resolved' as const, () => 'rejected' as const), new Promise((res) => setTimeout(() => res(marker), 20))]);
  return r === marker ? 'pending' : (r as 'resolved' | 'rejected');
}

const listeners = (fake: FakeBackend) => (fake as unknown as { emitter: NodeJS.EventEmitter }).emitter.listenerCount('replica');

describe('waitForCondition', () => {
  it('service_started: resolves once a replica has started, including one already running', async () => {
    const fake = new FakeBackend();
    const { id } = await fake.replicas.create(replicaSpec('api'));
    const wait = waitForCondition(fake, PROJECT, 'api', 'service_started', {});
    expect(await state(wait)).toBe('pending');
    await fake.replicas.start(PROJECT, id);
    await wait;
    await waitForCondition(fake, PROJECT, 'api', 'service_started', {});
  });

  it('service_started: a replica that ran and exited counts as started', async () => {
    const fake = new FakeBackend();
    await running(fake, 'api');
    fake.exit(name('api'), 1);
    await waitForCondition(fake, PROJECT, 'api', 'service_started', {});
  });

  it('service_healthy: waits for every replica to be healthy, on events only', async () => {
    const fake = new FakeBackend();
    await running(fake, 'api', 1, HEALTHY);
    await running(fake, 'api', 2, HEALTHY);
    const wait = waitForCondition(fake, PROJECT, 'api', 'service_healthy', {});
    fake.setHealth(name('api', 1), 'healthy');
    expect(await state(wait)).toBe('pending');
    fake.setHealth(name('api', 2), 'healthy');
    await wait;
    expect(fake.callsOf('observe')).toHaveLength(1);
    expect(listeners(fake)).toBe(0);
  });

  it('does not miss a change that happens between subscribing and the observation arriving', async () => {
    const fake = new FakeBackend();
    await running(fake, 'api', 1, HEALTHY);
    // The snapshot is taken, then the replica turns healthy before observe returns.
    const observe = async (project: string) => {
      const snapshot = await fake.replicas.observe(project);
      fake.setHealth(name('api'), 'healthy');
      return snapshot;
    };
    const racy = Object.create(fake, { replicas: { value: { ...fake.replicas, observe } } }) as FakeBackend;
    await waitForCondition(racy, PROJECT, 'api', 'service_healthy', { timeoutMs: 1000 });
  });

  it('service_healthy: rejects on an unhealthy or exited replica', async () => {
    const fake = new FakeBackend();
    await running(fake, 'api', 1, HEALTHY);
    const unhealthy = waitForCondition(fake, PROJECT, 'api', 'service_healthy', {});
    fake.setHealth(name('api'), 'unhealthy');
    await expect(unhealthy).rejects.toMatchObject({
      code: 'dependency.failed',
      message: `dependency "api" failed to start: replica ${name('api')} is unhealthy`,
    });

    await running(fake, 'db', 1, HEALTHY);
    const exited = waitForCondition(fake, PROJECT, 'db', 'service_healthy', {});
    fake.exit(name('db'), 1);
    await expect(exited).rejects.toThrow(`dependency "db" failed to start: replica ${name('db')} exited with code 1`);
    expect(listeners(fake)).toBe(0);
  });

  it('service_healthy: refuses a dependency without a health check', async () => {
    const fake = new FakeBackend();
    await running(fake, 'api', 1, { healthcheck: { disable: true } });
    await expect(waitForCondition(fake, PROJECT, 'api', 'service_healthy', {})).rejects.toThrow('dependency api has no health check');
  });

  it('service_completed_successfully: resolves on exit 0, rejects on another code', async () => {
    const fake = new FakeBackend();
    await running(fake, 'migrate');
    const ok = waitForCondition(fake, PROJECT, 'migrate', 'service_completed_successfully', {});
    expect(await state(ok)).toBe('pending');
    fake.exit(name('migrate'), 0);
    await ok;

    await running(fake, 'seed');
    const bad = waitForCondition(fake, PROJECT, 'seed', 'service_completed_successfully', {});
    fake.exit(name('seed'), 2);
    await expect(bad).rejects.toThrow(`dependency "seed" did not complete successfully: replica ${name('seed')} exited with code 2`);
  });

  it('does not wait for a dependency scaled to 0, and ignores one-off replicas', async () => {
    const fake = new FakeBackend();
    const oneoff = { ...replicaSpec('api', 0), name: `${PROJECT}-api-run-1`, oneoff: true };
    await fake.replicas.create(oneoff);
    await waitForCondition(fake, PROJECT, 'api', 'service_healthy', {});
  });

  it('times out with wait.timeout, and stops on abort', async () => {
    const fake = new FakeBackend();
    await running(fake, 'api', 1, HEALTHY);
    await expect(waitForCondition(fake, PROJECT, 'api', 'service_healthy', { timeoutMs: 20 })).rejects.toMatchObject({
      code: 'wait.timeout',
      message: `timed out after 20ms waiting for dependency "api" (service_healthy): ${name('api')} is starting`,
    });
    const controller = new AbortController();
    const wait = waitForCondition(fake, PROJECT, 'api', 'service_healthy', { signal: controller.signal });
    await until(() => fake.callsOf('observe').length === 2);
    controller.abort();
    await expect(wait).rejects.toMatchObject({ code: 'interrupted', exitCode: 130 });
    expect(listeners(fake)).toBe(0);
  });
});

describe('waitForServices (up --wait)', () => {
  it('resolves when every replica runs, and is healthy when it has a health check', async () => {
    const fake = new FakeBackend();
    await running(fake, 'web');
    await running(fake, 'api', 1, HEALTHY);
    const wait = waitForServices(fake, PROJECT, ['web', 'api'], { timeoutMs: 2000 });
    expect(await state(wait)).toBe('pending');
    fake.setHealth(name('api'), 'healthy');
    await wait;
  });

  it('wants one-shot services to have completed with exit 0', async () => {
    const fake = new FakeBackend();
    await running(fake, 'web');
    await running(fake, 'migrate');
    const wait = waitForServices(fake, PROJECT, ['web', 'migrate'], { timeoutMs: 2000, completedServices: ['migrate'] });
    expect(await state(wait)).toBe('pending');
    fake.exit(name('migrate'), 0);
    await wait;
  });

  it('fails fast on an exited replica, and says what was pending on timeout', async () => {
    const fake = new FakeBackend();
    await running(fake, 'web');
    const wait = waitForServices(fake, PROJECT, ['web'], { timeoutMs: 2000 });
    fake.exit(name('web'), 1);
    await expect(wait).rejects.toMatchObject({ code: 'wait.failed', message: `service "web" is not healthy: replica ${name('web')} exited with code 1` });

    await running(fake, 'api', 1, HEALTHY);
    await expect(waitForServices(fake, PROJECT, ['api'], { timeoutMs: 30 })).rejects.toMatchObject({
      code: 'wait.timeout',
      message: `application not healthy after 30ms: ${name('api')} is starting`,
    });
  });

  it('formats durations the way a user writes them', () => {
    expect([formatDuration(30_000), formatDuration(1500), formatDuration(250)]).toEqual(['30s', '1.5s', '250ms']);
  });
});
