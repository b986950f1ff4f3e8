// The text form of a plan: one line per step, in a stable topological order.
// Planner tests compare it with expected text (as compose's plan.String()
// tests do), and `--dry-run` prints it.
import { formatDuration } from '../load/normalize/units.js';
import type { Operation, Plan, PlanStep } from './operations.js';
import { byNumericId } from './plan-builder.js';
import { ReadyQueue } from './ready-queue.js';

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
 * a cycle or an unknown `after` id: either is a planner bug. O(n log n + edges):
 * ids are ranked once, and the ready steps wait in a heap of ranks.
 */
export function sortSteps(plan: Plan): PlanStep[] {
  const { ranked, rankOf } = rankSteps(plan.steps);
  const waiting = new Array<number>(ranked.length);
  const released: number[][] = ranked.map(() => []);
  ranked.forEach((step, i) => {
    const deps = new Set(step.after);
    for (const dep of deps) {
      const at = rankOf(dep);
      if (at === undefined) throw new Error(`plan: step ${step.id} waits for unknown step ${dep}`);
      released[at]!.push(i);
    }
    waiting[i] = deps.size;
  });
  const ready = new ReadyQueue();
  for (let i = 0; i < waiting.length; i++) if (waiting[i] === 0) ready.push(i);
  const out: PlanStep[] = [];
  for (let i = ready.pop(); i !== undefined; i = ready.pop()) {
    out.push(ranked[i]!);
    for (const next of released[i]!) if (--waiting[next]! === 0) ready.push(next);
  }
  if (out.length !== plan.steps.length) throw new Error('plan: steps wait for each other in a cycle');
  return out;
}

/** Steps by ascending id, and each id's position. A builder's ids are already "1", "2", …: no sort, no map. */
function rankSteps(steps: readonly PlanStep[]): { ranked: readonly PlanStep[]; rankOf: (id: string) => number | undefined } {
  if (steps.every((s, i) => s.id === String(i + 1))) {
    return {
      ranked: steps,
      rankOf: (id) => {
        const at = Number(id) - 1;
        return steps[at]?.id === id ? at : undefined;
      },
    };
  }
  const ranked = [...steps].sort((a, b) => byNumericId(a.id, b.id));
  const rank = new Map(ranked.map((s, i) => [s.id, i] as const));
  return { ranked, rankOf: (id) => rank.get(id) };
}
