// Published ports of container replicas forwarded by the kernel, through the
// built CLI: connections from this host reach the healthy replicas even while
// the engine (its relay) is frozen, an unhealthy replica gets no new
// connection while one it already has goes on, the relay answers while none
// is healthy, a replica cannot use the route_localnet that forwarding needs
// to reach the host's loopback-only services, TUG_PORT_FORWARD=proxy leaves
// it all to the relay, and `down` leaves no table or rule. Traffic goes to 127.0.0.1 and into the replicas'
// namespaces only.
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { expect, it } from 'vitest';
import { dnatTableName, netnsName } from '../../src/runtime/native/container/names.js';
import { containerProject, httpGet, leftovers } from '../helpers/container-cli.js';
import { describeIsolation } from '../helpers/isolation.js';
import { until } from '../helpers/native-env.js';

// Serves its hostname; healthy while /tmp/healthy exists (removing it leaves the page served).
const HTTPD = ['/bin/busybox', 'sh', '-c', 'mkdir -p /tmp/www && hostname > /tmp/www/index.html && touch /tmp/healthy && exec busybox httpd -f -p 8080 -h /tmp/www'];
const PROJECT = `
services:
  web:
    command: ${JSON.stringify(HTTPD)}
    init: true
    deploy: {replicas: 2}
    ports: ["127.0.0.1::8080"]
    healthcheck: {test: ["CMD", "/bin/busybox", "test", "-f", "/tmp/healthy"], interval: 200ms, retries: 1, start_period: 60s, start_interval: 200ms}
`;

function nftTable(table: string): string | undefined {
  const r = spawnSync('nft', ['list', 'table', 'ip', table], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout : undefined;
}

/** A connection with the start of a request on it: the replica answers once `finish` sends the rest. */
async function halfRequest(port: number): Promise<{ finish(): Promise<string>; socket: Socket }> {
  const socket = connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  socket.write('GET / HTTP/1.0\r\n');
  let answer = '';
  socket.on('data', (d: Buffer) => (answer += String(d)));
  const ended = new Promise<string>((resolve) => socket.once('close', () => resolve(answer.split('\r\n\r\n')[1]?.trim() ?? '')));
  return { socket, finish: () => (socket.write('\r\n'), ended) };
}

/** Runs `fn` with the engine stopped (SIGSTOP): whatever answers meanwhile is the kernel's doing. */
async function withEngineFrozen<T>(home: string, project: string, fn: () => Promise<T>): Promise<T> {
  const engine = Number(readFileSync(`${home}/projects/${project}/engine.pid`, 'utf8').trim().split(/\s/)[0]);
  process.kill(engine, 'SIGSTOP');
  try {
    return await fn();
  } finally {
    process.kill(engine, 'SIGCONT');
  }
}

describeIsolation('published ports forwarded by the kernel', () => {
  it('reaches the healthy replicas with the engine frozen, drops an unhealthy one for new connections only, falls back to the relay with none healthy, and down removes the table', async () => {
    const p = containerProject(PROJECT);
    p.ok(['up', '-d', '--wait']);
    const port = Number(p.ok(['port', 'web', '8080']).trim().split(':')[1]);
    const table = dnatTableName(p.home, p.project);
    expect(nftTable(table)).toMatch(new RegExp(`ip daddr 127\\.0\\.0\\.1 tcp dport ${port} dnat`));
    const names = [`${p.project}-web-1`, `${p.project}-web-2`];

    const answers = await withEngineFrozen(p.home, p.project, async () => {
      const seen = new Set<string>();
      for (let i = 0; i < 4; i++) seen.add(await httpGet(port));
      return seen;
    });
    expect(answers).toEqual(new Set(names));

    // Two connections open before web-2 turns unhealthy: round-robin puts one on each replica.
    const open = [await halfRequest(port), await halfRequest(port)];
    p.ok(['exec', '--index', '2', 'web', '/bin/busybox', 'rm', '/tmp/healthy']);
    await until(() => p.rows().find((r) => r.Name === names[1])?.Health === 'unhealthy', 'web-2 to turn unhealthy');
    const after = await withEngineFrozen(p.home, p.project, async () => {
      const seen = new Set<string>();
      for (let i = 0; i < 4; i++) seen.add(await httpGet(port));
      return seen;
    });
    expect(after).toEqual(new Set([names[0]]));
    // The connection web-2 had before goes on (conntrack keeps it there).
    expect(new Set(await Promise.all(open.map((o) => o.finish())))).toEqual(new Set(names));

    // No healthy replica: no rule, and the relay answers as without one (it closes the connection).
    p.ok(['exec', '--index', '1', 'web', '/bin/busybox', 'rm', '/tmp/healthy']);
    await until(() => p.rows().find((r) => r.Name === names[0])?.Health === 'unhealthy', 'web-1 to turn unhealthy');
    expect(nftTable(table)).toBeUndefined();
    await expect(httpGet(port)).rejects.toThrow();
    // Healthy again: forwarded by the kernel again, to it alone.
    p.ok(['exec', '--index', '2', 'web', '/bin/busybox', 'touch', '/tmp/healthy']);
    await until(() => p.rows().find((r) => r.Name === names[1])?.Health === 'healthy', 'web-2 to be healthy again');
    expect(await withEngineFrozen(p.home, p.project, async () => [await httpGet(port), await httpGet(port)])).toEqual([names[1], names[1]]);

    const recorded = p.recorded();
    expect(recorded.some((e) => e.kind === 'nft-table' && e.name === table)).toBe(true);
    const bridge = recorded.find((e) => e.kind === 'link' && e.name.startsWith('tugb'));
    const localnet = `/proc/sys/net/ipv4/conf/${bridge?.kind === 'link' ? bridge.name : '?'}/route_localnet`;
    expect(readFileSync(localnet, 'utf8').trim()).toBe('1');
    p.ok(['down']);
    expect(nftTable(table)).toBeUndefined();
    // route_localnet is the bridge's own setting: it went with the bridge.
    expect(existsSync(localnet)).toBe(false);
    expect(await leftovers(p.home, p.project, recorded)).toEqual([]);
  }, 120_000);

  it('keeps a replica from reaching the host\'s 127.0.0.1 through its gateway, which it could without the bridge\'s guard', async () => {
    const p = containerProject(PROJECT.replace('replicas: 2', 'replicas: 1'));
    p.ok(['up', '-d', '--wait']);
    // A service of the host bound to loopback only, counting who connects.
    let accepted = 0;
    const secret = createServer((s) => {
      accepted++;
      s.end('secret\n');
    });
    await new Promise<void>((r) => secret.listen(0, '127.0.0.1', () => r()));
    const secretPort = (secret.address() as { port: number }).port;
    try {
      // As root in the replica's network namespace (what NET_ADMIN in it allows): loopback off, 127/8 routed to the gateway.
      const netns = netnsName(p.home, p.project, `${p.project}-web-1`);
      const gateway = /default via (\S+)/.exec(execFileSync('ip', ['-n', netns, 'route', 'show', 'default'], { encoding: 'utf8' }))![1]!;
      execFileSync('ip', ['-n', netns, '-batch', '-'], { input: `addr flush dev lo\nroute add 127.0.0.0/8 via ${gateway} dev eth0 onlink\n` });
      execFileSync('ip', ['netns', 'exec', netns, '/bin/busybox', 'sysctl', '-qw', 'net.ipv4.conf.eth0.route_localnet=1']);
      // Asynchronously: the listener is in this process.
      const attempt = () =>
        new Promise<string>((resolve) => {
          execFile('ip', ['netns', 'exec', netns, '/bin/busybox', 'timeout', '3', '/bin/busybox', 'nc', '127.0.0.1', String(secretPort)], { encoding: 'utf8' }, (_err, stdout) => resolve(stdout));
        });
      expect(await attempt()).not.toContain('secret');
      expect(accepted).toBe(0);

      // Without the guard the same attempt gets through: route_localnet is on for the published port.
      const bridge = p.recorded().find((e) => e.kind === 'link' && e.name.startsWith('tugb'));
      if (bridge?.kind !== 'link') throw new Error('no bridge recorded');
      const guard = ['INPUT', '-i', bridge.name, '-d', '127.0.0.0/8', '-m', 'conntrack', '!', '--ctstate', 'DNAT', '-j', 'DROP', '-m', 'comment', '--comment', `tug ${bridge.name}`];
      expect(readFileSync(`/proc/sys/net/ipv4/conf/${bridge.name}/route_localnet`, 'utf8').trim()).toBe('1');
      execFileSync('iptables', ['-w', '-D', ...guard]);
      try {
        expect(await attempt()).toContain('secret');
        expect(accepted).toBeGreaterThan(0);
      } finally {
        execFileSync('iptables', ['-w', '-I', 'INPUT', '1', ...guard.slice(1)]);
      }
    } finally {
      await new Promise<void>((r) => secret.close(() => r()));
    }
    const recorded = p.recorded();
    p.ok(['down']);
    expect(await leftovers(p.home, p.project, recorded)).toEqual([]);
  }, 90_000);

  it('leaves every connection to the relay with TUG_PORT_FORWARD=proxy', async () => {
    const p = containerProject(PROJECT, {}, { TUG_PORT_FORWARD: 'proxy' });
    p.ok(['up', '-d', '--wait']);
    const port = Number(p.ok(['port', 'web', '8080']).trim().split(':')[1]);
    expect(nftTable(dnatTableName(p.home, p.project))).toBeUndefined();
    const seen = new Set<string>();
    for (let i = 0; i < 4; i++) seen.add(await httpGet(port));
    expect(seen).toEqual(new Set([`${p.project}-web-1`, `${p.project}-web-2`]));
    const recorded = p.recorded();
    p.ok(['down']);
    expect(await leftovers(p.home, p.project, recorded)).toEqual([]);
  }, 90_000);
});
