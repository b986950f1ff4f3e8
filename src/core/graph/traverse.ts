// Walking a dependency graph: one algorithm with a direction, so `up`
// (dependencies first) and `down` (dependents first) share it, as compose's
// dependencies.go does. `traverse` runs visits concurrently as soon as a node's
// predecessors have completed; `order` is its synchronous twin for planning.
//
// It stays pure: no timers and no polling. Progress is driven only by visits
// settling and by the abort signal firing.
import { TugError } from '../errors.js';
import { pushTo } from '../multimap.js';
import { formatCycle, type Graph } from './graph.js';

export type Direction = 'dependencies-first' | 'dependents-first';

export interface TraverseOptions {
  /** Most visits in flight at once; Infinity for no bound (compose's default). */
  concurrency: number;
  /** Once aborted, no new visit starts; visits in flight are awaited, then traverse rejects. */
  signal?: AbortSignal;
}

export type Visit = (key: string, signal?: AbortSignal) => Promise<void>;

export interface VisitFailure {
  /** The node whose visit rejected. */
  readonly key: string;
  readonly error: unknown;
  /** Nodes never visited because they (transitively) wait on this one, sorted. */
  readonly blocked: readonly string[];
}

/** Why a traversal did not complete: every failure, and what was never visited. */
export class TraversalError extends TugError {
  readonly failures: readonly VisitFailure[];
  readonly notVisited: readonly string[];
  readonly aborted: boolean;

  constructor(failures: VisitFailure[], notVisited: string[], aborted: boolean, lines: string[]) {
    super({
      code: aborted ? 'graph.interrupted' : 'graph.visit-failed',
      message: lines.join('\n'),
      // 130 like a shell: the CLI maps exit codes, but it should not have to guess.
      exitCode: aborted ? 130 : 1,
    });
    this.name = 'TraversalError';
    this.failures = failures;
    this.notVisited = notVisited;
    this.aborted = aborted;
  }
}

/**
 * Visits every node once, each only after all its predecessors in `direction`
 * completed. A rejected visit blocks what waits on it, transitively; independent
 * branches still run to the end, then traverse rejects with a TraversalError
 * naming each failure and the chain it blocked (`web -> api: api failed: boom`).
 */
export function traverse<E>(graph: Graph<E>, direction: Direction, visit: Visit, opts: TraverseOptions): Promise<void> {
  const { concurrency, signal } = opts;
  if (!(concurrency >= 1)) {
    return Promise.reject(new TugError({ code: 'graph.bad-concurrency', message: `concurrency must be at least 1, got ${concurrency}` }));
  }
  // A cycle would leave its nodes waiting on each other forever: refuse up front.
  const cycle = graph.findCycle();
  if (cycle) return Promise.reject(cycleError(cycle));

  const { before, after } = directionOf(graph, direction);
  const waitingOn = new Map<string, number>();
  for (const key of graph.nodes()) waitingOn.set(key, before(key).length);
  const ready = graph.nodes().filter((k) => waitingOn.get(k) === 0);
  const started = new Set<string>();
  /** blocked node -> the predecessor through which a failure reached it. */
  const blockedVia = new Map<string, string>();
  const failures: { key: string; error: unknown }[] = [];
  let inFlight = 0;

  return new Promise<void>((resolve, reject) => {
    const finish = (): void => {
      signal?.removeEventListener('abort', pump);
      const notVisited = graph.nodes().filter((k) => !started.has(k));
      // Aborting after the last visit started cut nothing short: that run completed.
      const interrupted = notVisited.some((k) => !blockedVia.has(k));
      if (failures.length === 0 && !interrupted) return resolve();
      reject(traversalError(failures, blockedVia, notVisited, interrupted));
    };

    // Called whenever something changed: a visit settled or the signal fired.
    function pump(): void {
      while (!signal?.aborted && inFlight < concurrency && ready.length > 0) start(ready.shift()!);
      const stalled = inFlight === 0 && (ready.length === 0 || signal?.aborted);
      if (stalled) finish();
    }

    function start(key: string): void {
      inFlight++;
      started.add(key);
      // A visit that throws synchronously is treated like one that rejects.
      new Promise<void>((res) => res(visit(key, signal))).then(
        () => settle(key, undefined),
        (error: unknown) => settle(key, error ?? new Error('visit rejected')),
      );
    }

    function settle(key: string, error: unknown): void {
      inFlight--;
      if (error !== undefined) {
        failures.push({ key, error });
        block(key);
      } else {
        for (const next of after(key)) {
          if (blockedVia.has(next)) continue;
          const left = waitingOn.get(next)! - 1;
          waitingOn.set(next, left);
          if (left === 0) ready.push(next);
        }
      }
      pump();
    }

    // Marks everything downstream of a failed node as never to be visited.
    function block(failed: string): void {
      const queue = [failed];
      for (let head = 0; head < queue.length; head++) {
        const key = queue[head]!;
        for (const next of after(key)) {
          if (blockedVia.has(next)) continue;
          blockedVia.set(next, key);
          queue.push(next);
        }
      }
    }

    signal?.addEventListener('abort', pump, { once: true });
    pump();
  });
}

/**
 * Every node in waves: a wave holds what becomes ready once all earlier waves
 * are done, sorted. This is how `traverse` proceeds when visits take equal
 * time; plans and their text form rely on it being stable.
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

function traversalError(
  failed: { key: string; error: unknown }[],
  blockedVia: Map<string, string>,
  notVisited: string[],
  aborted: boolean,
): TraversalError {
  const failures: VisitFailure[] = failed.map(({ key, error }) => ({ key, error, blocked: [] as string[] }));
  const byKey = new Map(failures.map((f) => [f.key, f]));
  const lines: string[] = [];
  if (aborted) lines.push(`interrupted; not started: ${notVisited.filter((k) => !blockedVia.has(k)).join(', ')}`);

  // For a blocked node, the chain back to the failure that blocked it.
  const chainOf = (key: string): string[] => {
    const chain = [key];
    for (let via = blockedVia.get(key); via !== undefined; via = blockedVia.get(via)) chain.push(via);
    return chain;
  };
  const passedThrough = new Set(blockedVia.values());
  const chainsByFailure = new Map<string, string[][]>();
  for (const key of [...blockedVia.keys()].sort()) {
    const chain = chainOf(key);
    const root = chain[chain.length - 1]!;
    (byKey.get(root)!.blocked as string[]).push(key);
    // One line per longest chain; the shorter ones it contains would only repeat it.
    if (!passedThrough.has(key)) pushTo(chainsByFailure, root, chain);
  }
  for (const f of failures) {
    (f.blocked as string[]).sort();
    const reason = `${f.key} failed: ${messageOf(f.error)}`;
    const chains = chainsByFailure.get(f.key);
    if (!chains) lines.push(reason);
    else for (const chain of chains) lines.push(`${chain.join(' -> ')}: ${reason}`);
  }
  return new TraversalError(failures, notVisited, aborted, lines);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
