// The TCP side of a published port: listens on host_ip:published and relays
// each connection to the next healthy replica (round-robin). A replica that
// refuses or does not answer in time is skipped for the next one. Connections
// are bounded (past the bound a new one is accepted and closed at once) and
// closed after an idle timeout. Process mode's forwarder (engine/port-forward.ts)
// is this proxy with one backend.
//
// Cost: a relayed request costs about as much CPU as the HTTP server answering
// it (bench/proxy.mjs measures both), nearly all of it the four socket system
// calls. So the relay adds nothing per chunk of its own: no pipe() bookkeeping,
// no per-socket timer re-armed on every read and write; idleness is judged by
// one sweep over the byte counters the sockets keep anyway.
import { connect, createServer, type Server, type Socket } from 'node:net';
import { after, type Timer } from '../../../../timers.js';
import { RoundRobin, type ProxyBackend } from './backends.js';
import { listenFirstFree, type ProxyOptions } from './listen.js';

/** One relayed connection, and the byte count it had when last seen moving. */
interface Pair {
  client: Socket;
  upstream?: Socket;
  bytes: number;
  movedAt: number;
}

export class TcpProxy {
  private readonly backends = new RoundRobin();
  private readonly pairs = new Set<Pair>();
  private sweeper: Timer | undefined;

  private constructor(
    private readonly server: Server,
    readonly hostIp: string,
    readonly port: number,
    private readonly opts: ProxyOptions,
  ) {}

  static async open(opts: ProxyOptions): Promise<TcpProxy> {
    // Half-open on both sides: a client that shuts down its write side still
    // gets the whole answer. Paused on accept: nothing is read before there is
    // somewhere to send it.
    const { server, port } = await listenFirstFree(opts, () => {
      const s = createServer({ allowHalfOpen: true, noDelay: true, pauseOnConnect: true });
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
    return this.pairs.size;
  }

  private get idleMs(): number {
    return this.opts.idleTimeoutMs ?? 15 * 60_000;
  }

  private relay(client: Socket): void {
    const budget = this.opts.budget;
    if (budget && !budget.take()) {
      client.destroy();
      return;
    }
    const pair: Pair = { client, bytes: 0, movedAt: Date.now() };
    this.pairs.add(pair);
    // A side that closes normally has ended both ways, and so has the other
    // (each end is carried across): only an error tears the pair down, since
    // destroying a socket drops what it still has to write.
    client.on('error', () => destroyPair(pair)).on('close', () => {
      this.pairs.delete(pair);
      budget?.give();
    });
    this.sweeper ??= this.armSweeper();
    this.connectUpstream(pair, this.backends.size);
  }

  private connectUpstream(pair: Pair, attemptsLeft: number): void {
    const { client } = pair;
    const backend = this.backends.pick();
    if (!backend || attemptsLeft <= 0 || client.destroyed) {
      client.destroy();
      return;
    }
    const upstream = connect({ host: backend.host, port: backend.port, allowHalfOpen: true, noDelay: true });
    pair.upstream = upstream;
    upstream.setTimeout(this.opts.connectTimeoutMs ?? 5_000);
    let connected = false;
    const retry = () => {
      if (connected) return;
      upstream.destroy();
      this.connectUpstream(pair, attemptsLeft - 1);
    };
    upstream.once('timeout', retry);
    upstream.once('error', retry);
    upstream.once('connect', () => {
      connected = true;
      upstream.setTimeout(0);
      upstream.removeAllListeners('timeout');
      upstream.removeAllListeners('error');
      // An error on either side tears down both: a half-dead pair would leave the peer hanging.
      upstream.on('error', () => destroyPair(pair));
      if (client.destroyed) {
        upstream.destroy();
        return;
      }
      relayData(client, upstream);
      relayData(upstream, client);
      client.resume();
    });
  }

  /**
   * Closes pairs whose byte counts have not moved for idleMs. Runs while any
   * pair is open, a few times per idle period: a pair is closed between idleMs
   * and 1.25 × idleMs after its last byte.
   */
  private armSweeper(): Timer {
    const every = Math.min(60_000, Math.max(25, this.idleMs / 4));
    return after(every, () => {
      this.sweeper = undefined;
      const now = Date.now();
      for (const pair of this.pairs) {
        const bytes = pair.client.bytesRead + pair.client.bytesWritten;
        if (bytes !== pair.bytes) {
          pair.bytes = bytes;
          pair.movedAt = now;
        } else if (now - pair.movedAt >= this.idleMs) {
          destroyPair(pair);
        }
      }
      if (this.pairs.size > 0) this.sweeper = this.armSweeper();
    }).unref();
  }

  async close(): Promise<void> {
    this.sweeper?.cancel();
    this.sweeper = undefined;
    for (const pair of this.pairs) destroyPair(pair);
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

function destroyPair(pair: Pair): void {
  pair.client.destroy();
  pair.upstream?.destroy();
}

/**
 * from → to with backpressure and half-close carried across: what pipe()
 * does, minus its per-chunk bookkeeping.
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
