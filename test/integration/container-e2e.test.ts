// The pieces together, as the engine will use them: a project network, three
// replicas of a web service with their own addresses and a memory limit, a
// client that reaches them by name, a published port that spreads over the
// healthy ones, and a teardown that leaves nothing behind.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { readCgroupSample } from '../../src/runtime/native/container/cgroups/cgroup-files.js';
import { TcpProxy } from '../../src/runtime/native/container/proxy/tcp-proxy.js';
import { NetworkLab, type Started } from '../helpers/containers.js';
import { describeIsolation } from '../helpers/isolation.js';
import { until } from '../helpers/native-env.js';

const labs: NetworkLab[] = [];
const proxies: TcpProxy[] = [];
afterEach(async () => {
  for (const p of proxies.splice(0)) await p.close();
  for (const l of labs.splice(0)) await l.destroy();
});


/** One HTTP GET through the published port, as a user's curl would do it. */
function get(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port }, () => socket.write('GET / HTTP/1.0\r\n\r\n'));
    let text = '';
    socket.on('data', (b) => (text += b)).on('end', () => resolve(text.split('\r\n\r\n')[1]?.trim() ?? '')).on('error', reject);
  });
}

describeIsolation('container runtime end to end', () => {
  it('replicas on a bridge, found by name, limited, published on one port over the healthy ones, and removed without a trace', async () => {
    const l = new NetworkLab();
    labs.push(l);
    await l.createNetworks({ default: {} });
    const web = {
      command: ['/bin/busybox', 'sh', '-c', 'mkdir -p /tmp/www && hostname > /tmp/www/index.html && exec busybox httpd -f -p 8080 -h /tmp/www'],
      networks: { default: null },
      mem_limit: 32 * 1024 * 1024,
    };
    const replicas = [await l.startOn(l.netSpec('web', web, 1)), await l.startOn(l.netSpec('web', web, 2)), await l.startOn(l.netSpec('web', web, 3))];
    const client = await l.startOn(l.netSpec('client', { command: ['/bin/busybox', 'sleep', '300'], networks: { default: null } }));
    const address = (s: Started) => l.attachments.get(s.spec.name)!.links[0]!.address;

    // By name, from the second container.
    const byName = await until(async () => {
      const r = await l.inside(client, 'timeout 3 wget -q -O - http://web:8080/');
      return r.code === 0 ? r.out.trim() : undefined;
    }, 'web to answer by name');
    expect(replicas.map((r) => r.spec.name)).toContain(byName);
    for (const r of replicas) expect(readCgroupSample(l.cgroups, r.bundle.cgroupsPath).memoryLimit).toBe(32 * 1024 * 1024);

    // One published port for all three.
    const proxy = await TcpProxy.open({ service: 'web', hostIp: '127.0.0.1', candidates: [0] });
    proxies.push(proxy);
    proxy.setBackends(replicas.map((r) => ({ host: address(r), port: 8080 })));
    const answers = new Set<string>();
    for (let i = 0; i < 6; i++) answers.add(await get(proxy.port));
    expect(answers).toEqual(new Set(replicas.map((r) => r.spec.name)));

    // Replica 2 turns unhealthy (its health probe, run inside it, fails): the proxy skips it.
    await l.inside(replicas[1]!, 'rm /tmp/www/index.html');
    const healthy = [];
    for (const r of replicas) if ((await l.inside(r, 'test -f /tmp/www/index.html')).code === 0) healthy.push(r);
    expect(healthy.map((r) => r.spec.name)).toEqual([replicas[0]!.spec.name, replicas[2]!.spec.name]);
    proxy.setBackends(healthy.map((r) => ({ host: address(r), port: 8080 })));
    const after = new Set<string>();
    for (let i = 0; i < 6; i++) after.add(await get(proxy.port));
    expect(after).toEqual(new Set(healthy.map((r) => r.spec.name)));

    // Teardown: nothing left, not even a mount or a process.
    await proxy.close();
    proxies.length = 0;
    for (const s of [...replicas, client]) await l.removeReplica(s);
    await l.removeNetworks();
    await l.removeProject();
    expect(await l.leftovers()).toEqual([]);
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(l.home);
    expect(execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' })).not.toContain(l.project);
  });
});
