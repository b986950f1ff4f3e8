import { describe, expect, it } from 'vitest';
import type { ObservedReplica } from '../../src/core/reconcile/observed.js';
import { plainChalk } from '../../src/cli/render/colors.js';
import { statusText } from '../../src/core/render/ps-row.js';
import { psJsonLine, psTable } from '../../src/cli/render/ps.js';

const now = Date.parse('2024-01-01T00:10:00.000Z');

function replica(extra: Partial<ObservedReplica> = {}): ObservedReplica {
  return {
    id: 'demo-web-1',
    name: 'demo-web-1',
    project: 'demo',
    service: 'web',
    number: 1,
    oneoff: false,
    labels: {},
    state: 'running',
    restartCount: 0,
    ports: [],
    startedAt: '2024-01-01T00:09:55.000Z',
    ...extra,
  };
}

describe('ps rendering', () => {
  it('shows a replica\'s notes after its status in the table, and as Notes in JSON', () => {
    const r = replica({ notes: ['logs not kept: no space left on device'] });
    expect(psTable([r], now, plainChalk)).toContain('Up 5 seconds; logs not kept: no space left on device');
    const json = JSON.parse(psJsonLine(r, now));
    expect(json.Status).toBe('Up 5 seconds');
    expect(json.Notes).toBe('logs not kept: no space left on device');
    expect(JSON.parse(psJsonLine(replica(), now)).Notes).toBe('');
  });
});

describe('ps status', () => {
  it('gives no time for an exit nobody saw, and the time for one that was seen', () => {
    expect(statusText(replica({ state: 'exited', exitCode: 137, startedAt: undefined }), now)).toBe('Exited (137)');
    expect(statusText(replica({ state: 'exited', exitCode: 1, finishedAt: '2024-01-01T00:08:00.000Z' }), now)).toBe('Exited (1) 2 minutes ago');
    expect(statusText(replica({ state: 'restarting', exitCode: 1 }), now)).toBe('Restarting (1)');
  });
});

describe('ps with addresses (native container mode)', () => {
  it('keeps Compose\'s Networks and adds Addresses in JSON, and an ADDRESS column only where replicas have one', () => {
    const r = replica({ addresses: [{ network: 'demo_front', address: '10.1.0.2' }, { network: 'demo_back', address: '10.2.0.2' }] });
    const row = JSON.parse(psJsonLine(r, now));
    expect(row.Networks).toBe('demo_front,demo_back');
    expect(row.Addresses).toEqual({ demo_front: '10.1.0.2', demo_back: '10.2.0.2' });
    expect('Networks' in JSON.parse(psJsonLine(replica(), now))).toBe(false);
    const table = psTable([r], now, plainChalk);
    expect(table.split('\n')[0]).toBe('NAME         SERVICE   STATUS         RESTARTS   ADDRESS              PORTS');
    expect(table).toContain('10.1.0.2, 10.2.0.2');
    expect(psTable([replica()], now, plainChalk).split('\n')[0]).not.toContain('ADDRESS');
  });
});
