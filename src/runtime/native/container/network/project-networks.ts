// A project's networks in container mode: subnets from IPAM, one bridge each,
// an address book per network, and the attachments of its replicas (which
// network, which address, which interface). The engine owns one instance per
// project; every kernel object goes through the ledger.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { TugError } from '../../../../core/errors.js';
import type { NetworkSpec, ServiceNetworkSpec } from '../../../../core/model/types.js';
import type { ReplicaSpec } from '../../../../core/reconcile/operations.js';
import { projectPaths } from '../../home.js';
import type { Ledger } from '../ledger.js';
import { bridgeName, netnsName, vethName } from '../names.js';
import { sweep, type SweepContext } from '../sweep.js';
import { attachReplicas, netnsPath, type AttachRequest, type LinkPlan } from './attach.js';
import { createBridges, type NetTools, type NetworkPlan } from './bridges.js';
import { readHostNetwork, type HostNetwork } from './host-network.js';
import { AddressBook, allocateSubnet, checkDistinct, intToIp, overlaps, type Ipv4Net } from './ipam.js';
import { macForAddress } from '../../../../core/model/ipv4.js';

export interface NetworkDefinition {
  key: string;
  /** Engine-side name (`<project>_<key>`). */
  name: string;
  spec: NetworkSpec;
}

export interface ReplicaAddress {
  network: string;
  key: string;
  address: string;
  ifname: string;
}

export interface ProjectNetworksOptions {
  home: string;
  project: string;
  ledger: Ledger;
  tools: NetTools;
  sweep: SweepContext;
  /** The host's network; read from /proc when not given. */
  host?: () => HostNetwork;
}

function seedOf(...parts: string[]): number {
  return parseInt(createHash('sha256').update(parts.join('\0')).digest('hex').slice(0, 8), 16);
}

export class ProjectNetworks {
  private readonly plans = new Map<string, NetworkPlan>();
  private readonly books = new Map<string, AddressBook>();
  private readonly readHost: () => HostNetwork;

  constructor(private readonly opts: ProjectNetworksOptions) {
    this.readHost = opts.host ?? readHostNetwork;
  }

  plan(name: string): NetworkPlan | undefined {
    return this.plans.get(name);
  }

  /**
   * Creates bridges for the networks not created yet. A subnet from the pool
   * that another project took in the meantime (its route appeared) is given
   * back and the next one tried, so parallel `up`s cannot end on one subnet.
   */
  async create(defs: readonly NetworkDefinition[]): Promise<NetworkPlan[]> {
    const fresh = defs.filter((d) => !this.plans.has(d.name));
    const made: NetworkPlan[] = [];
    let pending = fresh.map((d) => ({ def: d, bump: 0 }));
    for (let attempt = 0; pending.length > 0; attempt++) {
      const host = this.readHost();
      const planned = pending.map(({ def, bump }) => ({ def, bump, plan: this.planOne(def, host, [...this.plans.values(), ...made], bump) }));
      checkDistinct([...this.plans.values(), ...made, ...planned.map((p) => p.plan)].map((p) => ({ key: p.key, subnet: p.allocation.subnet })));
      try {
        await createBridges(planned.map((p) => p.plan), this.opts.ledger, this.opts.tools);
      } catch (err) {
        for (const p of planned) await sweep(this.opts.ledger, this.opts.sweep, p.plan.name);
        throw err;
      }
      const after = this.readHost();
      pending = [];
      for (const p of planned) {
        const configured = p.def.spec.ipam?.config?.some((c) => typeof c.subnet === 'string');
        const clash = after.routes.find((r) => r.device !== p.plan.bridge && overlaps(r.net, p.plan.allocation.subnet));
        if (clash && !configured && attempt < 8) {
          await sweep(this.opts.ledger, this.opts.sweep, p.plan.name);
          pending.push({ def: p.def, bump: p.bump + 1 });
        } else made.push(p.plan);
      }
    }
    for (const plan of made) {
      this.plans.set(plan.name, plan);
      this.books.set(plan.name, new AddressBook(plan.key, plan.allocation));
    }
    return made;
  }

  private planOne(def: NetworkDefinition, host: HostNetwork, others: readonly NetworkPlan[], bump: number): NetworkPlan {
    if (def.spec.driver && def.spec.driver !== 'bridge') {
      throw new TugError({
        code: 'network.driver',
        message: `network ${def.key}: driver "${def.spec.driver}" is not supported by tug's container runtime`,
        path: ['networks', def.key, 'driver'],
        hint: 'use the bridge driver (the default)',
      });
    }
    const taken: Ipv4Net[] = others.map((p) => p.allocation.subnet);
    const allocation = allocateSubnet({ key: def.key, ipamConfig: def.spec.ipam?.config, seed: seedOf(this.opts.home, this.opts.project, def.name) + bump }, host.routes, taken);
    return {
      key: def.key,
      name: def.name,
      bridge: bridgeName(this.opts.home, this.opts.project, def.name),
      allocation,
      internal: def.spec.internal === true,
      mtu: host.mtu,
      uplinks: host.uplinks,
    };
  }

  /** Addresses and interfaces for a replica on its networks (highest priority first, as Compose orders them). */
  planAttachment(spec: ReplicaSpec): AttachRequest {
    const entries = Object.entries(spec.service_spec.networks ?? {}) as [string, ServiceNetworkSpec | null][];
    const priority = (a: ServiceNetworkSpec | null) => (typeof a?.priority === 'number' ? a.priority : 0);
    entries.sort(([ka, a], [kb, b]) => priority(b) - priority(a) || (ka < kb ? -1 : ka > kb ? 1 : 0));
    const links: LinkPlan[] = [];
    try {
      entries.forEach(([key, attachment], i) => {
        const name = spec.networkNames[key] ?? key;
        const plan = this.plans.get(name);
        const book = this.books.get(name);
        if (!plan || !book) throw new TugError({ code: 'network.missing', message: `service ${spec.service}: network ${key} has not been created` });
        const path = ['services', spec.service, 'networks', key, 'ipv4_address'];
        const ip = book.claim(spec.name, attachment?.ipv4_address, path);
        const mac = typeof spec.service_spec.mac_address === 'string' && i === 0 ? spec.service_spec.mac_address : macForAddress(ip);
        const link: LinkPlan = { network: plan, veth: vethName(this.opts.home, this.opts.project, spec.name, name), ifname: `eth${i}`, address: intToIp(ip), mac };
        links.push(link);
      });
    } catch (err) {
      this.release(spec.name);
      throw err;
    }
    return { owner: spec.name, netns: netnsName(this.opts.home, this.opts.project, spec.name), links };
  }

  async attach(reqs: readonly AttachRequest[]): Promise<void> {
    try {
      const scratch = join(projectPaths(this.opts.home, this.opts.project).dir, 'netns-batch');
      this.opts.ledger.add([{ owner: this.opts.project, kind: 'dir', path: scratch }]);
      await attachReplicas(reqs, this.opts.ledger, this.opts.tools, scratch);
    } catch (err) {
      for (const r of reqs) await this.detach(r.owner);
      throw err;
    }
  }

  /** Removes a replica's namespace and veths and frees its addresses. */
  async detach(replica: string): Promise<string[]> {
    this.release(replica);
    return sweep(this.opts.ledger, this.opts.sweep, replica);
  }

  release(replica: string): void {
    for (const book of this.books.values()) book.release(replica);
  }

  /** Removes a network's bridge and rules (after its replicas are gone). */
  async remove(name: string): Promise<string[]> {
    this.plans.delete(name);
    this.books.delete(name);
    return sweep(this.opts.ledger, this.opts.sweep, name);
  }

  addresses(req: AttachRequest): ReplicaAddress[] {
    return req.links.map((l) => ({ network: l.network.name, key: l.network.key, address: l.address, ifname: l.ifname }));
  }
}

export { netnsPath };
