// Planning stays O(n log n): 100,000 replicas plan, order and print in
// seconds (the topological sort used to re-sort its ready list on every pick,
// so `up --dry-run --scale web=100000` did not finish in two minutes).
import { describe, expect, it } from 'vitest';
import { LABEL } from '../../src/core/model/labels.js';
import { emptyObservedState, type ObservedState } from '../../src/core/reconcile/observed.js';
import { planDown } from '../../src/core/reconcile/down.js';
import { formatPlan, sortSteps } from '../../src/core/reconcile/plan.js';
import { reconcile } from '../../src/core/reconcile/reconcile.js';
import { executePlan } from '../../src/engine/executor.js';
import type { RuntimeBackend } from '../../src/runtime/backend.js';
import { observedReplica } from '../helpers/apply-plan.js';
import { loadFromMemory } from '../helpers/memory-project.js';
import { UP_OPTIONS } from '../helpers/up-options.js';

const REPLICAS = 100_000;
// Generous: about 1.5 s on a quiet machine, 8 s loaded six times over and
// 20 s loaded fourteen times over; the quadratic sort took minutes (more than
// 200 s here), past the budget and past each case's time limit.
const BUDGET_MS = 60_000;
const CASE_LIMIT_MS = 180_000;

const project = () =>
  loadFromMemory({
    '/proj/compose.yaml': 'name: p\nservices:\n  web:\n    command: [sleep, "1000"]\n  db:\n    command: [sleep, "1000"]\n    depends_on: [web]\n',
  }).project;

function outdated(count: number): ObservedState {
  const state = emptyObservedState('p');
  for (let n = 1; n <= count; n++) {
    state.replicas.push(observedReplica(`p-web-${n}`, 'web', n, 'running', { [LABEL.project]: 'p', [LABEL.configHash]: 'old' }));
  }
  return state;
}

function timed<T>(fn: () => T): { value: T; ms: number } {
  const start = performance.now();
  const value = fn();
  return { value, ms: performance.now() - start };
}

describe('planning 100,000 replicas', () => {
  it('plans and prints a fresh up in seconds, in dependency order', () => {
    const { value: text, ms } = timed(() => formatPlan(reconcile(project(), emptyObservedState('p'), { ...UP_OPTIONS, scale: { web: REPLICAS } })));
    expect(ms).toBeLessThan(BUDGET_MS);
    const lines = text.split('\n');
    // network, REPLICAS creates and starts of web, one await, db's create and start.
    expect(lines).toHaveLength(1 + 2 * REPLICAS + 3);
    expect(lines[0]).toBe('create-network p_default');
    expect(lines.indexOf(`start-replica p-web-${REPLICAS} after create-replica p-web-${REPLICAS}`)).toBeGreaterThan(0);
    expect(lines.at(-1)).toBe('start-replica p-db-1 after create-replica p-db-1, await-dependency db <- web');
  }, CASE_LIMIT_MS);

  it('plans the recreation of every outdated replica in seconds', () => {
    const { value: plan, ms } = timed(() => {
      const p = reconcile(project(), outdated(REPLICAS), { ...UP_OPTIONS, scale: { web: REPLICAS } });
      sortSteps(p);
      return p;
    });
    expect(ms).toBeLessThan(BUDGET_MS);
    expect(plan.steps.filter((s) => s.op.kind === 'remove-replica')).toHaveLength(REPLICAS);
  }, CASE_LIMIT_MS);

  it('plans down in seconds, and the executor accepts the plan at once', async () => {
    const state = outdated(REPLICAS);
    const { value: plan, ms } = timed(() => planDown(state, { removeVolumes: false, removeOrphans: false }));
    expect(ms).toBeLessThan(BUDGET_MS);
    expect(plan.steps).toHaveLength(2 * REPLICAS);
    // Only the plan check and dispatch are measured: the backend answers at once.
    const instant = { replicas: { stop: async () => undefined, remove: async () => undefined } } as unknown as RuntimeBackend;
    const start = performance.now();
    const result = await executePlan(plan, instant, { parallel: 8 });
    expect(performance.now() - start).toBeLessThan(BUDGET_MS);
    expect(result.done).toHaveLength(2 * REPLICAS);
  }, CASE_LIMIT_MS);
});
