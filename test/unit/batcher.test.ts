// The Batcher that turns replicas' concurrent requests into few batched calls:
// what arrives together goes together, in order, each caller getting its own
// result; with maxItems, a burst is cut into batches of that size, so a stage
// after it can start on the first part while the rest is still to come.
import { expect, it } from 'vitest';
import { Batcher } from '../../src/runtime/native/batcher.js';

it('sends requests that arrive together in one call, each caller getting its own result', async () => {
  const calls: number[][] = [];
  const b = new Batcher<number, number>(async (items) => {
    calls.push(items);
    return items.map((i) => i * 10);
  });
  const results = await Promise.all([1, 2, 3].map((i) => b.submit(i)));
  expect(results).toEqual([10, 20, 30]);
  expect(calls).toEqual([[1, 2, 3]]);
});

it('with maxItems, cuts a burst into batches of that size, in arrival order; the first is answered before the last is run', async () => {
  const calls: number[][] = [];
  const answered: number[] = [];
  const answeredAtCall: number[] = [];
  const b = new Batcher<number, string>(async (items) => {
    calls.push(items);
    answeredAtCall.push(answered.length);
    return items.map((i) => `r${i}`);
  }, { maxItems: 25 });
  const all = Array.from({ length: 60 }, (_, i) => b.submit(i).then((r) => {
    answered.push(i);
    return r;
  }));
  const results = await Promise.all(all);
  expect(results).toEqual(Array.from({ length: 60 }, (_, i) => `r${i}`));
  expect(calls.map((c) => c.length)).toEqual([25, 25, 10]);
  expect(calls.flat()).toEqual(Array.from({ length: 60 }, (_, i) => i));
  // The first batch's callers went on before the last batch ran.
  expect(answeredAtCall[2]).toBeGreaterThanOrEqual(25);
});

it('a failed batch rejects its own callers only', async () => {
  const b = new Batcher<number, number>(async (items) => {
    if (items.includes(2)) throw new Error('boom');
    return items;
  }, { maxItems: 2 });
  const outcomes = await Promise.allSettled([1, 2, 3, 4].map((i) => b.submit(i)));
  expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected', 'fulfilled', 'fulfilled']);
});
