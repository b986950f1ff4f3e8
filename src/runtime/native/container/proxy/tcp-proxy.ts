// The TCP side of a published port: listens on host_ip:published and relays
// each connection to the next healthy replica (round-robin). A replica that
// refuses or does not answer in time is skipped for the next one. Connections
// are bounded (beyond the bound new ones are refused by the kernel's backlog
// handling: Node closes them) and closed after an idle timeout.
import { connect, createServer, type Server, type Socket } from 'node:net';
import { RoundRobin, type ProxyBackend } from './backends.js';
import { listenFirstFree, type ProxyOptions } from './listen.js';

export class TcpProxy {
  private readonly backends = new RoundRobin();
  private readonly clients = new Set<Socket>();
  private readonly upstreams = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly hostIp: string,
    readonly port: number,
    private readonly opts: ProxyOptions,
  ) {}

  static async open(opts: ProxyOptions): Promise<TcpProxy> {
    // Half-open on both sides: a client that shuts down its write side still gets the whole answer.
    const { server, port } = await listenFirstFree(opts, () => {
      const s = createServer({ allowHalfOpen: true, noDelay: true });
      s.maxConnections = opts.maxConnections ?? 4096;
      return s;
    });
    const proxy = new TcpProxy(server, opts.hostIp, port, opts);
    server.on('connection', (client) => proxy.relay(client));
    return proxy;
  }

  setBackends(backends: readonly ProxyBackend[]): void {
    this.backends.set(backends);
  }

  /** Client connections open now. */
  get connections(): number {
    return this.clients.size;
  }

  private relay(client: Socket): void {
    const budget = this.opts.budget;
    if (budget && !budget.take()) {
      client.destroy();
      return;
    }
    this.clients.add(client);
    client.on('error', () => client.destroy()).on('close', () => {
      this.clients.delete(client);
      budget?.give();
    });
    client.pause();
    this.connectUpstream(client, this.backends.size);
  }

  private connectUpstream(client: Socket, attemptsLeft: number): void {
    const backend = this.backends.pick();
    if (!backend || attemptsLeft <= 0 || client.destroyed) {
      client.destroy();
      return;
    }
    const upstream = connect({ host: backend.host, port: backend.port, allowHalfOpen: true, noDelay: true });
    this.upstreams.add(upstream);
    upstream.on('close', () => this.upstreams.delete(upstream));
    upstream.setTimeout(this.opts.connectTimeoutMs ?? 5_000);
    let connected = false;
    const retry = () => {
      if (connected) return;
      upstream.destroy();
      this.connectUpstream(client, attemptsLeft - 1);
    };
    upstream.once('timeout', retry);
    upstream.once('error', retry);
    upstream.once('connect', () => {
      connected = true;
      upstream.removeAllListeners('timeout');
      upstream.removeAllListeners('error');
      const idle = this.opts.idleTimeoutMs ?? 15 * 60_000;
      const fail = () => {
        client.destroy();
        upstream.destroy();
      };
      upstream.on('error', fail).setTimeout(idle, fail);
      client.on('error', fail).setTimeout(idle, fail);
      relayData(client, upstream);
      relayData(upstream, client);
      client.resume();
    });
  }

  async close(): Promise<void> {
    for (const socket of [...this.clients, ...this.upstreams]) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/**
 * from → to with backpressure and half-close carried across: what pipe()
 * does, minus its per-chunk bookkeeping, which is most of a proxy's cost for
 * small request/response traffic.
 */
function relayData(from: Socket, to: Socket): void {
  from.on('data', (chunk: Buffer) => {
    if (!to.write(chunk)) {
      from.pause();
      to.once('drain', () => from.resume());
    }
  });
  from.once('end', () => to.end());
}
