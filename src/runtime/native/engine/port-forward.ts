// Published ports in process mode. Replicas share the host network, so a port
// published as itself needs nothing: the replica binds it. When published ≠
// target, the engine listens on host_ip:published and relays each TCP
// connection to 127.0.0.1:target for as long as the replica runs (restarts
// included), with the port proxy of container mode (container/proxy/tcp-proxy.ts).
// UDP/SCTP cannot be relayed this simply, so such mappings are refused at create.
// How many connections are relayed at once, and when an idle one is closed:
// forward-budget.ts.
import { TugError } from '../../../core/errors.js';
import type { PublishedPort } from '../../../core/reconcile/observed.js';
import type { ReplicaSpec } from '../../../core/reconcile/operations.js';
import { replicaCandidates } from '../../../core/model/port-range.js';
import { TcpProxy } from '../container/proxy/tcp-proxy.js';
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
    // A range: the replica's own port of it (the preflight made sure there is one).
    const candidates = port.published ? replicaCandidates(port.published, spec.number) : [port.target];
    if (!candidates) throw new TugError({ code: 'engine.port', message: `service ${spec.service}: no port of "${port.published}" for replica ${spec.number}` });
    if (candidates[0] === port.target) {
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

/** A published port ≠ target: the port proxy with the replica's 127.0.0.1:target as its one backend. */
export class PortForwarder {
  private constructor(
    private readonly proxy: TcpProxy,
    readonly target: number,
  ) {}

  /** Listens on the first free candidate; rejects with a clear error when none is. */
  static async open(spec: ForwardSpec, service: string, budget: ConnectionBudget): Promise<PortForwarder> {
    const proxy = await TcpProxy.open({ service, hostIp: spec.hostIp, candidates: spec.candidates, budget, idleTimeoutMs: budget.limits.idleMs });
    proxy.setBackends([{ host: '127.0.0.1', port: spec.target }]);
    return new PortForwarder(proxy, spec.target);
  }

  get port(): PublishedPort {
    return { hostIp: this.proxy.hostIp, published: this.proxy.port, target: this.target, protocol: 'tcp' };
  }

  close(): Promise<void> {
    return this.proxy.close();
  }
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
