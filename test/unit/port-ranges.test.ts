// A published range shared by a service's replicas, one host port each:
// which ports a replica tries, and the error at up when the range is too small.
import { describe, expect, it } from 'vitest';
import type { PortSpec } from '../../src/core/model/types.js';
import { replicaCandidates } from '../../src/core/model/port-range.js';
import { rangeShortfalls } from '../../src/core/reconcile/port-ranges.js';
import { planListeners } from '../../src/runtime/native/container/proxy/port-plan.js';
import { planPorts } from '../../src/runtime/native/engine/port-forward.js';
import { specLiteral } from '../helpers/replica-spec.js';

const port = (published: string | undefined, target = 80, protocol: PortSpec['protocol'] = 'tcp'): PortSpec => ({ mode: 'ingress', target, published, protocol });
const replica = (number: number, ports: PortSpec[], service = 'web') => specLiteral({ project: 'p', service, number, service_spec: { ports } });

describe('the ports a replica tries for a published range', () => {
  it('gives replica N the N-th port first, then the rest of the range in order', () => {
    expect(replicaCandidates('8000-8003', 1)).toEqual([8000, 8001, 8002, 8003]);
    expect(replicaCandidates('8000-8003', 3)).toEqual([8002, 8003, 8000, 8001]);
    expect(replicaCandidates('8000-8003', 4)).toEqual([8003, 8000, 8001, 8002]);
  });

  it('has no port for a replica beyond the range; a one-off and a single port try the range in order', () => {
    expect(replicaCandidates('8000-8003', 5)).toBeUndefined();
    expect(replicaCandidates('8000-8003', 0)).toEqual([8000, 8001, 8002, 8003]);
    expect(replicaCandidates('8080', 1)).toEqual([8080]);
    expect(replicaCandidates('8080', 3)).toEqual([8080]);
    expect(replicaCandidates('80x', 1)).toBeUndefined();
  });
});

describe('a range too small for the scale', () => {
  it('is one error per port, with its YAML path, naming the range and the replicas it lacks ports for', () => {
    const ports = [port('8000-8001'), port('9000'), port('9100-9109', 81)];
    const errors = rangeShortfalls([1, 2, 3].map((n) => replica(n, ports)));
    expect(errors.map((e) => [e.code, e.path, e.message])).toEqual([
      ['ports.range-too-small', ['services', 'web', 'ports', 0], 'service web: published range 8000-8001 has 2 ports for 3 replicas (each replica gets its own port of the range)'],
    ]);
    expect(errors[0]!.hint).toBe('widen the range, or scale web to at most 2');
  });

  it('counts by replica number (a scale-up starting only replica 3 still needs 3 ports), and never for one-offs', () => {
    expect(rangeShortfalls([replica(3, [port('8000-8001')])])).toHaveLength(1);
    expect(rangeShortfalls([replica(2, [port('8000-8001')])])).toEqual([]);
    expect(rangeShortfalls([{ ...replica(0, [port('8000-8001')]), oneoff: true }])).toEqual([]);
  });
});

describe('listeners of a container replica', () => {
  it('shares fixed and random ports with the service, and owns its port of a range', () => {
    const ports = [port('8080', 80), port('9000-9002', 80), port(undefined, 53, 'udp')];
    expect(planListeners('web', { ports }, 2)).toEqual([
      { protocol: 'tcp', hostIp: '0.0.0.0', candidates: [8080], target: 80, own: false, index: 0 },
      { protocol: 'tcp', hostIp: '0.0.0.0', candidates: [9001, 9002, 9000], target: 80, own: true, index: 1 },
      { protocol: 'udp', hostIp: '0.0.0.0', candidates: [0], target: 53, own: false, index: 2 },
    ]);
    expect(() => planListeners('web', { ports }, 4)).toThrow('service web: published range 9000-9002 has no port left for replica 4');
  });
});

describe('published ports of a process replica', () => {
  it('forwards replica N\'s own port of a range to its target', () => {
    const plan = planPorts(replica(2, [port('8000-8002', 3000)]));
    expect(plan.forwards).toEqual([{ hostIp: '0.0.0.0', candidates: [8001, 8002, 8000], target: 3000 }]);
    expect(plan.published).toEqual([{ hostIp: '0.0.0.0', published: 8001, target: 3000, protocol: 'tcp' }]);
  });
});
