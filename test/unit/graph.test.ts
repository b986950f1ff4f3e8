import { describe, expect, it } from 'vitest';
import { TugError } from '../../src/core/errors.js';
import { Graph, formatCycle } from '../../src/core/graph/graph.js';

// web -> api -> db, web -> cache, worker -> db
function app(): Graph<string> {
  return new Graph<string>()
    .addEdge('web', 'api', 'web needs api')
    .addEdge('api', 'db', 'api needs db')
    .addEdge('web', 'cache', 'web needs cache')
    .addEdge('worker', 'db', 'worker needs db')
    .addNode('lonely');
}

describe('Graph', () => {
  it('lists nodes, edges and neighbours sorted, whatever the insertion order', () => {
    const g = app();
    expect(g.nodes()).toEqual(['api', 'cache', 'db', 'lonely', 'web', 'worker']);
    expect(g.dependenciesOf('web')).toEqual(['api', 'cache']);
    expect(g.dependentsOf('db')).toEqual(['api', 'worker']);
    expect(g.edge('api', 'db')).toBe('api needs db');
    expect(g.hasEdge('db', 'api')).toBe(false);
    expect(g.edges().map((e) => `${e.from}->${e.to}`)).toEqual(['api->db', 'web->api', 'web->cache', 'worker->db']);
  });

  it('roots are what nothing depends on, leaves depend on nothing', () => {
    const g = app();
    expect(g.roots()).toEqual(['lonely', 'web', 'worker']);
    expect(g.leaves()).toEqual(['cache', 'db', 'lonely']);
  });

  it('finds no cycle in a DAG', () => {
    expect(app().findCycle()).toBeUndefined();
  });

  it('reports a cycle of 2 closing on itself', () => {
    const g = new Graph<null>().addEdge('api', 'db', null).addEdge('db', 'api', null);
    expect(g.findCycle()).toEqual(['api', 'db', 'api']);
  });

  it('reports a cycle of 3 in a deterministic order', () => {
    const g = new Graph<null>()
      .addEdge('service3', 'service1', null)
      .addEdge('service2', 'service3', null)
      .addEdge('service1', 'service2', null);
    expect(formatCycle(g.findCycle()!)).toBe('service1 -> service2 -> service3 -> service1');
  });

  it('reports a self dependency as a cycle', () => {
    const g = new Graph<null>().addEdge('a', 'b', null).addEdge('service1', 'service1', null);
    expect(g.findCycle()).toEqual(['service1', 'service1']);
  });

  it('reports only the cycle, not the path that leads to it', () => {
    const g = new Graph<null>().addEdge('a', 'b', null).addEdge('b', 'c', null).addEdge('c', 'b', null);
    expect(g.findCycle()).toEqual(['b', 'c', 'b']);
  });

  it('handles a long chain without overflowing the stack', () => {
    const g = new Graph<null>();
    for (let i = 0; i < 20_000; i++) g.addEdge(`n${i}`, `n${i + 1}`, null);
    expect(g.findCycle()).toBeUndefined();
  });

  describe('subgraph', () => {
    it('takes transitive dependencies for `up web`', () => {
      const sub = app().subgraph(['web'], { withDependencies: true });
      expect(sub.nodes()).toEqual(['api', 'cache', 'db', 'web']);
      expect(sub.edge('api', 'db')).toBe('api needs db');
      expect(sub.hasNode('worker')).toBe(false);
    });

    it('takes only the named services with --no-deps, dropping edges to the rest', () => {
      const sub = app().subgraph(['web', 'db'], { withDependencies: false });
      expect(sub.nodes()).toEqual(['db', 'web']);
      expect(sub.edges()).toEqual([]);
    });

    it('can take transitive dependents (stopping db stops what needs it)', () => {
      const sub = app().subgraph(['db'], { withDependencies: false, withDependents: true });
      expect(sub.nodes()).toEqual(['api', 'db', 'web', 'worker']);
      expect(sub.hasNode('cache')).toBe(false);
    });

    it('refuses an unknown service with a clear error', () => {
      try {
        app().subgraph(['web', 'nope'], { withDependencies: true });
        expect.unreachable();
      } catch (err) {
        expect(err).toBeInstanceOf(TugError);
        expect((err as TugError).code).toBe('graph.unknown-node');
        expect((err as TugError).message).toBe('no such service: nope');
      }
    });

    it('leaves the original graph untouched', () => {
      const g = app();
      g.subgraph(['web'], { withDependencies: false }).addEdge('web', 'x', 'y');
      expect(g.hasNode('x')).toBe(false);
    });
  });
});
