// The UDP side of a published port. Each client (address:port) gets a session:
// a socket connected to the replica picked for it, so replies find their way
// back and a client's datagrams stay with one replica. Sessions end after an
// idle timeout, and when their replica leaves the set (so traffic does not keep
// going to a replaced replica's old address, the stale-conntrack problem).
// Idle means 90 s without a datagram either way unless told otherwise, as
// Docker's proxy has it (its UDPConnTrackTimeout). Each session holds a
// socket, so it takes a slot of the engine's forwarding budget like a TCP
// connection does.
import { createSocket, type Socket } from 'node:dgram';
import { after, type Timer } from '../../../../timers.js';
import { RoundRobin, type ProxyBackend } from './backends.js';
import { listenFirstFree, type ProxyOptions } from './listen.js';

export const UDP_IDLE_MS = 90_000;

interface Session {
  socket: Socket;
  backend: ProxyBackend;
  lastSeen: number;
}

export class UdpProxy {
  private readonly backends = new RoundRobin();
  private readonly sessions = new Map<string, Session>();
  private sweeper?: Timer;

  private constructor(
    private readonly server: Socket,
    readonly hostIp: string,
    readonly port: number,
    private readonly opts: ProxyOptions,
  ) {}

  static async open(opts: ProxyOptions): Promise<UdpProxy> {
    const family = opts.hostIp.includes(':') ? 'udp6' : 'udp4';
    const { server, port } = await listenFirstFree(opts, () => createSocket({ type: family }));
    const proxy = new UdpProxy(server, opts.hostIp, port, opts);
    server.on('message', (msg, rinfo) => proxy.forward(msg, rinfo.address, rinfo.port));
    proxy.scheduleSweep();
    return proxy;
  }

  private get idleMs(): number {
    return this.opts.idleTimeoutMs ?? UDP_IDLE_MS;
  }

  setBackends(backends: readonly ProxyBackend[]): void {
    this.backends.set(backends);
    for (const [key, s] of this.sessions) if (!this.backends.has(s.backend)) this.end(key);
  }

  get connections(): number {
    return this.sessions.size;
  }

  private forward(msg: Buffer, address: string, port: number): void {
    const key = `${address}|${port}`;
    let session = this.sessions.get(key);
    if (!session) {
      const backend = this.backends.pick();
      if (!backend || this.sessions.size >= (this.opts.maxConnections ?? 4096)) return;
      if (this.opts.budget && !this.opts.budget.take()) return;
      const socket = createSocket({ type: backend.host.includes(':') ? 'udp6' : 'udp4' });
      socket.on('error', () => this.end(key));
      socket.on('message', (reply) => {
        const s = this.sessions.get(key);
        if (s) s.lastSeen = Date.now();
        this.server.send(reply, port, address);
      });
      socket.connect(backend.port, backend.host);
      session = { socket, backend, lastSeen: Date.now() };
      this.sessions.set(key, session);
    }
    session.lastSeen = Date.now();
    const s = session;
    // Datagrams sent before the connect completes wait for it.
    const send = () => s.socket.send(msg, () => undefined);
    try {
      send();
    } catch {
      s.socket.once('connect', send);
    }
  }

  private end(key: string): void {
    const s = this.sessions.get(key);
    if (!s) return;
    this.sessions.delete(key);
    s.socket.close();
    this.opts.budget?.give();
  }

  private scheduleSweep(): void {
    this.sweeper = after(Math.max(50, this.idleMs / 2), () => {
      const now = Date.now();
      for (const [key, s] of this.sessions) if (now - s.lastSeen > this.idleMs) this.end(key);
      this.scheduleSweep();
    }).unref();
  }

  async close(): Promise<void> {
    this.sweeper?.cancel();
    for (const key of [...this.sessions.keys()]) this.end(key);
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
