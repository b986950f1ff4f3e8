// A generic directed graph of string keys whose edges carry data. An edge
// `from -> to` reads "from depends on to", the way Compose files are written, so
// a cycle prints the same way a user would follow `depends_on` by hand.
//
// The graph may hold a cycle while it is being built; `findCycle()` is how the
// builders (service-graph.ts) and the traversal refuse one before doing work.
// Every listing is sorted, so plans, error messages and tests are deterministic
// whatever order a YAML map or a Record happened to have.
import { TugError } from '../errors.js';

export interface GraphEdge<E> {
  readonly from: string;
  readonly to: string;
  readonly data: E;
}

export interface SubgraphOptions {
  /** Also take every transitive dependency of the chosen keys (`up web`); false is `--no-deps`. */
  withDependencies: boolean;
  /** Also take every transitive dependent (stopping `db` has to stop what needs it first). */
  withDependents?: boolean;
}

export class Graph<E> {
  // Adjacency both ways, so dependentsOf is as cheap as dependenciesOf: down and
  // up walk the same graph in opposite directions.
  private readonly dependencies = new Map<string, Map<string, E>>();
  private readonly dependents = new Map<string, Map<string, E>>();

  addNode(key: string): this {
    if (!this.dependencies.has(key)) {
      this.dependencies.set(key, new Map());
      this.dependents.set(key, new Map());
    }
    return this;
  }

  /** `from` depends on `to`. Both nodes are added if missing; a repeated edge replaces the data. */
  addEdge(from: string, to: string, data: E): this {
    this.addNode(from).addNode(to);
    this.dependencies.get(from)!.set(to, data);
    this.dependents.get(to)!.set(from, data);
    return this;
  }

  hasNode(key: string): boolean {
    return this.dependencies.has(key);
  }

  hasEdge(from: string, to: string): boolean {
    return this.dependencies.get(from)?.has(to) ?? false;
  }

  /** The data on `from -> to`, or undefined when there is no such edge. */
  edge(from: string, to: string): E | undefined {
    return this.dependencies.get(from)?.get(to);
  }

  get size(): number {
    return this.dependencies.size;
  }

  /** All keys, sorted. */
  nodes(): string[] {
    return sortedKeys(this.dependencies);
  }

  /** All edges, sorted by `from` then `to`. */
  edges(): GraphEdge<E>[] {
    const out: GraphEdge<E>[] = [];
    for (const from of this.nodes()) {
      for (const to of this.dependenciesOf(from)) {
        out.push({ from, to, data: this.dependencies.get(from)!.get(to)! });
      }
    }
    return out;
  }

  /** Direct dependencies of `key` (what it needs), sorted. */
  dependenciesOf(key: string): string[] {
    return sortedKeys(this.adjacent(this.dependencies, key));
  }

  /** Direct dependents of `key` (what needs it), sorted. */
  dependentsOf(key: string): string[] {
    return sortedKeys(this.adjacent(this.dependents, key));
  }

  /** Nodes nothing depends on: where `down` starts and `up` finishes. */
  roots(): string[] {
    return this.nodes().filter((k) => this.dependents.get(k)!.size === 0);
  }

  /** Nodes that depend on nothing: where `up` starts. */
  leaves(): string[] {
    return this.nodes().filter((k) => this.dependencies.get(k)!.size === 0);
  }

  /**
   * The first cycle found, as keys closing on themselves (`['api', 'db', 'api']`),
   * or undefined. Depth-first from each node in sorted order, following sorted
   * dependencies, so the same graph always reports the same cycle.
   */
  findCycle(): string[] | undefined {
    const done = new Set<string>();
    for (const start of this.nodes()) {
      if (done.has(start)) continue;
      // An explicit stack instead of recursion: a long chain must not overflow
      // the call stack, and the stack itself is the path we report.
      const path: string[] = [start];
      const onPath = new Set<string>([start]);
      // Each frame is a node's sorted dependencies and how many were followed.
      const pending: { deps: string[]; at: number }[] = [{ deps: this.dependenciesOf(start), at: 0 }];
      while (path.length > 0) {
        const frame = pending[pending.length - 1]!;
        const next = frame.deps[frame.at++];
        if (next === undefined) {
          const finished = path.pop()!;
          onPath.delete(finished);
          done.add(finished);
          pending.pop();
          continue;
        }
        if (onPath.has(next)) return [...path.slice(path.indexOf(next)), next];
        if (done.has(next)) continue;
        path.push(next);
        onPath.add(next);
        pending.push({ deps: this.dependenciesOf(next), at: 0 });
      }
    }
    return undefined;
  }

  /**
   * A new graph with the chosen keys and the edges among what it keeps. Edges to
   * nodes left out are dropped: with `--no-deps` nobody waits for a dependency
   * that is not part of the run.
   */
  subgraph(keys: Iterable<string>, opts: SubgraphOptions): Graph<E> {
    const keep = new Set<string>();
    const unknown: string[] = [];
    for (const key of keys) {
      if (this.hasNode(key)) keep.add(key);
      else unknown.push(key);
    }
    if (unknown.length > 0) {
      throw new TugError({
        code: 'graph.unknown-node',
        message: `no such service: ${unknown.sort().join(', ')}`,
        hint: `known services: ${this.nodes().join(', ') || '(none)'}`,
      });
    }
    const chosen = [...keep];
    if (opts.withDependencies) this.closure(chosen, this.dependencies, keep);
    if (opts.withDependents) this.closure(chosen, this.dependents, keep);

    const sub = new Graph<E>();
    for (const key of [...keep].sort()) sub.addNode(key);
    for (const { from, to, data } of this.edges()) {
      if (keep.has(from) && keep.has(to)) sub.addEdge(from, to, data);
    }
    return sub;
  }

  /** Adds to `into` everything reachable from `starts` along `adjacency`. */
  private closure(starts: string[], adjacency: Map<string, Map<string, E>>, into: Set<string>): void {
    const queue = [...starts];
    for (let head = 0; head < queue.length; head++) {
      const key = queue[head]!;
      for (const next of adjacency.get(key)!.keys()) {
        if (!into.has(next)) {
          into.add(next);
          queue.push(next);
        }
      }
    }
  }

  private adjacent(adjacency: Map<string, Map<string, E>>, key: string): Map<string, E> {
    const found = adjacency.get(key);
    if (!found) throw new Error(`graph: no node "${key}"`); // a caller bug, not a user error
    return found;
  }
}

/** `api -> db -> api`: how a cycle reads in messages. */
export function formatCycle(cycle: readonly string[]): string {
  return cycle.join(' -> ');
}

function sortedKeys(map: Map<string, unknown>): string[] {
  return [...map.keys()].sort();
}
