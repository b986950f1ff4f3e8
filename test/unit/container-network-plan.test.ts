// IPAM, firewall rules and the ip batch scripts of tug's bridges: pure, from literals.
import { describe, expect, it } from 'vitest';
import { TugError } from '../../src/core/errors.js';
import { ipToInt, macForAddress } from '../../src/core/model/ipv4.js';
import { hostScript, namespaceScript } from '../../src/runtime/native/container/network/attach.js';
import type { NetworkPlan } from '../../src/runtime/native/container/network/bridges.js';
import { bridgeRules, insertCommands, restoreInput } from '../../src/runtime/native/container/network/firewall.js';
import {
  AddressBook,
  allocateSubnet,
  checkDistinct,
  formatCidr,
  intToIp,
  parseCidr,
  parseProcRoutes,
  type HostRoute,
} from '../../src/runtime/native/container/network/ipam.js';

const route = (cidr: string, device: string): HostRoute => ({ net: parseCidr(cidr)!, device });
const hostRoutes = [route('192.0.2.0/24', 'eth0'), route('172.17.0.0/16', 'docker0')];

function thrown(fn: () => unknown): TugError {
  try {
    fn();
  } catch (err) {
    if (err instanceof TugError) return err;
    throw err;
  }
  throw new Error('expected a TugError');
}

describe('IPAM', () => {
  it('parses and formats CIDRs, refusing host addresses with a prefix', () => {
    expect(formatCidr(parseCidr('10.5.0.0/24')!)).toBe('10.5.0.0/24');
    expect(parseCidr('10.5.0.1/24')).toBeUndefined();
    expect(parseCidr('300.0.0.0/8')).toBeUndefined();
    expect(parseCidr('10.0.0.0/33')).toBeUndefined();
  });

  it('reads /proc/net/route: routes, and default routes as uplinks', () => {
    const text = [
      'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT',
      'eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0',
      'docker0\t000011AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0',
      'eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0',
    ].join('\n');
    const { routes, defaultDevices } = parseProcRoutes(text);
    expect(routes.map((r) => `${formatCidr(r.net)} ${r.device}`)).toEqual(['172.17.0.0/16 docker0', '192.0.2.0/24 eth0']);
    expect(defaultDevices).toEqual(['eth0']);
  });

  it('takes a /20 from tug\'s pool, skipping host routes, taken subnets and Docker\'s pools', () => {
    const first = allocateSubnet({ key: 'default', seed: 0 }, hostRoutes, []);
    expect(formatCidr(first.subnet)).toBe('10.208.0.0/20');
    expect(intToIp(first.gateway)).toBe('10.208.0.1');
    const next = allocateSubnet({ key: 'b', seed: 0 }, [...hostRoutes, route('10.208.0.0/16', 'wg0')], [first.subnet]);
    expect(formatCidr(next.subnet)).toBe('10.209.0.0/20');
    // The seed spreads networks over the pool and wraps around.
    expect(formatCidr(allocateSubnet({ key: 'c', seed: 255 }, [], []).subnet)).toBe('10.223.240.0/20');
    expect(formatCidr(allocateSubnet({ key: 'c', seed: 256 }, [], []).subnet)).toBe('10.208.0.0/20');
  });

  it('honours ipam.config subnet, gateway and ip_range', () => {
    const a = allocateSubnet({ key: 'front', seed: 0, ipamConfig: [{ subnet: '10.77.0.0/24', gateway: '10.77.0.254', ip_range: '10.77.0.128/25' }] }, hostRoutes, []);
    expect(formatCidr(a.subnet)).toBe('10.77.0.0/24');
    expect(intToIp(a.gateway)).toBe('10.77.0.254');
    const book = new AddressBook('front', a);
    expect(intToIp(book.claim('r1'))).toBe('10.77.0.128');
    expect(intToIp(book.claim('r2', '10.77.0.10'))).toBe('10.77.0.10');
    expect(intToIp(book.claim('r3'))).toBe('10.77.0.129');
    // The same owner keeps its address.
    expect(intToIp(book.claim('r1'))).toBe('10.77.0.128');
  });

  it('refuses a subnet colliding with a host route, overlapping subnets, and bad gateways and ranges', () => {
    const collide = thrown(() => allocateSubnet({ key: 'front', seed: 0, ipamConfig: [{ subnet: '192.0.2.0/25' }] }, hostRoutes, []));
    expect(collide.message).toBe('network front: subnet 192.0.2.0/25 collides with the host route 192.0.2.0/24 on eth0');
    expect(collide.path).toEqual(['networks', 'front', 'ipam', 'config', 0, 'subnet']);
    expect(collide.hint).toMatch(/ip route/);
    const overlap = thrown(() =>
      checkDistinct([
        { key: 'a', subnet: parseCidr('10.5.0.0/16')! },
        { key: 'b', subnet: parseCidr('10.5.3.0/24')! },
      ]),
    );
    expect(overlap.message).toBe('network b: subnet 10.5.3.0/24 overlaps subnet 10.5.0.0/16 of network a');
    expect(thrown(() => allocateSubnet({ key: 'n', seed: 0, ipamConfig: [{ subnet: '10.9.0.0/24', gateway: '10.9.1.1' }] }, [], [])).path).toEqual(['networks', 'n', 'ipam', 'config', 0, 'gateway']);
    expect(thrown(() => allocateSubnet({ key: 'n', seed: 0, ipamConfig: [{ subnet: '10.9.0.0/24', ip_range: '10.8.0.0/25' }] }, [], [])).message).toMatch(/ip_range 10.8.0.0\/25 is not inside/);
    expect(thrown(() => allocateSubnet({ key: 'n', seed: 0, ipamConfig: [{ subnet: 'ten' }] }, [], [])).message).toMatch(/invalid subnet "ten"/);
  });

  it('refuses an ipv4_address outside the subnet, the gateway\'s, or one taken, naming the file path', () => {
    const book = new AddressBook('back', allocateSubnet({ key: 'back', seed: 0, ipamConfig: [{ subnet: '10.6.0.0/24' }] }, [], []));
    const path = ['services', 'db', 'networks', 'back', 'ipv4_address'];
    const outside = thrown(() => book.claim('shop-db-1', '10.7.0.5', path));
    expect(outside.message).toBe('shop-db-1: ipv4_address 10.7.0.5 is outside the subnet 10.6.0.0/24 of network back');
    expect(outside.path).toEqual(path);
    expect(thrown(() => book.claim('shop-db-1', '10.6.0.1')).message).toMatch(/already taken by \(gateway\)/);
    expect(thrown(() => book.claim('shop-db-1', '10.6.0.255')).message).toMatch(/broadcast address/);
    book.claim('shop-db-1', '10.6.0.5');
    expect(thrown(() => book.claim('shop-db-2', '10.6.0.5')).message).toMatch(/already taken by shop-db-1/);
  });

  it('runs out of addresses with a hint', () => {
    const book = new AddressBook('tiny', allocateSubnet({ key: 'tiny', seed: 0, ipamConfig: [{ subnet: '10.6.0.0/30' }] }, [], []));
    expect(intToIp(book.claim('a'))).toBe('10.6.0.2');
    expect(thrown(() => book.claim('b')).message).toBe('network tiny: no free address left in 10.6.0.0/30 for b');
  });
});

describe('bridge firewall rules', () => {
  it('lets replicas of one bridge talk and go out; drops the rest; masquerades outbound', () => {
    const rules = bridgeRules({ bridge: 'tugb1', subnet: '10.208.0.0/20', gateway: '10.208.0.1', internal: false, uplinks: ['eth0'] });
    const c = ['-m', 'comment', '--comment', 'tug tugb1'];
    expect(rules).toEqual([
      { table: 'filter', rule: ['FORWARD', '-i', 'tugb1', '-o', 'tugb1', '-j', 'ACCEPT', ...c] },
      { table: 'filter', rule: ['FORWARD', '-i', 'tugb1', '-o', 'eth0', '-j', 'ACCEPT', ...c] },
      { table: 'filter', rule: ['FORWARD', '-i', 'eth0', '-o', 'tugb1', '-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED', '-j', 'ACCEPT', ...c] },
      { table: 'filter', rule: ['FORWARD', '-i', 'tugb1', '-j', 'DROP', ...c] },
      { table: 'filter', rule: ['FORWARD', '-o', 'tugb1', '-j', 'DROP', ...c] },
      { table: 'nat', rule: ['POSTROUTING', '-s', '10.208.0.0/20', '!', '-o', 'tugb1', '-j', 'MASQUERADE', ...c] },
      { table: 'filter', rule: ['INPUT', '-i', 'tugb1', '-d', '10.208.0.1', '-p', 'udp', '--dport', '53', '-j', 'ACCEPT', ...c] },
      { table: 'filter', rule: ['INPUT', '-i', 'tugb1', '-d', '10.208.0.1', '-p', 'tcp', '--dport', '53', '-j', 'ACCEPT', ...c] },
      // The guard of route_localnet: from the bridge to a loopback address only replies of DNAT'ed connections.
      { table: 'filter', rule: ['INPUT', '-i', 'tugb1', '-d', '127.0.0.0/8', '-m', 'conntrack', '!', '--ctstate', 'DNAT', '-j', 'DROP', ...c] },
    ]);
    // Inserted at position 1 in reverse, they end up in this order at the top of each chain.
    expect(insertCommands(rules).map((a) => a.slice(0, 7).join(' '))).toEqual([
      '-w -t filter -I INPUT 1 -i',
      '-w -t filter -I INPUT 1 -i',
      '-w -t filter -I INPUT 1 -i',
      '-w -t nat -I POSTROUTING 1 -s',
      '-w -t filter -I FORWARD 1 -o',
      '-w -t filter -I FORWARD 1 -i',
      '-w -t filter -I FORWARD 1 -i',
      '-w -t filter -I FORWARD 1 -i',
      '-w -t filter -I FORWARD 1 -i',
    ]);
  });

  it('applies a network\'s rules in one iptables-restore input per action, comments quoted', () => {
    const rules = bridgeRules({ bridge: 'tugb3', subnet: '10.208.32.0/20', gateway: '10.208.32.1', internal: true, uplinks: [] });
    expect(restoreInput(rules, 'insert')).toBe(
      [
        '*filter',
        '-I INPUT 1 -i tugb3 -d 127.0.0.0/8 -m conntrack ! --ctstate DNAT -j DROP -m comment --comment "tug tugb3"',
        '-I INPUT 1 -i tugb3 -d 10.208.32.1 -p tcp --dport 53 -j ACCEPT -m comment --comment "tug tugb3"',
        '-I INPUT 1 -i tugb3 -d 10.208.32.1 -p udp --dport 53 -j ACCEPT -m comment --comment "tug tugb3"',
        '-I FORWARD 1 -o tugb3 -j DROP -m comment --comment "tug tugb3"',
        '-I FORWARD 1 -i tugb3 -j DROP -m comment --comment "tug tugb3"',
        '-I FORWARD 1 -i tugb3 -o tugb3 -j ACCEPT -m comment --comment "tug tugb3"',
        'COMMIT',
        '',
      ].join('\n'),
    );
    expect(restoreInput(rules, 'delete').split('\n')[1]).toBe('-D FORWARD -i tugb3 -o tugb3 -j ACCEPT -m comment --comment "tug tugb3"');
  });

  it('an internal network has no way out and no NAT', () => {
    const rules = bridgeRules({ bridge: 'tugb2', subnet: '10.208.16.0/20', gateway: '10.208.16.1', internal: true, uplinks: ['eth0'] });
    expect(rules.map((r) => r.rule.slice(0, 5).join(' '))).toEqual([
      'FORWARD -i tugb2 -o tugb2',
      'FORWARD -i tugb2 -j DROP',
      'FORWARD -o tugb2 -j DROP',
      'INPUT -i tugb2 -d 10.208.16.1',
      'INPUT -i tugb2 -d 10.208.16.1',
      'INPUT -i tugb2 -d 127.0.0.0/8',
    ]);
  });
});

describe('interface MAC addresses', () => {
  it('derive from the IPv4 address as Docker does, so a replica recreated at its address keeps its MAC', () => {
    expect(macForAddress(ipToInt('10.221.112.3')!)).toBe('02:42:0a:dd:70:03');
    expect(macForAddress(ipToInt('192.168.255.254')!)).toBe('02:42:c0:a8:ff:fe');
  });
});

describe('ip batch scripts', () => {
  const net = (key: string, internal: boolean, subnet: string): NetworkPlan => ({
    key,
    name: `shop_${key}`,
    bridge: `tugb${key}`,
    allocation: { subnet: parseCidr(subnet)!, gateway: parseCidr(subnet)!.base + 1, range: parseCidr(subnet)! },
    internal,
    mtu: 1400,
    uplinks: ['eth0'],
  });
  const req = {
    owner: 'shop-web-1',
    netns: 'tug-ns1',
    links: [
      { network: net('back', true, '10.6.0.0/24'), veth: 'tugv1', ifname: 'eth0', address: '10.6.0.2' },
      { network: net('front', false, '10.7.0.0/24'), veth: 'tugv2', ifname: 'eth1', address: '10.7.0.2', mac: '02:42:ac:11:00:02' },
    ],
  };

  it('creates the namespace and veths on the host, with the uplink MTU', () => {
    expect(hostScript([req])).toEqual([
      'netns add tug-ns1',
      'link add tugv1 mtu 1400 type veth peer name eth0 mtu 1400 netns tug-ns1',
      'link set tugv1 master tugbback up',
      'link add tugv2 mtu 1400 type veth peer name eth1 mtu 1400 netns tug-ns1',
      'link set tugv2 master tugbfront up',
    ]);
  });

  it('configures addresses inside, with the default route through the first network that has a way out', () => {
    expect(namespaceScript(req)).toEqual([
      'link set lo up',
      'addr add 10.6.0.2/24 dev eth0',
      'link set eth0 up',
      'link set eth1 address 02:42:ac:11:00:02',
      'addr add 10.7.0.2/24 dev eth1',
      'link set eth1 up',
      'route add default via 10.7.0.1 dev eth1',
    ]);
    expect(namespaceScript({ ...req, links: [req.links[0]!] })).not.toContainEqual(expect.stringMatching(/^route/));
  });
});
