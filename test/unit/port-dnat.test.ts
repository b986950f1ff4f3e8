// The kernel's share of published ports as data: which ports get a DNAT rule,
// to which replicas, in which nftables text, and which bridges must carry
// loopback traffic; and the TUG_PORT_FORWARD switch.
import { describe, expect, it } from 'vitest';
import { planDnat, type ForwardedPort } from '../../src/runtime/native/container/network/port-dnat.js';
import { portForwardMode } from '../../src/runtime/native/engine/kernel-forwarding.js';

const bridges: Record<string, string> = { '10.208.0.2': 'tugb1', '10.208.0.3': 'tugb1', '10.208.16.2': 'tugb2' };
const bridgeOf = (a: string) => bridges[a];
const port = (p: Partial<ForwardedPort>): ForwardedPort => ({ hostIp: '127.0.0.1', port: 18080, target: 8080, members: ['10.208.0.2'], ...p });

describe('kernel forwarding of published ports', () => {
  it('writes one table: DNAT round-robin over the members, loopback sources masqueraded on their bridges', () => {
    const plan = planDnat('tug_ab', [port({ members: ['10.208.0.2', '10.208.0.3'] }), port({ hostIp: '0.0.0.0', port: 19000, target: 80, members: ['10.208.16.2'] })], bridgeOf);
    expect(plan.bridges).toEqual(['tugb1', 'tugb2']);
    expect(plan.script).toBe(
      [
        'add table ip tug_ab',
        'delete table ip tug_ab',
        'table ip tug_ab {',
        '  chain output {',
        '    type nat hook output priority -100; policy accept;',
        '    ip daddr 127.0.0.1 tcp dport 18080 dnat to numgen inc mod 2 map { 0 : 10.208.0.2 . 8080, 1 : 10.208.0.3 . 8080 }',
        '    fib daddr type local tcp dport 19000 dnat to 10.208.16.2:80',
        '  }',
        '  chain postrouting {',
        '    type nat hook postrouting priority 100; policy accept;',
        '    ip saddr 127.0.0.0/8 ct status dnat oifname { "tugb1", "tugb2" } masquerade',
        '  }',
        '}',
        '',
      ].join('\n'),
    );
  });

  it('leaves to the relay a port without members, on IPv6, or whose member is on no known bridge; no port at all means no table', () => {
    const plan = planDnat('tug_ab', [port({ members: [] }), port({ hostIp: '::1', port: 1 }), port({ port: 2, members: ['10.9.9.9'] }), port({ port: 3 })], bridgeOf);
    expect(plan.script?.match(/dnat to/g)).toHaveLength(1);
    expect(plan.script).toContain('tcp dport 3 dnat to 10.208.0.2:8080');
    expect(planDnat('tug_ab', [port({ members: [] })], bridgeOf)).toEqual({ bridges: [] });
    expect(planDnat('tug_ab', [], bridgeOf).script).toBeUndefined();
  });

  it('never puts text it did not check into the script', () => {
    expect(() => planDnat('tug ab; flush ruleset', [port({})], bridgeOf)).toThrow(/invalid nftables table name/);
    const odd = planDnat('tug_ab', [port({ members: ['10.208.0.2; flush ruleset'] }), port({ hostIp: '1.2.3.4 drop', port: 5 })], bridgeOf);
    expect(odd.script).toBeUndefined();
    const badBridge = planDnat('tug_ab', [port({})], () => 'x" } accept; {');
    expect(badBridge.script).toBeUndefined();
  });

  it('takes TUG_PORT_FORWARD=proxy as the relay, the rest as the kernel where it can, and names a bad value', () => {
    const notes: string[] = [];
    expect(portForwardMode({}, (m) => notes.push(m))).toBe('kernel');
    expect(portForwardMode({ TUG_PORT_FORWARD: 'proxy' }, (m) => notes.push(m))).toBe('proxy');
    expect(portForwardMode({ TUG_PORT_FORWARD: 'auto' }, (m) => notes.push(m))).toBe('kernel');
    expect(notes).toEqual([]);
    expect(portForwardMode({ TUG_PORT_FORWARD: 'relay' }, (m) => notes.push(m))).toBe('kernel');
    expect(notes).toEqual(['TUG_PORT_FORWARD=relay is not one of auto, kernel, proxy; using auto']);
  });
});
