// The published-port proxy with real sockets on 127.0.0.1: round-robin over
// the backends the caller marks healthy, skipping dead ones, one fixed port for
// any number of backends, random ports, ranges, bounds and idle timeouts, TCP
// and UDP. (No root needed: the backends are loopback servers.)
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { TugError } from '../../src/core/errors.js';
import type { ProxyBackend } from '../../src/runtime/native/container/proxy/backends.js';
import { planListeners } from '../../src/runtime/native/container/proxy/port-plan.js';
import { TcpProxy } from '../../src/runtime/native/container/proxy/tcp-proxy.js';
import { UdpProxy } from '../../src/runtime/native/container/proxy/udp-proxy.js';
import { ConnectionBudget } from '../../src/runtime/native/engine/forward-budget.js';
import { sleep } from '../../src/timers.js';
import { freePort, until } from '../helpers/native-env.js';

const closers: (() => unknown)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function nameServer(name: string): Promise<ProxyBackend> {
  const server: Server = createServer((s) => s.end(name));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  closers.push(() => new Promise((r) => server.close(r)));
  return { host: '127.0.0.1', port: (server.address() as { port: number }).port };
}

function ask(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let text = '';
    socket.on('data', (b) => (text += b));
    socket.on('close', () => resolve(text));
    socket.on('error', reject);
  });
}

async function tcpProxy(opts: Partial<Parameters<typeof TcpProxy.open>[0]> = {}): Promise<TcpProxy> {
  const proxy = await TcpProxy.open({ service: 'web', hostIp: '127.0.0.1', candidates: [0], ...opts });
  closers.push(() => proxy.close());
  return proxy;
}

describe('TCP port proxy', () => {
  it('spreads connections round-robin over the healthy backends and follows changes', async () => {
    const backends = [await nameServer('a'), await nameServer('b'), await nameServer('c')];
    const proxy = await tcpProxy();
    proxy.setBackends(backends);
    const answers = [];
    for (let i = 0; i < 6; i++) answers.push(await ask(proxy.port));
    expect(answers).toEqual(['a', 'b', 'c', 'a', 'b', 'c']);
    // b turned unhealthy: the caller drops it from the set.
    proxy.setBackends([backends[0]!, backends[2]!]);
    const after = new Set<string>();
    for (let i = 0; i < 4; i++) after.add(await ask(proxy.port));
    expect(after).toEqual(new Set(['a', 'c']));
  });

  it('skips a backend that refuses, and closes the connection when none is up', async () => {
    const dead: ProxyBackend = { host: '127.0.0.1', port: await freePort() };
    const alive = await nameServer('alive');
    const proxy = await tcpProxy();
    proxy.setBackends([dead, alive, dead]);
    for (let i = 0; i < 3; i++) expect(await ask(proxy.port)).toBe('alive');
    proxy.setBackends([]);
    expect(await ask(proxy.port)).toBe('');
  });

  it('takes the first free port of a range, a random one without a published port, and names a taken one', async () => {
    const taken = await freePort();
    const blocker = createServer().listen(taken, '127.0.0.1');
    closers.push(() => new Promise((r) => blocker.close(r)));
    await new Promise((r) => blocker.once('listening', r));
    const next = await freePort();
    const ranged = await tcpProxy({ candidates: [taken, next] });
    expect(ranged.port).toBe(next);
    const random = await tcpProxy();
    expect(random.port).toBeGreaterThan(0);
    const err = await tcpProxy({ candidates: [taken] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TugError);
    expect((err as TugError).message).toBe(`service web: cannot publish 127.0.0.1:${taken}: already in use`);
  });

  it('carries a client\'s half-close to the replica and the whole of a large answer back to a slow reader', async () => {
    const body = Buffer.alloc(16 << 20, 'x');
    // Answers once the client has sent all it will (FIN), then closes: an upload-then-download protocol.
    const bulk = createServer({ allowHalfOpen: true }, (s) => s.resume().on('end', () => s.end(body)));
    await new Promise<void>((r) => bulk.listen(0, '127.0.0.1', () => r()));
    closers.push(() => new Promise((r) => bulk.close(r)));
    const proxy = await tcpProxy();
    proxy.setBackends([{ host: '127.0.0.1', port: (bulk.address() as { port: number }).port }]);
    const received = await new Promise<number>((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port: proxy.port, allowHalfOpen: true }, () => socket.end());
      let bytes = 0;
      socket.on('data', (b) => {
        bytes += b.length;
        socket.pause();
        void sleep(1).then(() => socket.resume());
      });
      socket.on('end', () => resolve(bytes)).on('error', reject);
    });
    expect(received).toBe(body.length);
  }, 30_000);

  it('closes idle connections and bounds how many are open', async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    closers.push(() => new Promise((r) => silent.close(r)));
    const proxy = await tcpProxy({ idleTimeoutMs: 300, maxConnections: 2 });
    proxy.setBackends([{ host: '127.0.0.1', port: (silent.address() as { port: number }).port }]);
    const started = Date.now();
    const first = ask(proxy.port);
    const second = ask(proxy.port);
    await until(() => proxy.connections === 2, 'two relayed connections');
    // The third is over the bound: closed at once, while the others stay until idle.
    expect(await ask(proxy.port)).toBe('');
    expect(Date.now() - started).toBeLessThan(250);
    await Promise.all([first, second]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(280);
    await until(() => proxy.connections === 0, 'the proxy to let go of them', 2_000, 20);
  });
});

async function udpEcho(name: string): Promise<ProxyBackend> {
  const socket: UdpSocket = createSocket('udp4');
  socket.on('message', (msg, rinfo) => socket.send(`${name}:${msg}`, rinfo.port, rinfo.address));
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
  closers.push(() => new Promise((r) => socket.close(() => r(undefined))));
  return { host: '127.0.0.1', port: socket.address().port };
}

async function udpClient(): Promise<{ send(text: string, port: number): Promise<string>; socket: UdpSocket }> {
  const socket = createSocket('udp4');
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
  closers.push(() => new Promise((r) => socket.close(() => r(undefined))));
  return {
    socket,
    send: (text, port) =>
      new Promise((resolve) => {
        socket.once('message', (m) => resolve(String(m)));
        socket.send(text, port, '127.0.0.1');
      }),
  };
}

describe('UDP port proxy', () => {
  it('gives each client a session with one backend, in turn, ended when the backend leaves or goes idle', async () => {
    const a = await udpEcho('a');
    const b = await udpEcho('b');
    const proxy = await UdpProxy.open({ service: 'dns', hostIp: '127.0.0.1', candidates: [0], idleTimeoutMs: 200 });
    closers.push(() => proxy.close());
    proxy.setBackends([a, b]);
    const one = await udpClient();
    const two = await udpClient();
    expect(await one.send('x', proxy.port)).toBe('a:x');
    expect(await one.send('y', proxy.port)).toBe('a:y');
    expect(await two.send('z', proxy.port)).toBe('b:z');
    expect(proxy.connections).toBe(2);
    proxy.setBackends([b]);
    expect(proxy.connections).toBe(1);
    expect(await one.send('w', proxy.port)).toBe('b:w');
    await until(() => proxy.connections === 0, 'idle sessions to end', 2_000, 50);
  });
  it('takes a slot of the engine\'s forwarding budget per session: past it a new client\'s datagrams are dropped until a slot is free', async () => {
    const a = await udpEcho('a');
    const budget = new ConnectionBudget({ maxConnections: 1, idleMs: 60_000 }, () => undefined);
    const proxy = await UdpProxy.open({ service: 'dns', hostIp: '127.0.0.1', candidates: [0], idleTimeoutMs: 300, budget });
    closers.push(() => proxy.close());
    proxy.setBackends([a]);
    const one = await udpClient();
    const two = await udpClient();
    expect(await one.send('x', proxy.port)).toBe('a:x');
    let answered = false;
    two.socket.once('message', () => (answered = true));
    two.socket.send('dropped', proxy.port, '127.0.0.1');
    // The proxy reads datagrams in order: once one's next answer is back, two's was handled (and dropped).
    expect(await one.send('y', proxy.port)).toBe('a:y');
    expect([proxy.connections, budget.inUse, answered]).toEqual([1, 1, false]);
    await until(() => budget.inUse === 0, 'the idle session to give its slot back', 2_000, 50);
    expect(await two.send('z', proxy.port)).toBe('a:z');
  });
});

describe('published ports as listeners', () => {
  it('maps a service\'s ports: fixed, ranged, random, udp; refuses sctp', () => {
    expect(
      planListeners('web', {
        ports: [
          { mode: 'ingress', target: 8080, published: '80', protocol: 'tcp' },
          { mode: 'ingress', target: 8080, published: '9000-9002', protocol: 'tcp', host_ip: '127.0.0.1' },
          { mode: 'ingress', target: 53, protocol: 'udp' },
        ],
      }),
    ).toEqual([
      { protocol: 'tcp', hostIp: '0.0.0.0', candidates: [80], target: 8080, own: false, index: 0 },
      { protocol: 'tcp', hostIp: '127.0.0.1', candidates: [9000, 9001, 9002], target: 8080, own: true, index: 1 },
      { protocol: 'udp', hostIp: '0.0.0.0', candidates: [0], target: 53, own: false, index: 2 },
    ]);
    expect(() => planListeners('web', { ports: [{ mode: 'ingress', target: 1, protocol: 'sctp' }] })).toThrow(/SCTP/);
  });
});
