import { describe, expect, it } from 'vitest';
import { Graph } from '../../src/core/graph/graph.js';
import { order } from '../../src/core/graph/order.js';

// web -> api -> db, web -> cache, worker -> db
function app(): Graph<null> {
  return new Graph<null>()
    .addEdge('web', 'api', null)
    .addEdge('api', 'db', null)
    .addEdge('web', 'cache', null)
    .addEdge('worker', 'db', null);
}

describe('order', () => {
  it('puts dependencies first, wave by wave, sorted within a wave', () => {
    expect(order(app(), 'dependencies-first')).toEqual(['cache', 'db', 'api', 'worker', 'web']);
  });

  it('puts dependents first for down', () => {
    expect(order(app(), 'dependents-first')).toEqual(['web', 'worker', 'api', 'cache', 'db']);
  });

  it('refuses a cycle instead of looping', () => {
    const g = new Graph<null>().addEdge('api', 'db', null).addEdge('db', 'api', null);
    expect(() => order(g, 'dependencies-first')).toThrow('dependency cycle detected: api -> db -> api');
  });
});
