import { describe, expect, it } from 'vitest';
import { loadErrors } from '../helpers/memory-project.js';

const yaml = (...lines: string[]) => lines.join('\n') + '\n';

describe('load-time network and limit checks', () => {
  it('points at an ipv4_address outside its subnet, overlapping subnets, a too-small memory limit and a join of a service without replicas, all at once', () => {
    const errors = loadErrors({
      '/proj/compose.yaml': yaml(
        'services:',
        '  web:',
        '    command: ["true"]',
        '    mem_limit: 1m',
        '    networks:',
        '      front: {ipv4_address: 10.9.1.5}',
        '  side:',
        '    command: ["true"]',
        '    network_mode: "service:idle"',
        '  idle:',
        '    command: ["true"]',
        '    scale: 0',
        'networks:',
        '  front: {ipam: {config: [{subnet: 10.9.0.0/24}]}}',
        '  back: {ipam: {config: [{subnet: 10.9.0.128/25}]}}',
      ),
    });
    const byCode = (code: string) => errors.find((e) => e.code === code);
    const address = byCode('check.ipv4-address')!;
    expect(address.message).toBe('service "web": ipv4_address 10.9.1.5 is outside the subnet 10.9.0.0/24 of network "front"');
    expect(address.location).toMatchObject({ file: '/proj/compose.yaml', line: 6 });
    expect(address.hint).toBe('choose an address inside 10.9.0.0/24');
    const overlap = byCode('check.subnet-overlap')!;
    expect(overlap.message).toBe('network "back": subnet 10.9.0.128/25 overlaps subnet 10.9.0.0/24 of network "front"');
    expect(overlap.location?.line).toBe(15);
    const memory = byCode('check.memory-too-low')!;
    expect(memory.message).toContain('below the 6 MiB a process needs to start');
    expect(memory.location?.line).toBe(4);
    const join = byCode('check.join-no-replicas')!;
    expect(join.message).toBe('service "side": network_mode: service:idle names a service scaled to 0, so there is nothing to join');
    expect(join.location?.line).toBe(9);
  });

  it('refuses name settings beside a network_mode that shares another service\'s (Docker\'s conflicting options), each at its line', () => {
    const errors = loadErrors({
      '/proj/compose.yaml': yaml(
        'services:',
        '  vpn:',
        '    command: ["true"]',
        '  side:',
        '    command: ["true"]',
        '    network_mode: "service:vpn"',
        '    extra_hosts: ["a.example:10.1.1.1"]',
        '    dns: [10.0.0.53]',
        '    hostname: side',
        '  fine:',
        '    command: ["true"]',
        '    network_mode: host',
        '    dns: [10.0.0.53]',
      ),
    });
    expect(errors.map((e) => [e.code, e.path?.join('.'), e.location?.line])).toEqual([
      ['check.network-mode-conflict', 'services.side.extra_hosts', 7],
      ['check.network-mode-conflict', 'services.side.dns', 8],
      ['check.network-mode-conflict', 'services.side.hostname', 9],
    ]);
    expect(errors[0]!.message).toBe('service "side": extra_hosts cannot be combined with network_mode: service:vpn, whose name settings it shares');
  });

  it('accepts an address inside its subnet, distinct subnets and a 6m limit', () => {
    expect(
      loadErrors({
        '/proj/compose.yaml': yaml(
          'services:',
          '  web:',
          '    command: ["true"]',
          '    mem_limit: 6m',
          '    networks:',
          '      front: {ipv4_address: 10.9.0.5}',
          'networks:',
          '  front: {ipam: {config: [{subnet: 10.9.0.0/24}]}}',
          '  back: {ipam: {config: [{subnet: 10.9.1.0/24}]}}',
        ),
      }),
    ).toEqual([]);
  });
});
