// What container mode adds to the output (stats rows), and the
// batching that lets 100 replicas share a few kernel calls.
import { describe, expect, it } from 'vitest';
import { binarySize, decimalSize, statsJsonRow, statsTable } from '../../src/cli/render/stats.js';
import { Batcher } from '../../src/runtime/native/batcher.js';

describe('stats rows', () => {
  it('prints docker stats\' units and words', () => {
    expect(binarySize(356 * 1024)).toBe('356KiB');
    expect(binarySize(16 * 1024 * 1024)).toBe('16MiB');
    expect(decimalSize(56_600)).toBe('56.6kB');
    expect(decimalSize(586)).toBe('586B');
    const row = { replica: 'p-web-1', service: 'web', cpuPercent: 1.5, memoryUsage: 356 * 1024, memoryLimit: 16 * 1024 * 1024, memoryPercent: 2.17, pids: 2, netRxBytes: 56_600, netTxBytes: 586 };
    expect(statsJsonRow(row)).toEqual({ Name: 'p-web-1', Service: 'web', CPUPerc: '1.50%', MemUsage: '356KiB / 16MiB', MemPerc: '2.17%', NetIO: '56.6kB / 586B', PIDs: '2' });
    expect(statsTable([row]).split('\n')[1]).toBe('p-web-1   1.50%   356KiB / 16MiB      2.17%   56.6kB / 586B   2');
  });
});

describe('Batcher', () => {
  it('runs requests made together in one call, and those made meanwhile in the next', async () => {
    const calls: number[][] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const b = new Batcher<number, number>(async (xs) => {
      calls.push(xs);
      if (calls.length === 1) await gate;
      return xs.map((x) => x * 10);
    });
    const first = [b.submit(1), b.submit(2), b.submit(3)];
    await Promise.resolve();
    await Promise.resolve();
    const later = [b.submit(4), b.submit(5)];
    release();
    expect(await Promise.all([...first, ...later])).toEqual([10, 20, 30, 40, 50]);
    expect(calls).toEqual([[1, 2, 3], [4, 5]]);
  });

  it('fails every request of a failed batch, and goes on with the next', async () => {
    let n = 0;
    const b = new Batcher<number, number>(async (xs) => {
      if (n++ === 0) throw new Error('no');
      return xs;
    });
    await expect(Promise.all([b.submit(1), b.submit(2)])).rejects.toThrow('no');
    expect(await b.submit(3)).toBe(3);
  });
});
