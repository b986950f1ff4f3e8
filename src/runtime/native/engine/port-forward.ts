// Published ports in process mode. Replicas share the host network, so a port
// published as itself needs nothing: the replica binds it. When published ≠
// target, the engine listens on host_ip:published and pipes each TCP connection
// to 127.0.0.1:target for as long as the replica runs (restarts included).
// UDP/SCTP cannot be relayed this simply, so such mappings are refused at create.
// How many connections are relayed at once, and when an idle one is closed:
// forward-budget.ts.
import { createServer, connect, type Server, type Socket } from 'node:net';
import { TugError } from '../../../core/errors.js';
import type { PublishedPort } from '../../../core/reconcile/observed.js';
import type { ReplicaSpec } from '../../../core/reconcile/operations.js';
import { publishedCandidates } from '../../../core/model/port-range.js';
import { after, type Timer } from '../../../timers.js';
import type { ConnectionBudget } from './forward-budget.js';

export interface ForwardSpec {
  hostIp: string;
  /** Ports to try in order (a published range gives several). */
  candidates: number[];
  target: number;
}

export interface PortPlan {
  /** As reported before start; forwarded entries are updated with the bound port. */
  published: PublishedPort[];
  forwards: ForwardSpec[];
}

export function planPorts(spec: ReplicaSpec): PortPlan {
  const plan: PortPlan = { published: [], forwards: [] };
  for (const port of spec.service_spec.ports ?? []) {
    const hostIp = port.host_ip ?? '0.0.0.0';
    // No published port: Docker picks a random one; here the replica binds target itself.
    const candidates = port.published ? publishedCandidates(port.published) : [port.target];
    if (!candidates) throw new TugError({ code: 'engine.port', message: `service ${spec.service}: invalid published port "${port.published}"` });
    if (candidates.includes(port.target)) {
      plan.published.push({ hostIp, published: port.target, target: port.target, protocol: port.protocol });
      continue;
    }
    if (port.protocol !== 'tcp') {
      throw new TugError({
        code: 'engine.port-forward',
        message: `service ${spec.service}: cannot publish ${port.published}:${port.target}/${port.protocol}: the native runtime forwards only TCP when the published port differs from the target`,
        hint: `publish the port as itself ("${port.target}:${port.target}/${port.protocol}") or use the docker backend`,
      });
    }
    plan.forwards.push({ hostIp, candidates, target: port.target });
    plan.published.push({ hostIp, published: candidates[0]!, target: port.target, protocol: 'tcp' });
  }
  return plan;
}

/** One relayed connection: the client's socket and ours to the replica. */
interface Pair {
  client: Socket;
  upstream: Socket;
  lastActive: number;
}

export class PortForwarder {
  private readonly pairs = new Set<Pair>();
  private sweeper: Timer | undefined;

  private constructor(
    private readonly server: Server,
    private readonly budget: ConnectionBudget,
    readonly hostIp: string,
    readonly published: number,
    readonly target: number,
  ) {}

  /** Listens on the first free candidate; rejects with a clear error when none is. */
  static async open(spec: ForwardSpec, service: string, budget: ConnectionBudget): Promise<PortForwarder> {
    let lastError: Error | undefined;
    for (const port of spec.candidates) {
      // Half-open on both sides, so a client that shuts down its write side
      // (FIN) still receives the whole answer; pipe() carries each FIN across.
      const server = createServer({ allowHalfOpen: true });
      try {
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen({ host: spec.hostIp, port, exclusive: true }, () => resolve());
        });
      } catch (err) {
        lastError = err as Error;
        server.close();
        continue;
      }
      const forwarder = new PortForwarder(server, budget, spec.hostIp, port, spec.target);
      server.on('connection', (client) => forwarder.relay(client));
      server.on('error', () => undefined);
      return forwarder;
    }
    const why = (lastError as NodeJS.ErrnoException | undefined)?.code === 'EADDRINUSE' ? 'already in use' : lastError?.message;
    throw new TugError({
      code: 'engine.port-in-use',
      message: `service ${service}: cannot publish ${spec.hostIp}:${spec.candidates.join('-')} → ${spec.target}: ${why}`,
    });
  }

  private relay(client: Socket): void {
    if (!this.budget.take()) {
      client.destroy(); // at the cap: refused, so the engine keeps descriptors for its own work
      return;
    }
    const upstream = connect({ host: '127.0.0.1', port: this.target, allowHalfOpen: true });
    const pair: Pair = { client, upstream, lastActive: Date.now() };
    this.pairs.add(pair);
    let open = 2;
    const closed = (): void => {
      if (--open > 0) return;
      this.pairs.delete(pair);
      this.budget.give();
    };
    const touch = (): void => {
      pair.lastActive = Date.now();
    };
    // An error on either side (e.g. the replica is not listening yet) tears down
    // both: a half-dead pair would leave the peer hanging.
    const fail = (): void => destroyPair(pair);
    client.on('error', fail).on('close', closed).on('data', touch);
    upstream.on('error', fail).on('close', closed).on('data', touch);
    client.pipe(upstream);
    upstream.pipe(client);
    this.sweeper ??= this.armSweeper();
  }

  /** Closes pairs idle for the budget's idleMs; runs while any pair is open. */
  private armSweeper(): Timer {
    const { idleMs } = this.budget.limits;
    const every = Math.min(60_000, Math.max(25, idleMs / 4));
    return after(every, () => {
      this.sweeper = undefined;
      const now = Date.now();
      for (const pair of this.pairs) if (now - pair.lastActive >= idleMs) destroyPair(pair);
      if (this.pairs.size > 0) this.sweeper = this.armSweeper();
    });
  }

  get port(): PublishedPort {
    return { hostIp: this.hostIp, published: this.published, target: this.target, protocol: 'tcp' };
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
  pair.upstream.destroy();
}

/** Opens every forwarder or none: a failure closes those already open. */
export async function openForwarders(specs: ForwardSpec[], service: string, budget: ConnectionBudget): Promise<PortForwarder[]> {
  const opened: PortForwarder[] = [];
  try {
    for (const spec of specs) opened.push(await PortForwarder.open(spec, service, budget));
  } catch (err) {
    await Promise.all(opened.map((f) => f.close()));
    throw err;
  }
  return opened;
}
