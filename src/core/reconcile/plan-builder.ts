// Accumulates plan steps with sequential ids. Planners (reconcile, down, stop,
// start...) describe work as operations plus the steps each must wait for; the
// builder only numbers them, so every planner produces the same Plan shape.
import type { Operation, Plan, PlanStep } from './operations.js';

export class PlanBuilder {
  private readonly steps: PlanStep[] = [];

  constructor(private readonly project: string) {}

  /** Adds a step after the given ones (duplicates and undefined are dropped); returns its id. */
  add(op: Operation, after: Iterable<string | undefined> = []): string {
    const id = String(this.steps.length + 1);
    const deps = [...new Set([...after].filter((a): a is string => a !== undefined))];
    this.steps.push({ id, op, after: deps.sort(byNumericId) });
    return id;
  }

  /** Makes `id` also wait for `more` (used when a later decision adds an ordering). */
  addAfter(id: string, more: Iterable<string>): void {
    // Ids are positions + 1, so the step is found without a search.
    const step = this.steps[Number(id) - 1];
    if (!step || step.id !== id) throw new Error(`plan: no step ${id}`); // a planner bug
    step.after = [...new Set([...step.after, ...more])].filter((a) => a !== id).sort(byNumericId);
  }

  get size(): number {
    return this.steps.length;
  }

  all(): readonly PlanStep[] {
    return this.steps;
  }

  build(): Plan {
    return { project: this.project, steps: this.steps.map((s) => ({ ...s, after: [...s.after] })) };
  }
}

/** Ids are decimal counters; compare them as numbers so "10" sorts after "9". */
export function byNumericId(a: string, b: string): number {
  const na = Number(a);
  const nb = Number(b);
  if (Number.isFinite(na) && Number.isFinite(nb) && na !== nb) return na - nb;
  return a < b ? -1 : a > b ? 1 : 0;
}
