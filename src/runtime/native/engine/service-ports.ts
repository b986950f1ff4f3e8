// Published ports of container replicas. A fixed or random port is one proxy
// for the whole SERVICE (not per replica), so a fixed host port serves any
// number of replicas; a port of a published range is a proxy of ONE replica,
// on its own port of the range (container/proxy/port-plan.ts). A service's
// proxies open when its first replica starts and close when none runs any
// more, a replica's own when it stops running; their backends are the
// replicas that run and are healthy (or have no health check), updated on
// every change. TCP connections and UDP sessions count against the
// engine-wide budget the process-mode forwarders use.
//
// Where the kernel can (root, nft; container/network/port-dnat.ts), the TCP
// ports' members are also written to its DNAT rules on every change, so
// connections from this host skip the relay; the relay keeps the port bound
// and serves the rest, and every port while it has no member.
import type { ReplicaSpec } from '../../../core/reconcile/operations.js';
import type { PublishedPort } from '../../../core/reconcile/observed.js';
import type { ForwardedPort } from '../container/network/port-dnat.js';
import { planListeners, type ListenerPlan } from '../container/proxy/port-plan.js';
import { TcpProxy } from '../container/proxy/tcp-proxy.js';
import { UDP_IDLE_MS, UdpProxy } from '../container/proxy/udp-proxy.js';
import type { ConnectionBudget } from './forward-budget.js';

interface Listener {
  plan: ListenerPlan;
  proxy: TcpProxy | UdpProxy;
}

/** Listeners being opened (or open): what `published` reports once they are. */
interface ListenerSet {
  opening: Promise<Listener[]>;
  listeners: Listener[];
}

interface ServiceEntry {
  shared: ListenerSet;
  /** Replica key → its own listeners (ports of published ranges). */
  own: Map<string, ListenerSet>;
  /** Replica key → its address while it may take traffic (running, healthy); null while it runs (or starts) but may not. */
  members: Map<string, string | null>;
}

/** Where the ports' members go besides the relays: the kernel's DNAT rules (network/dnat-table.ts). */
export interface KernelForwarding {
  apply(ports: readonly ForwardedPort[]): void;
}

export class ServicePorts {
  private readonly services = new Map<string, ServiceEntry>();

  constructor(
    private readonly budget: ConnectionBudget,
    private readonly kernel?: KernelForwarding,
  ) {}

  /**
   * Opens the service's listeners unless open, and the replica's own; a
   * TugError (port in use, ...) when one cannot be bound. `key` names the
   * replica in `set` and `published`.
   */
  async open(spec: ReplicaSpec, key: string): Promise<void> {
    const plans = planListeners(spec.service, spec.service_spec, spec.number);
    let entry = this.services.get(spec.service);
    if (!entry) {
      entry = { shared: this.openSet(spec.service, plans.filter((p) => !p.own)), own: new Map(), members: new Map() };
      this.services.set(spec.service, entry);
    }
    const mine = entry.own.get(key) ?? this.openSet(spec.service, plans.filter((p) => p.own));
    entry.own.set(key, mine);
    // A member from now: another replica leaving must not close the listeners this one is about to use.
    if (!entry.members.has(key)) entry.members.set(key, null);
    try {
      await Promise.all([entry.shared.opening, mine.opening]);
    } catch (err) {
      await this.set(spec.service, key, undefined);
      throw err;
    }
    this.route(entry);
  }

  private openSet(service: string, plans: ListenerPlan[]): ListenerSet {
    const set: ListenerSet = { opening: this.openAll(service, plans), listeners: [] };
    set.opening.then((listeners) => (set.listeners = listeners)).catch(() => undefined);
    return set;
  }

  private async openAll(service: string, plans: ListenerPlan[]): Promise<Listener[]> {
    const out: Listener[] = [];
    try {
      for (const plan of plans) {
        const opts = { service, hostIp: plan.hostIp, candidates: plan.candidates, budget: this.budget };
        const idleMs = this.budget.limits.idleMs;
        out.push({
          plan,
          proxy: plan.protocol === 'udp' ? await UdpProxy.open({ ...opts, idleTimeoutMs: Math.min(idleMs, UDP_IDLE_MS) }) : await TcpProxy.open({ ...opts, idleTimeoutMs: idleMs }),
        });
      }
    } catch (err) {
      await Promise.all(out.map((l) => l.proxy.close()));
      throw err;
    }
    return out;
  }

  /**
   * A replica's part in its service's ports: `address` when it may take
   * traffic, null while it runs but may not (unhealthy, starting), undefined
   * when it no longer runs (its own listeners close). The last replica
   * leaving closes the service's listeners.
   */
  async set(service: string, key: string, address: string | null | undefined): Promise<void> {
    const entry = this.services.get(service);
    if (!entry) return;
    const closing: ListenerSet[] = [];
    if (address === undefined) {
      entry.members.delete(key);
      const mine = entry.own.get(key);
      entry.own.delete(key);
      if (mine) closing.push(mine);
    } else {
      entry.members.set(key, address);
    }
    if (entry.members.size === 0) {
      this.services.delete(service);
      closing.push(entry.shared, ...entry.own.values());
    } else {
      this.route(entry);
    }
    // The kernel stops forwarding to them before the listeners close.
    if (closing.length > 0) this.forwardInKernel();
    await Promise.all(closing.map(closeSet));
  }

  /** Every listener's backends: the service's are its ready replicas, a replica's own is that replica when ready. */
  private route(entry: ServiceEntry): void {
    // A service without published ports (most of them) has nothing to route: skipping it keeps
    // 100 replicas starting from costing 100 passes over all their members each.
    if (entry.shared.listeners.length === 0 && !hasOwnListeners(entry)) return;
    const relay = (listeners: readonly Listener[], members: string[]) => {
      for (const l of listeners) l.proxy.setBackends(members.map((host) => ({ host, port: l.plan.target })));
    };
    relay(entry.shared.listeners, readyOf(entry));
    for (const [key, mine] of entry.own) relay(mine.listeners, ownMembers(entry, key));
    this.forwardInKernel();
  }

  /** Every open TCP listener with its members, to the kernel's rules (all services at once: they share one table). */
  private forwardInKernel(): void {
    if (!this.kernel) return;
    const ports: ForwardedPort[] = [];
    const add = (listeners: readonly Listener[], members: string[]) => {
      for (const l of listeners) {
        if (l.plan.protocol === 'tcp') ports.push({ hostIp: l.plan.hostIp, port: l.proxy.port, target: l.plan.target, members });
      }
    };
    for (const entry of this.services.values()) {
      add(entry.shared.listeners, readyOf(entry));
      for (const [key, mine] of entry.own) add(mine.listeners, ownMembers(entry, key));
    }
    this.kernel.apply(ports);
  }

  /** The ports as bound (a random one shows its number): the service's, and replica `key`'s own. */
  published(service: string, key: string): PublishedPort[] {
    const entry = this.services.get(service);
    if (!entry) return [];
    // In the file's order, as Compose lists them.
    return [...entry.shared.listeners, ...(entry.own.get(key)?.listeners ?? [])]
      .sort((a, b) => a.plan.index - b.plan.index)
      .map((l) => ({ hostIp: l.plan.hostIp, published: l.proxy.port, target: l.plan.target, protocol: l.plan.protocol }));
  }

  async closeAll(): Promise<void> {
    const entries = [...this.services.values()];
    this.services.clear();
    this.forwardInKernel();
    await Promise.all(entries.flatMap((e) => [e.shared, ...e.own.values()].map(closeSet)));
  }
}

function readyOf(entry: ServiceEntry): string[] {
  return [...entry.members.values()].filter((a): a is string => a !== null).sort();
}

function hasOwnListeners(entry: ServiceEntry): boolean {
  for (const set of entry.own.values()) if (set.listeners.length > 0) return true;
  return false;
}

/** A replica's own listeners serve that replica alone, while it is ready. */
function ownMembers(entry: ServiceEntry, key: string): string[] {
  const address = entry.members.get(key);
  return address ? [address] : [];
}

async function closeSet(set: ListenerSet): Promise<void> {
  await Promise.all((await set.opening.catch(() => [])).map((l) => l.proxy.close()));
}
