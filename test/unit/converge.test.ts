import { describe, expect, it } from 'vitest';
import type { ObservedState } from '../../src/core/reconcile/observed.js';
import type { Plan, PlanStep } from '../../src/core/reconcile/operations.js';
import { planRestart } from '../../src/core/reconcile/down.js';
import { converge } from '../../src/engine/converge.js';
import type { EngineEvent } from '../../src/engine/events.js';
import { FakeBackend } from '../fakes/fake-backend.js';
import { op, plan, PROJECT, step } from '../helpers/fake-plan.js';

const DESIRED = ['api', 'web'];

/** A tiny planner: create what is missing, start what is not running. */
function planFor(observed: ObservedState): Plan {
  const steps: PlanStep[] = [];
  for (const service of DESIRED) {
    const existing = observed.replicas.find((r) => r.service === service);
    if (!existing) {
      steps.push(step(`create-${service}`, op.create(service)));
      steps.push(step(`start-${service}`, op.start(service), [`create-${service}`]));
    } else if (existing.state !== 'running') {
      steps.push(step(`start-${service}`, op.start(service)));
    }
  }
  return plan(...steps);
}

describe('converge', () => {
  it('executes the plan, then sees nothing left to do', async () => {
    const fake = new FakeBackend();
    const events: EngineEvent[] = [];
    const result = await converge({ backend: fake, project: PROJECT, planFor, parallel: 4, onEvent: (e) => events.push(e) });
    expect(result).toMatchObject({ rounds: 1, executed: 4, failures: [], upToDate: false, converged: true });
    expect(events.filter((e) => e.type === 'converge-round')).toMatchObject([{ round: 1, steps: 4 }]);
    expect(fake.callsOf('observe')).toHaveLength(2);

    const again: EngineEvent[] = [];
    const second = await converge({ backend: fake, project: PROJECT, planFor, parallel: 4, onEvent: (e) => again.push(e) });
    expect(second).toMatchObject({ rounds: 0, executed: 0, upToDate: true, converged: true });
    expect(again.map((e) => e.type)).toEqual(['up-to-date']);
  });

  it('stops at a failed round, and finishes the job when run again', async () => {
    const fake = new FakeBackend().failNext('create', (n) => n === `${PROJECT}-web-1`);
    let plans = 0;
    const counting = (o: ObservedState) => (plans++, planFor(o));
    const first = await converge({ backend: fake, project: PROJECT, planFor: counting, parallel: 4 });
    expect(first).toMatchObject({ rounds: 1, executed: 2, converged: false });
    expect(first.failures.map((f) => f.error.message)).toEqual([`injected create failure for ${PROJECT}-web-1`]);
    expect(first.skipped.map((s) => s.stepId)).toEqual(['start-web']);
    expect(plans).toBe(1);

    const second = await converge({ backend: fake, project: PROJECT, planFor, parallel: 4 });
    expect(second).toMatchObject({ rounds: 1, executed: 2, failures: [], converged: true, upToDate: false });
    expect(fake.replica(`${PROJECT}-web-1`)?.state).toBe('running');
    expect((await converge({ backend: fake, project: PROJECT, planFor, parallel: 4 })).upToDate).toBe(true);
  });

  it('takes another round when a round leaves work behind', async () => {
    // api exits right after its first start: the next round observes that and starts it again.
    let crashed = false;
    const flaky = new FakeBackend({
      onStart: (r, f) => {
        if (r.service !== 'api' || crashed) return;
        crashed = true;
        f.exit(r.name, 1);
      },
    });
    const result = await converge({ backend: flaky, project: PROJECT, planFor, parallel: 4 });
    expect(result).toMatchObject({ rounds: 2, executed: 5, converged: true });
    expect(flaky.callsOf('startReplica')).toHaveLength(3);
    expect(flaky.replica(`${PROJECT}-api-1`)?.state).toBe('running');
  });

  it('gives up after maxRounds when the plan never empties', async () => {
    const fake = new FakeBackend();
    const events: EngineEvent[] = [];
    const endless = (_: ObservedState, round: number) => plan(step('1', op.network(`n${round}`)));
    const result = await converge({ backend: fake, project: PROJECT, planFor: endless, parallel: 2, maxRounds: 2, onEvent: (e) => events.push(e) });
    expect(result).toMatchObject({ rounds: 2, executed: 2, converged: false, pendingSteps: 1 });
    expect(events.filter((e) => e.type === 'converge-round')).toHaveLength(2);
    expect(events.find((e) => e.type === 'warning')).toMatchObject({ message: 'still 1 step(s) to do after 2 round(s); giving up' });
  });

  it('runs a lifecycle plan once: a restart is not planned again to check convergence', async () => {
    const fake = new FakeBackend();
    await converge({ backend: fake, project: PROJECT, planFor, parallel: 4 });
    const events: EngineEvent[] = [];
    const restart = (o: ObservedState) => planRestart(o, {});
    const result = await converge({ backend: fake, project: PROJECT, planFor: restart, parallel: 4, oneShot: true, onEvent: (e) => events.push(e) });
    expect(result).toMatchObject({ rounds: 1, converged: true, pendingSteps: 0, failures: [] });
    expect(events.filter((e) => e.type === 'warning')).toEqual([]);
    expect(fake.callsOf('stopReplica')).toHaveLength(2);
    expect(fake.callsOf('startReplica')).toHaveLength(4);
  });

  it('does nothing once interrupted', async () => {
    const controller = new AbortController();
    controller.abort();
    const fake = new FakeBackend();
    const result = await converge({ backend: fake, project: PROJECT, planFor, parallel: 4, signal: controller.signal });
    expect(result).toMatchObject({ interrupted: true, rounds: 0, converged: false });
    expect(fake.calls).toEqual([]);
  });
});
