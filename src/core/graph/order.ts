// Walking a dependency graph in order: one algorithm with a direction, so
// `up` (dependencies first) and `down` (dependents first) share it, as
// compose's dependencies.go does. Running the plan that comes of it is the
// executor's (engine/executor.ts): one scheduler, not two.
import { TugError } from '../errors.js';
import { formatCycle, type Graph } from './graph.js';

export type Direction = 'dependencies-first' | 'dependents-first';

/**
 * Every node in waves: a wave holds what becomes ready once all earlier waves
 * are done, sorted. Plans and their text form rely on it being
 * stable.
 */
export function order<E>(graph: Graph<E>, direction: Direction): string[] {
  const cycle = graph.findCycle();
  if (cycle) throw cycleError(cycle);
  const { before, after } = directionOf(graph, direction);
  const waitingOn = new Map(graph.nodes().map((k) => [k, before(k).length] as const));
  const out: string[] = [];
  let wave = graph.nodes().filter((k) => waitingOn.get(k) === 0);
  while (wave.length > 0) {
    out.push(...wave);
    const next = new Set<string>();
    for (const key of wave) {
      for (const succ of after(key)) {
        const left = waitingOn.get(succ)! - 1;
        waitingOn.set(succ, left);
        if (left === 0) next.add(succ);
      }
    }
    wave = [...next].sort();
  }
  return out;
}

function directionOf<E>(graph: Graph<E>, direction: Direction) {
  // "before" are the nodes that must complete first; "after" are those released by it.
  return direction === 'dependencies-first'
    ? { before: (k: string) => graph.dependenciesOf(k), after: (k: string) => graph.dependentsOf(k) }
    : { before: (k: string) => graph.dependentsOf(k), after: (k: string) => graph.dependenciesOf(k) };
}

function cycleError(cycle: string[]): TugError {
  return new TugError({ code: 'graph.cycle', message: `dependency cycle detected: ${formatCycle(cycle)}` });
}
