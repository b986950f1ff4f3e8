import { describe, expect, it } from 'vitest';
import type { EngineEvent } from '../../src/engine/events.js';
import { executePlan } from '../../src/engine/executor.js';
import { FakeBackend } from '../fakes/fake-backend.js';
import { HEALTHY, op, plan, PROJECT, replicaSpec, step, until } from '../helpers/fake-plan.js';

const name = (service: string, n = 1) => `${PROJECT}-${service}-${n}`;

/** The backend calls made, as "method target" lines (replica name, network name). */
function callLog(fake: FakeBackend): string[] {
  return fake.calls
    .filter((c) => c.method !== 'observe')
    .map((c) => {
      const a = c.args as [unknown, unknown, unknown];
      const target = c.method === 'createReplica' ? (a[0] as { name: string }).name : c.method === 'createNetwork' ? a[2] : fake.nameById(String(a[1]));
      return `${c.method} ${String(target)}`;
    });
}

/** api, then web once api started; cache independent. */
function appPlan() {
  return plan(
    step('1', op.network('default')),
    step('2', op.create('api'), ['1']),
    step('3', op.start('api'), ['2']),
    step('4', op.create('web'), ['1', '3']),
    step('5', op.start('web'), ['4']),
    step('6', op.create('cache'), ['1']),
  );
}

describe('executePlan', () => {
  it('runs each step after the steps it depends on', async () => {
    const fake = new FakeBackend().delay('create', 5);
    const result = await executePlan(appPlan(), fake, { parallel: 4 });
    expect(result.failed).toEqual([]);
    expect(result.done.sort()).toEqual(['1', '2', '3', '4', '5', '6']);
    const log = callLog(fake);
    const at = (line: string) => log.indexOf(line);
    expect(at('createNetwork quickstart_default')).toBe(0);
    expect(at(`startReplica ${name('api')}`)).toBeGreaterThan(at(`createReplica ${name('api')}`));
    expect(at(`createReplica ${name('web')}`)).toBeGreaterThan(at(`startReplica ${name('api')}`));
    expect(at(`startReplica ${name('web')}`)).toBeGreaterThan(at(`createReplica ${name('web')}`));
    expect(fake.replica(name('web'))?.state).toBe('running');
  });

  it('keeps at most `parallel` backend calls in flight, and uses that many', async () => {
    const steps = Array.from({ length: 10 }, (_, i) => step(String(i), op.create('svc', i + 1)));
    const fake = new FakeBackend().delay('create', 15);
    await executePlan(plan(...steps), fake, { parallel: 3 });
    expect(fake.maxConcurrency()).toBe(3);

    const serial = new FakeBackend().delay('create', 5);
    await executePlan(plan(...steps), serial, { parallel: 1 });
    expect(serial.maxConcurrency()).toBe(1);
  });

  it('does not count a dependency wait against the parallel limit', async () => {
    const fake = new FakeBackend();
    await fake.replicas.start(PROJECT, (await fake.replicas.create(replicaSpec('api', 1, HEALTHY))).id);
    const pending = executePlan(
      plan(step('w', op.await('web', 'api', 'service_healthy')), step('a', op.create('cache')), step('b', op.create('queue'))),
      fake,
      { parallel: 1 },
    );
    await until(() => fake.replica(name('queue')) !== undefined);
    fake.setHealth(name('api'), 'healthy');
    expect((await pending).done.sort()).toEqual(['a', 'b', 'w']);
  });

  it('does not count a stop against the parallel limit: grace periods run side by side', async () => {
    const fake = new FakeBackend();
    const ids: string[] = [];
    for (let n = 1; n <= 6; n++) {
      const created = await fake.replicas.create(replicaSpec('svc', n));
      await fake.replicas.start(PROJECT, created.id);
      ids.push(created.id);
    }
    fake.delay('stop', 40);
    const stops = ids.map((id, i) => step(`s${i}`, { kind: 'stop-replica', service: 'svc', name: name('svc', i + 1), id, timeoutMs: 10_000 }));
    const result = await executePlan(plan(...stops), fake, { parallel: 2 });
    expect(result.done).toHaveLength(6);
    expect(fake.maxConcurrency()).toBe(6);
  });

  it('skips only what depends on a failed step, naming the chain', async () => {
    const fake = new FakeBackend().failNext('create', (n) => n === name('api'));
    const events: EngineEvent[] = [];
    const result = await executePlan(appPlan(), fake, { parallel: 4, onEvent: (e) => events.push(e) });
    expect(result.failed.map((f) => [f.stepId, f.error.message])).toEqual([['2', `injected create failure for ${name('api')}`]]);
    expect(result.done.sort()).toEqual(['1', '6']);
    const reasons = Object.fromEntries(result.skipped.map((s) => [s.stepId, s.reason]));
    expect(reasons).toEqual({
      '3': `api: skipped because create ${name('api')} failed: injected create failure for ${name('api')}`,
      '4': `web: skipped because api failed: injected create failure for ${name('api')}`,
      '5': `web: skipped because api failed: injected create failure for ${name('api')}`,
    });
    expect(events.filter((e) => e.type === 'step-skipped')).toHaveLength(3);
    expect(events.filter((e) => e.type === 'step-failed')).toHaveLength(1);
    expect(fake.replica(name('cache'))).toBeDefined();
  });

  it('mentions the services in between when a failure reaches far', async () => {
    const fake = new FakeBackend().failNext('create', (n) => n === name('db'));
    const result = await executePlan(
      plan(step('1', op.create('db')), step('2', op.create('api'), ['1']), step('3', op.create('web'), ['2'])),
      fake,
      { parallel: 2 },
    );
    expect(result.skipped.find((s) => s.stepId === '3')?.reason).toBe(`web: skipped because db failed (via api): injected create failure for ${name('db')}`);
  });

  describe('depends_on conditions', () => {
    const gated = (condition: 'service_healthy' | 'service_completed_successfully', required = true) =>
      plan(
        step('1', op.create('api', 1, HEALTHY)),
        step('2', op.start('api'), ['1']),
        step('3', op.await('web', 'api', condition, required), ['2']),
        step('4', op.create('web'), ['3']),
        step('5', op.start('web'), ['4']),
      );

    it('starts a dependent only once its dependency is healthy, without polling', async () => {
      const fake = new FakeBackend();
      const events: EngineEvent[] = [];
      const pending = executePlan(gated('service_healthy'), fake, { parallel: 4, onEvent: (e) => events.push(e) });
      await until(() => events.some((e) => e.type === 'waiting'));
      await new Promise((r) => setTimeout(r, 50));
      expect(fake.replica(name('web'))).toBeUndefined();
      expect(fake.callsOf('observe')).toHaveLength(1);

      fake.setHealth(name('api'), 'healthy');
      const result = await pending;
      expect(result.done).toEqual(['1', '2', '3', '4', '5']);
      expect(fake.callsOf('observe')).toHaveLength(1);
      expect(events.find((e) => e.type === 'waiting')).toMatchObject({ service: 'web', dependency: 'api', condition: 'service_healthy' });
    });

    it('skips the dependents of an unhealthy dependency, saying why', async () => {
      const fake = new FakeBackend({ onStart: (r, f) => r.service === 'api' && setImmediate(() => f.setHealth(r.name, 'unhealthy')) });
      const result = await executePlan(gated('service_healthy'), fake, { parallel: 4 });
      expect(result.failed.map((f) => f.error.message)).toEqual([`dependency "api" failed to start: replica ${name('api')} is unhealthy`]);
      expect(result.skipped.map((s) => s.reason)).toEqual([
        `web: skipped because dependency "api" failed to start: replica ${name('api')} is unhealthy`,
        `web: skipped because dependency "api" failed to start: replica ${name('api')} is unhealthy`,
      ]);
      expect(fake.replica(name('web'))).toBeUndefined();
    });

    it('waits for a one-shot dependency to complete successfully', async () => {
      const ok = new FakeBackend({ onStart: (r, f) => r.service === 'api' && setTimeout(() => f.exit(r.name, 0), 10) });
      expect((await executePlan(gated('service_completed_successfully'), ok, { parallel: 4 })).done).toHaveLength(5);

      const failing = new FakeBackend({ onStart: (r, f) => r.service === 'api' && setTimeout(() => f.exit(r.name, 3), 10) });
      const result = await executePlan(gated('service_completed_successfully'), failing, { parallel: 4 });
      expect(result.failed[0]?.error.message).toBe(`dependency "api" did not complete successfully: replica ${name('api')} exited with code 3`);
      expect(result.skipped.map((s) => s.stepId)).toEqual(['4', '5']);
    });

    it('warns and continues when an optional dependency fails', async () => {
      const fake = new FakeBackend({ onStart: (r, f) => r.service === 'api' && setImmediate(() => f.exit(r.name, 1)) });
      const events: EngineEvent[] = [];
      const result = await executePlan(gated('service_healthy', false), fake, { parallel: 4, onEvent: (e) => events.push(e) });
      expect(result.failed).toEqual([]);
      expect(result.done).toHaveLength(5);
      const warning = events.find((e) => e.type === 'warning');
      expect(warning).toMatchObject({ message: expect.stringContaining('optional dependency "api" not met') });
      expect(warning).toMatchObject({ message: expect.stringContaining('exited with code 1') });
    });

    it('gives up waiting after waitTimeoutMs', async () => {
      const fake = new FakeBackend();
      const result = await executePlan(gated('service_healthy'), fake, { parallel: 4, waitTimeoutMs: 30 });
      expect(result.failed[0]?.error).toMatchObject({ code: 'wait.timeout' });
      expect(result.skipped).toHaveLength(2);
    });
  });

  describe('abort', () => {
    it('starts nothing new, lets in-flight steps finish, then reports', async () => {
      const fake = new FakeBackend().delay('create', 20);
      const controller = new AbortController();
      const chain = plan(...['a', 'b', 'c', 'd'].map((s, i, all) => step(s, op.create(s), i === 0 ? [] : [all[i - 1]!])));
      const pending = executePlan(chain, fake, { parallel: 2, signal: controller.signal });
      await until(() => fake.callsOf('createReplica').length === 2);
      controller.abort();
      const result = await pending;
      expect(result.interrupted).toBe(true);
      expect(result.done).toEqual(['a', 'b']);
      expect(result.skipped.map((s) => [s.stepId, s.reason])).toEqual([
        ['c', 'interrupted before it started'],
        ['d', 'interrupted before it started'],
      ]);
      expect(fake.callsOf('createReplica')).toHaveLength(2);
    });

    it('stops waiting on a dependency', async () => {
      const fake = new FakeBackend();
      const controller = new AbortController();
      const gatedPlan = plan(step('1', op.create('api', 1, HEALTHY)), step('2', op.start('api'), ['1']), step('3', op.await('web', 'api', 'service_healthy'), ['2']), step('4', op.create('web'), ['3']));
      const pending = executePlan(gatedPlan, fake, { parallel: 1, signal: controller.signal });
      await until(() => fake.callsOf('observe').length === 1);
      controller.abort();
      const result = await pending;
      expect(result).toMatchObject({ interrupted: true, done: ['1', '2'], failed: [] });
      expect(result.skipped.map((s) => s.stepId)).toEqual(['3', '4']);
    });
  });

  it('starts a replica it did not create by looking its id up once', async () => {
    const fake = new FakeBackend();
    const created = await fake.replicas.create(replicaSpec('api'));
    const result = await executePlan(plan(step('1', op.start('api'))), fake, { parallel: 1 });
    expect(result.done).toEqual(['1']);
    expect(fake.callsOf('startReplica')[0]?.args).toEqual([PROJECT, created.id]);
    expect(fake.callsOf('observe')).toHaveLength(1);
  });

  it('refuses a plan with an unknown or cyclic dependency before doing anything', async () => {
    const fake = new FakeBackend();
    await expect(executePlan(plan(step('1', op.create('a'), ['9'])), fake, { parallel: 1 })).rejects.toMatchObject({ code: 'plan.invalid' });
    await expect(executePlan(plan(step('1', op.create('a'), ['2']), step('2', op.create('b'), ['1'])), fake, { parallel: 1 })).rejects.toThrow(
      'steps 1, 2 wait on each other',
    );
    expect(fake.calls).toEqual([]);
  });
});
