import { describe, expect, it } from 'vitest';
import { Graph } from '../../src/core/graph/graph.js';
import { order, traverse, TraversalError } from '../../src/core/graph/traverse.js';

// web -> api -> db, web -> cache, worker -> db
function app(): Graph<null> {
  return new Graph<null>()
    .addEdge('web', 'api', null)
    .addEdge('api', 'db', null)
    .addEdge('web', 'cache', null)
    .addEdge('worker', 'db', null);
}

/** A promise the test resolves or rejects by hand, so timing is explicit. */
function deferred() {
  let resolve!: () => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const tick = () => new Promise<void>((r) => setImmediate(r));

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

describe('traverse', () => {
  it('visits each node once, after its dependencies', async () => {
    const seq: string[] = [];
    await traverse(app(), 'dependencies-first', async (k) => void seq.push(k), { concurrency: Infinity });
    expect([...seq].sort()).toEqual(['api', 'cache', 'db', 'web', 'worker']);
    for (const [from, to] of [['web', 'api'], ['api', 'db'], ['web', 'cache'], ['worker', 'db']] as const) {
      expect(seq.indexOf(from)).toBeGreaterThan(seq.indexOf(to));
    }
  });

  it('visits dependents first when walking down', async () => {
    const seq: string[] = [];
    await traverse(app(), 'dependents-first', async (k) => void seq.push(k), { concurrency: 2 });
    for (const [from, to] of [['web', 'api'], ['api', 'db'], ['web', 'cache'], ['worker', 'db']] as const) {
      expect(seq.indexOf(from)).toBeLessThan(seq.indexOf(to));
    }
  });

  it('does not start a node until every predecessor has completed', async () => {
    const gates = { api: deferred(), cache: deferred(), db: deferred() };
    const started: string[] = [];
    const run = traverse(
      app(),
      'dependencies-first',
      async (k) => {
        started.push(k);
        if (k in gates) await gates[k as keyof typeof gates].promise;
      },
      { concurrency: Infinity },
    );
    await tick();
    expect(started).toEqual(['cache', 'db']);
    gates.db.resolve();
    await tick();
    expect(started).toEqual(['cache', 'db', 'api', 'worker']);
    gates.api.resolve();
    await tick();
    expect(started).not.toContain('web'); // cache is still running
    gates.cache.resolve();
    await run;
    expect(started.at(-1)).toBe('web');
  });

  it('never has more than `concurrency` visits in flight', async () => {
    const g = new Graph<null>();
    for (let i = 0; i < 12; i++) g.addEdge('top', `n${String(i).padStart(2, '0')}`, null);
    let inFlight = 0;
    let peak = 0;
    await traverse(
      g,
      'dependencies-first',
      async () => {
        inFlight++;
        peak = Math.max(peak, inFlight);
        await tick();
        inFlight--;
      },
      { concurrency: 3 },
    );
    expect(peak).toBe(3);
  });

  it('a failure skips only what waits on it and names the chain', async () => {
    const visited: string[] = [];
    const err = await traverse(
      app(),
      'dependencies-first',
      async (k) => {
        if (k === 'api') throw new Error('port 5432 already in use');
        visited.push(k);
      },
      { concurrency: Infinity },
    ).catch((e: unknown) => e);

    // worker only needs db, so the independent branch still completes
    expect(visited.sort()).toEqual(['cache', 'db', 'worker']);
    expect(err).toBeInstanceOf(TraversalError);
    const te = err as TraversalError;
    expect(te.code).toBe('graph.visit-failed');
    expect(te.message).toBe('web -> api: api failed: port 5432 already in use');
    expect(te.failures).toHaveLength(1);
    expect(te.failures[0]!.key).toBe('api');
    expect(te.failures[0]!.blocked).toEqual(['web']);
    expect(te.notVisited).toEqual(['web']);
  });

  it('names the whole chain of a deep failure and collects independent failures', async () => {
    const g = app().addEdge('report', 'worker', null).addNode('solo');
    const err = (await traverse(
      g,
      'dependencies-first',
      async (k) => {
        if (k === 'db') throw new Error('disk full');
        if (k === 'solo') throw new Error('bad image');
      },
      { concurrency: 2 },
    ).catch((e: unknown) => e)) as TraversalError;

    expect(err.failures.map((f) => f.key).sort()).toEqual(['db', 'solo']);
    expect(err.message.split('\n').sort()).toEqual([
      'report -> worker -> db: db failed: disk full',
      'solo failed: bad image',
      'web -> api -> db: db failed: disk full',
    ]);
    expect(err.failures.find((f) => f.key === 'db')!.blocked).toEqual(['api', 'report', 'web', 'worker']);
  });

  it('treats a visit that throws synchronously like a rejection', async () => {
    const g = new Graph<null>().addEdge('web', 'db', null);
    const err = await traverse(
      g,
      'dependencies-first',
      (k) => {
        if (k === 'db') throw new Error('sync boom');
        return Promise.resolve();
      },
      { concurrency: 1 },
    ).catch((e: unknown) => e);
    expect((err as Error).message).toBe('web -> db: db failed: sync boom');
  });

  it('stops starting visits on abort, waits for those in flight, then rejects', async () => {
    const ctl = new AbortController();
    const dbGate = deferred();
    const started: string[] = [];
    const run = traverse(
      app(),
      'dependencies-first',
      async (k) => {
        started.push(k);
        if (k === 'db') await dbGate.promise;
      },
      { concurrency: Infinity, signal: ctl.signal },
    );
    let settled = false;
    void run.catch(() => undefined).finally(() => (settled = true));
    await tick();
    ctl.abort();
    await tick();
    expect(settled).toBe(false); // db is still in flight
    dbGate.resolve();
    const err = (await run.catch((e: unknown) => e)) as TraversalError;
    expect(started.sort()).toEqual(['cache', 'db']);
    expect(err.code).toBe('graph.interrupted');
    expect(err.aborted).toBe(true);
    expect(err.exitCode).toBe(130);
    expect(err.notVisited).toEqual(['api', 'web', 'worker']);
    expect(err.message).toBe('interrupted; not started: api, web, worker');
  });

  it('visits nothing when the signal is already aborted', async () => {
    const ctl = new AbortController();
    ctl.abort();
    const started: string[] = [];
    await expect(
      traverse(app(), 'dependencies-first', async (k) => void started.push(k), { concurrency: 1, signal: ctl.signal }),
    ).rejects.toMatchObject({ code: 'graph.interrupted' });
    expect(started).toEqual([]);
  });

  it('refuses a cycle at once instead of hanging', { timeout: 1000 }, async () => {
    const g = new Graph<null>().addEdge('api', 'db', null).addEdge('db', 'api', null).addNode('other');
    let visits = 0;
    await expect(traverse(g, 'dependencies-first', async () => void visits++, { concurrency: 1 })).rejects.toMatchObject({
      code: 'graph.cycle',
      message: 'dependency cycle detected: api -> db -> api',
    });
    expect(visits).toBe(0);
  });

  it('resolves at once on an empty graph and rejects a bad concurrency', async () => {
    await expect(traverse(new Graph(), 'dependents-first', async () => {}, { concurrency: 1 })).resolves.toBeUndefined();
    await expect(traverse(app(), 'dependents-first', async () => {}, { concurrency: 0 })).rejects.toMatchObject({
      code: 'graph.bad-concurrency',
    });
  });
});
