// The text form of a plan: one line per step, in a stable topological order.
// Planner tests compare it with expected text (as compose's plan.String()
// tests do), and `--dry-run` prints it.
import { formatDuration } from '../load/normalize/units.js';
import type { Operation, Plan, PlanStep } from './operations.js';
import { byNumericId } from './plan-builder.js';

export const EMPTY_PLAN_TEXT = '(nothing to do)';

export function planIsEmpty(plan: Plan): boolean {
  return plan.steps.length === 0;
}

/** `stop-replica p-api-2 (10s)`, `await-dependency web <- api (service_healthy)`. */
export function describeStep(op: Operation): string {
  const base = stepRef(op);
  switch (op.kind) {
    case 'stop-replica':
      return `${base} (${formatDuration(op.timeoutMs)})`;
    case 'kill-replica':
      return `${base} (${op.signal})`;
    case 'remove-replica':
      return `${base} (${op.reason}${op.removeVolumes ? ', with its anonymous volumes' : ''})`;
    case 'create-replica': {
      const inherited = Object.keys(op.replica.inheritedVolumes ?? {}).sort();
      return inherited.length > 0 ? `${base} (keeps the anonymous volumes at ${inherited.join(', ')})` : base;
    }
    case 'await-dependency':
      return `${base} (${op.condition}${op.required ? '' : ', optional'})`;
    default:
      return base;
  }
}

/** The short form that names a step inside another step's "after" list. */
export function stepRef(op: Operation): string {
  switch (op.kind) {
    case 'create-network':
    case 'remove-network':
    case 'create-volume':
    case 'remove-volume':
    case 'start-replica':
    case 'stop-replica':
    case 'kill-replica':
    case 'remove-replica':
      return `${op.kind} ${op.name}`;
    case 'create-replica':
      return `${op.kind} ${op.replica.name}`;
    case 'await-dependency':
      return `${op.kind} ${op.service} <- ${op.dependency}`;
  }
}

export function formatPlan(plan: Plan): string {
  if (planIsEmpty(plan)) return EMPTY_PLAN_TEXT;
  const byId = new Map(plan.steps.map((s) => [s.id, s] as const));
  return sortSteps(plan)
    .map((step) => {
      const after = step.after.map((id) => byId.get(id)).filter((s): s is PlanStep => s !== undefined);
      return after.length === 0 ? describeStep(step.op) : `${describeStep(step.op)} after ${after.map((s) => stepRef(s.op)).join(', ')}`;
    })
    .join('\n');
}

/**
 * Steps in topological order; among the ready ones, the lowest id first, so the
 * order follows the planner's (networks, volumes, replicas, orphans). Throws on
 * a cycle or an unknown `after` id: either is a planner bug.
 */
export function sortSteps(plan: Plan): PlanStep[] {
  const ids = new Set(plan.steps.map((s) => s.id));
  const waiting = new Map<string, number>();
  const released = new Map<string, string[]>();
  for (const step of plan.steps) {
    const deps = new Set(step.after);
    for (const dep of deps) {
      if (!ids.has(dep)) throw new Error(`plan: step ${step.id} waits for unknown step ${dep}`);
      released.set(dep, [...(released.get(dep) ?? []), step.id]);
    }
    waiting.set(step.id, deps.size);
  }
  const byId = new Map(plan.steps.map((s) => [s.id, s] as const));
  const ready = plan.steps.filter((s) => waiting.get(s.id) === 0).map((s) => s.id);
  const out: PlanStep[] = [];
  while (ready.length > 0) {
    ready.sort(byNumericId);
    const id = ready.shift()!;
    out.push(byId.get(id)!);
    for (const next of released.get(id) ?? []) {
      const left = waiting.get(next)! - 1;
      waiting.set(next, left);
      if (left === 0) ready.push(next);
    }
  }
  if (out.length !== plan.steps.length) throw new Error('plan: steps wait for each other in a cycle');
  return out;
}
