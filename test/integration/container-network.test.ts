// Container networks for real: bridges, veths, an address per replica, the
// embedded DNS server on each gateway, isolation between networks, internal
// networks, and a teardown that leaves nothing. Traffic stays inside the
// namespaces the test creates, plus a fake upstream resolver on 127.0.0.1.
import { execFileSync } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { afterEach, expect, it } from 'vitest';
import { buildResponse, parseQuery, RCODE } from '../../src/runtime/native/container/dns/dns-message.js';
import { NetworkLab, type Started } from '../helpers/containers.js';
import { describeIsolation } from '../helpers/isolation.js';
import { until } from '../helpers/native-env.js';

const labs: NetworkLab[] = [];
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.close();
  for (const lab of labs.splice(0)) await lab.destroy();
});

function lab(upstreams: { host: string; port: number }[] = []): NetworkLab {
  const l = new NetworkLab(upstreams);
  labs.push(l);
  return l;
}

const web = (networks: Record<string, null>) => ({
  command: ['/bin/busybox', 'sh', '-c', 'mkdir -p /tmp/www && hostname > /tmp/www/index.html && exec busybox httpd -f -p 8080 -h /tmp/www'],
  networks,
});
const idle = (networks: Record<string, null>, extra: Record<string, unknown> = {}) => ({ command: ['/bin/busybox', 'sleep', '300'], networks, ...extra });

// busybox 1.35's static wget crashes on -T; `timeout` bounds it instead.
async function serving(l: NetworkLab, client: Started, target: string): Promise<string> {
  return until(async () => {
    const r = await l.inside(client, `timeout 3 wget -q -O - http://${target}:8080/`);
    return r.code === 0 ? r.out.trim() : undefined;
  }, `${target} to answer`, 10_000);
}

describeIsolation('container networks', () => {
  it('gives each replica its own address; replicas reach each other by service and replica name; DNS follows scale', async () => {
    const l = lab();
    const [net] = await l.createNetworks({ default: {} });
    const w1 = await l.startOn(l.netSpec('web', web({ default: null }), 1));
    const w2 = await l.startOn(l.netSpec('web', web({ default: null }), 2));
    const client = await l.startOn(l.netSpec('client', idle({ default: null })));
    const addresses = [...l.attachments.values()].map((r) => r.links[0]!.address);
    expect(new Set(addresses).size).toBe(3);
    // Two replicas listen on the same port 8080, each on its own address.
    expect(await serving(l, client, l.attachments.get(w1.spec.name)!.links[0]!.address)).toBe(w1.spec.name);
    expect(await serving(l, client, w2.spec.name)).toBe(w2.spec.name);
    // The service name resolves to both, in varying order.
    const seen = new Set<string>();
    for (let i = 0; i < 20 && seen.size < 2; i++) seen.add((await l.inside(client, 'nslookup web | grep -A9 "^Name:" | grep Address | head -1')).out.trim());
    expect(seen.size).toBe(2);
    const lookup = await l.inside(client, 'nslookup web');
    for (const s of [w1, w2]) expect(lookup.out).toContain(l.attachments.get(s.spec.name)!.links[0]!.address);
    // Scale up and down show at once.
    const w3 = await l.startOn(l.netSpec('web', web({ default: null }), 3));
    expect((await l.inside(client, 'nslookup web')).out).toContain(l.attachments.get(w3.spec.name)!.links[0]!.address);
    await l.removeReplica(w1);
    const after = (await l.inside(client, 'nslookup web')).out;
    expect(after).not.toContain(addresses[0]!);
    expect(after).toContain(l.attachments.get(w3.spec.name)!.links[0]!.address);
    // The replica's own view: eth0 with its address, a default route via the gateway, the uplink MTU.
    const route = (await l.inside(client, 'ip route; cat /sys/class/net/eth0/mtu; cat /etc/resolv.conf')).out;
    expect(route).toContain(`default via ${net!.allocation.gateway >>> 24}.`);
    expect(route).toContain(`nameserver ${[...l.attachments.values()][0]!.links[0]!.network.allocation.gateway >>> 24}.`);
  });

  it('resolves links aliases and network aliases, and forwards other names to the host\'s resolvers', async () => {
    const upstream = createSocket('udp4');
    sockets.push(upstream);
    upstream.on('message', (msg, rinfo) => {
      const q = parseQuery(msg);
      upstream.send(buildResponse(q, q.questions[0]?.name === 'outside.test' ? { rcode: RCODE.noError, addresses: ['127.0.0.77'] } : { rcode: RCODE.nxDomain }), rinfo.port, rinfo.address);
    });
    await new Promise<void>((r) => upstream.bind(0, '127.0.0.1', () => r()));
    const l = lab([{ host: '127.0.0.1', port: upstream.address().port }]);
    await l.createNetworks({ default: {} });
    const db = await l.startOn(l.netSpec('db', { ...idle({}), networks: { default: { aliases: ['postgres'] } } }));
    const app = await l.startOn(l.netSpec('app', idle({ default: null }, { links: ['db:database'] })));
    const dbAddress = l.attachments.get(db.spec.name)!.links[0]!.address;
    for (const name of ['database', 'postgres', 'db', db.spec.name]) expect((await l.inside(app, `nslookup ${name}`)).out).toContain(dbAddress);
    // The alias is the linking replica's own.
    expect((await l.inside(db, 'nslookup database')).out).not.toContain(dbAddress);
    expect((await l.inside(app, 'nslookup outside.test')).out).toContain('127.0.0.77');
  });

  it('isolates networks from one another; a replica on two networks reaches both; an internal network has no way out', async () => {
    const l = lab();
    await l.createNetworks({ front: {}, back: { internal: true } });
    const api = await l.startOn(l.netSpec('api', web({ back: null })));
    const proxy = await l.startOn(l.netSpec('proxy', web({ front: null, back: null })));
    const outsider = await l.startOn(l.netSpec('outsider', idle({ front: null })));
    const apiAddress = l.attachments.get(api.spec.name)!.links[0]!.address;
    const proxyFront = l.attachments.get(proxy.spec.name)!.links.find((x) => x.network.key === 'front')!.address;
    expect(await serving(l, proxy, apiAddress)).toBe(api.spec.name);
    expect(await serving(l, outsider, proxyFront)).toBe(proxy.spec.name);
    // front cannot reach back, by address or by name.
    expect((await l.inside(outsider, `timeout 3 wget -q -O - http://${apiAddress}:8080/`)).code).not.toBe(0);
    expect((await l.inside(outsider, 'nslookup api')).code).not.toBe(0);
    // back is internal: no default route, so nothing can even be sent out; no forwarding of names.
    expect((await l.inside(api, 'ip route')).out).not.toMatch(/default/);
    expect((await l.inside(api, 'ip route get 192.0.2.1')).out).toMatch(/unreachable/i);
    const outsideRoute = (await l.inside(outsider, 'ip route')).out;
    expect(outsideRoute).toMatch(/^default via/m);
  });

  it('leaves no interface, namespace, firewall rule, cgroup, runtime state or record after teardown', async () => {
    const l = lab();
    await l.createNetworks({ default: {}, other: { internal: true } });
    const a = await l.startOn(l.netSpec('a', idle({ default: null, other: null })));
    const b = await l.startOn(l.netSpec('b', idle({ default: null })));
    expect((await l.leftovers()).length).toBeGreaterThan(0);
    await l.removeReplica(a);
    await l.removeReplica(b);
    await l.removeNetworks();
    await l.removeProject();
    expect(await l.leftovers()).toEqual([]);
    const processes = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
    expect(processes).not.toContain(a.spec.name);
  });
});
