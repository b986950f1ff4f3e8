import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { PathChange } from '../../src/core/watch/changes.js';
import type { WatchRule } from '../../src/core/watch/rules.js';
import { batchChanges } from '../../src/engine/watch/debounce.js';
import { compileRule } from '../../src/engine/watch/match.js';
import { formatSteps, planBatch } from '../../src/engine/watch/plan-batch.js';

describe('batching over a quiet window', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const collect = (quietMs: number, maxWaitMs?: number) => {
    const batches: PathChange[][] = [];
    const batcher = batchChanges({ quietMs, maxWaitMs }, (b) => batches.push(b));
    return { batches, batcher };
  };

  it('hands over one batch once the window has been quiet, and the window slides with each change', () => {
    const { batches, batcher } = collect(50);
    batcher.push({ kind: 'change', path: '/p/a' });
    vi.advanceTimersByTime(40);
    batcher.push({ kind: 'change', path: '/p/b' });
    vi.advanceTimersByTime(40);
    expect(batches).toEqual([]); // 80 ms since the first change, but only 40 since the last
    vi.advanceTimersByTime(10);
    expect(batches).toEqual([[{ kind: 'change', path: '/p/a' }, { kind: 'change', path: '/p/b' }]]);
    batcher.push({ kind: 'add', path: '/p/c' });
    vi.advanceTimersByTime(50);
    expect(batches).toHaveLength(2);
  });

  it('counts a path changed several times once, with its last kind, in the order things last happened', () => {
    const { batches, batcher } = collect(50);
    batcher.push({ kind: 'add', path: '/p/a' });
    batcher.push({ kind: 'add', path: '/p/b' });
    batcher.push({ kind: 'change', path: '/p/a' });
    batcher.push({ kind: 'unlink', path: '/p/a' });
    vi.advanceTimersByTime(50);
    expect(batches).toEqual([[{ kind: 'add', path: '/p/b' }, { kind: 'unlink', path: '/p/a' }]]);
  });

  it('does not let a stream of changes hold a batch back past the maximum wait', () => {
    const { batches, batcher } = collect(50, 300);
    for (let t = 0; t < 10; t++) {
      batcher.push({ kind: 'change', path: `/p/f${t}` });
      vi.advanceTimersByTime(40);
    }
    expect(batches.map((b) => b.length)).toEqual([8]); // handed over at 300 ms, mid-stream
    vi.advanceTimersByTime(50);
    expect(batches.map((b) => b.length)).toEqual([8, 2]);
  });

  it('flushes on demand and drops everything on close', () => {
    const { batches, batcher } = collect(50);
    batcher.push({ kind: 'change', path: '/p/a' });
    batcher.flush();
    expect(batches).toHaveLength(1);
    batcher.push({ kind: 'change', path: '/p/b' });
    batcher.close();
    vi.advanceTimersByTime(1000);
    batcher.push({ kind: 'change', path: '/p/c' });
    vi.advanceTimersByTime(1000);
    expect(batches).toHaveLength(1);
  });
});

describe('planning a batch', () => {
  const rules = (entries: [string, Partial<WatchRule>][]) =>
    entries.map(([service, r], index) => compileRule({ service, index, rule: { path: '/proj/src', action: 'sync', target: '/app', ...r } }));

  it('orders rebuilds, then syncs, then restarts, then execs, across services', () => {
    const steps = planBatch(
      [
        { kind: 'change', path: '/proj/src/a.js' },
        { kind: 'change', path: '/proj/package.json' },
      ],
      rules([
        ['web', { action: 'sync+exec', exec: { command: ['reload'] } }],
        ['api', { action: 'sync+restart', target: '/srv' }],
        ['worker', { path: '/proj/package.json', action: 'rebuild', target: undefined }],
      ]),
    );
    expect(formatSteps(steps)).toBe(
      [
        'rebuild worker',
        'sync web: /proj/src/a.js -> /app/a.js',
        'sync api: /proj/src/a.js -> /srv/a.js',
        'restart api',
        'exec web (rule 0): reload',
      ].join('\n'),
    );
  });

  it('gives a rebuilt service no sync, restart or exec', () => {
    const steps = planBatch(
      [{ kind: 'change', path: '/proj/src/a.js' }],
      rules([
        ['web', { action: 'sync+restart' }],
        ['web', { action: 'rebuild', target: undefined }],
        ['web', { action: 'sync+exec', exec: { command: ['x'] } }],
      ]),
    );
    expect(formatSteps(steps)).toBe('rebuild web');
  });

  it('includes deletions and both sides of a rename, and restarts a service once', () => {
    const steps = planBatch(
      [
        { kind: 'unlink', path: '/proj/src/old.js' },
        { kind: 'add', path: '/proj/src/new.js' },
        { kind: 'unlink', path: '/proj/src/gone.js' },
      ],
      rules([
        ['web', { action: 'sync+restart' }],
        ['web', { action: 'restart', target: undefined }],
      ]),
    );
    expect(formatSteps(steps)).toBe(
      ['sync web: /proj/src/old.js -> /app/old.js, /proj/src/new.js -> /app/new.js, /proj/src/gone.js -> /app/gone.js', 'restart web'].join('\n'),
    );
  });

  it('drops removals inside a removed directory, and syncs a target two rules share once', () => {
    const steps = planBatch(
      [
        { kind: 'unlink', path: '/proj/src/lib/a.js' },
        { kind: 'unlink', path: '/proj/src/lib/sub/b.js' },
        { kind: 'unlinkDir', path: '/proj/src/lib/sub' },
        { kind: 'unlinkDir', path: '/proj/src/lib' },
        { kind: 'change', path: '/proj/src/x.js' },
      ],
      rules([
        ['web', {}],
        ['web', {}],
      ]),
    );
    expect(formatSteps(steps)).toBe('sync web: /proj/src/lib -> /app/lib, /proj/src/x.js -> /app/x.js');
  });

  it('plans nothing for ignored paths', () => {
    expect(planBatch([{ kind: 'change', path: '/proj/src/.a.js.swp' }, { kind: 'change', path: '/proj/src/node_modules/x' }], rules([['web', { ignore: ['node_modules'] }]]))).toEqual([]);
  });
});
