// Published ports of container replicas: one proxy per port of a SERVICE (not
// per replica), so a fixed host port serves any number of replicas. A
// service's proxies open when its first replica starts and close when none
// runs any more; their backends are the replicas that run and are healthy
// (or have no health check), updated on every change. TCP connections count
// against the engine-wide budget the process-mode forwarders use.
import type { ServiceSpec } from '../../../core/model/types.js';
import type { PublishedPort } from '../../../core/reconcile/observed.js';
import { planListeners, type ListenerPlan } from '../container/proxy/port-plan.js';
import { TcpProxy } from '../container/proxy/tcp-proxy.js';
import { UdpProxy } from '../container/proxy/udp-proxy.js';
import type { ConnectionBudget } from './forward-budget.js';

interface Listener {
  plan: ListenerPlan;
  proxy: TcpProxy | UdpProxy;
}

interface ServiceEntry {
  opening: Promise<Listener[]>;
  listeners: Listener[];
  /** Replica → its address while it may take traffic (running, healthy); null while it runs but may not. */
  members: Map<string, string | null>;
}

export class ServicePorts {
  private readonly services = new Map<string, ServiceEntry>();

  constructor(private readonly budget: ConnectionBudget) {}

  /** Opens the service's listeners unless open; a TugError (port in use, ...) when one cannot be bound. */
  async open(service: string, svc: ServiceSpec): Promise<void> {
    let entry = this.services.get(service);
    if (!entry) {
      const plans = planListeners(service, svc);
      const created: ServiceEntry = { opening: this.openAll(service, plans), listeners: [], members: new Map() };
      entry = created;
      this.services.set(service, entry);
      try {
        created.listeners = await created.opening;
      } catch (err) {
        this.services.delete(service);
        throw err;
      }
      return;
    }
    await entry.opening;
  }

  private async openAll(service: string, plans: ListenerPlan[]): Promise<Listener[]> {
    const out: Listener[] = [];
    try {
      for (const plan of plans) {
        const opts = { service, hostIp: plan.hostIp, candidates: plan.candidates, idleTimeoutMs: this.budget.limits.idleMs, budget: this.budget };
        out.push({ plan, proxy: plan.protocol === 'udp' ? await UdpProxy.open(opts) : await TcpProxy.open(opts) });
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
   * when it no longer runs. The last replica leaving closes the listeners.
   */
  async set(service: string, replica: string, address: string | null | undefined): Promise<void> {
    const entry = this.services.get(service);
    if (!entry) return;
    if (address === undefined) entry.members.delete(replica);
    else entry.members.set(replica, address);
    if (entry.members.size === 0) {
      this.services.delete(service);
      await Promise.all((await entry.opening.catch(() => [])).map((l) => l.proxy.close()));
      return;
    }
    const ready = [...entry.members.values()].filter((a): a is string => a !== null).sort();
    for (const l of entry.listeners) l.proxy.setBackends(ready.map((host) => ({ host, port: l.plan.target })));
  }

  /** The service's published ports as bound (a random one shows its number). */
  published(service: string): PublishedPort[] {
    return (this.services.get(service)?.listeners ?? []).map((l) => ({ hostIp: l.plan.hostIp, published: l.proxy.port, target: l.plan.target, protocol: l.plan.protocol }));
  }

  async closeAll(): Promise<void> {
    const entries = [...this.services.values()];
    this.services.clear();
    await Promise.all(entries.map(async (e) => Promise.all((await e.opening.catch(() => [])).map((l) => l.proxy.close()))));
  }
}
