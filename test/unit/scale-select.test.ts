import { describe, expect, it } from 'vitest';
import { nextReplicaNumbers, rankReplicas, selectScaleDown } from '../../src/core/reconcile/scale.js';

const replicas = (...numbers: number[]) => numbers.map((number) => ({ number }));
const numbers = (rs: { number: number }[]) => rs.map((r) => r.number);

describe('selectScaleDown', () => {
  const none = () => false;

  it('removes the highest numbers when every replica is up to date', () => {
    const { keep, remove } = selectScaleDown(replicas(3, 1, 4, 2), 2, none);
    expect(numbers(keep)).toEqual([1, 2]);
    expect(numbers(remove)).toEqual([4, 3]);
  });

  it('removes obsolete replicas before up-to-date ones, whatever their numbers', () => {
    const obsolete = new Set([1, 2]);
    const { keep, remove } = selectScaleDown(replicas(1, 2, 3, 4), 2, (r) => obsolete.has(r.number));
    expect(numbers(keep)).toEqual([3, 4]);
    expect(numbers(remove)).toEqual([2, 1]);
  });

  it('keeps obsolete survivors (to be recreated) once the up-to-date ones are exhausted', () => {
    const obsolete = new Set([2, 3]);
    const { keep, remove } = selectScaleDown(replicas(1, 2, 3, 4), 3, (r) => obsolete.has(r.number));
    expect(numbers(keep)).toEqual([1, 4, 2]);
    expect(numbers(remove)).toEqual([3]);
  });

  it('removes nothing when there are no more replicas than desired', () => {
    expect(numbers(selectScaleDown(replicas(1, 5), 3, none).remove)).toEqual([]);
    expect(numbers(selectScaleDown(replicas(1, 5), 3, none).keep)).toEqual([1, 5]);
  });

  it('removes everything at scale 0', () => {
    expect(numbers(selectScaleDown(replicas(1, 2), 0, none).remove)).toEqual([2, 1]);
  });
});

describe('rankReplicas', () => {
  it('puts up-to-date replicas first, each group by ascending number', () => {
    expect(numbers(rankReplicas(replicas(5, 2, 9, 1), (r) => r.number % 2 === 1))).toEqual([2, 1, 5, 9]);
  });
});

describe('nextReplicaNumbers', () => {
  it('starts at 1 for a service that never ran', () => {
    expect(nextReplicaNumbers([], 2)).toEqual([1, 2]);
  });

  it('continues after the highest number and does not refill gaps', () => {
    expect(nextReplicaNumbers(replicas(1, 4), 2)).toEqual([5, 6]);
  });

  it('gives nothing for a count of zero or less', () => {
    expect(nextReplicaNumbers(replicas(1), 0)).toEqual([]);
    expect(nextReplicaNumbers(replicas(1), -2)).toEqual([]);
  });
});
