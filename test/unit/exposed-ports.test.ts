// Exposed-only ports: which a replica shows (expose less what is published),
// and the PORTS column in `docker ps`' order and ranges.
import { describe, expect, it } from 'vitest';
import { portsText } from '../../src/cli/render/ps.js';
import { exposedOnly } from '../../src/core/model/exposed-ports.js';
import { psRow } from '../../src/core/render/ps-row.js';
import type { ObservedReplica } from '../../src/core/reconcile/observed.js';

describe('exposed ports', () => {
  it('expose entries (ports, protocols, ranges) less the published targets, sorted, once each', () => {
    const published = [{ hostIp: '', published: 32768, target: 8080, protocol: 'tcp' as const }];
    expect(exposedOnly(['8080/tcp', '9000', '53/udp', '7000-7002', '9000/tcp'], published)).toEqual([
      { target: 53, protocol: 'udp' },
      { target: 7000, protocol: 'tcp' },
      { target: 7001, protocol: 'tcp' },
      { target: 7002, protocol: 'tcp' },
      { target: 9000, protocol: 'tcp' },
    ]);
    expect(exposedOnly(undefined, [])).toEqual([]);
  });

  it('PORTS: exposed first, consecutive ones as a range, then published (docker ps, measured on Docker 20.10)', () => {
    const published = [{ hostIp: '127.0.0.1', published: 32888, target: 8080, protocol: 'tcp' as const }];
    expect(portsText({ ports: published, exposed: [{ target: 9000, protocol: 'tcp' }, { target: 5353, protocol: 'udp' }] })).toBe('5353/udp, 9000/tcp, 127.0.0.1:32888->8080/tcp');
    const range = [7000, 7001, 7002].map((target) => ({ target, protocol: 'tcp' as const }));
    expect(portsText({ ports: [], exposed: [...range, { target: 7005, protocol: 'tcp' }, { target: 7001, protocol: 'udp' }] })).toBe('7000-7002/tcp, 7005/tcp, 7001/udp');
  });

  it('ps --format json: exposed ports are Publishers with no URL and PublishedPort 0, all sorted by target', () => {
    const r: ObservedReplica = {
      id: 'p-web-1', name: 'p-web-1', project: 'p', service: 'web', number: 1, oneoff: false, labels: {}, state: 'running', restartCount: 0,
      ports: [{ hostIp: '', published: 32768, target: 8080, protocol: 'tcp' }],
      exposed: [{ target: 5353, protocol: 'udp' }],
    };
    expect(psRow(r, 0).Publishers).toEqual([
      { URL: '', TargetPort: 5353, PublishedPort: 0, Protocol: 'udp' },
      { URL: '0.0.0.0', TargetPort: 8080, PublishedPort: 32768, Protocol: 'tcp' },
    ]);
  });
});
