// A running replica's DNS endpoints, one per network it is on: what the engine
// puts in the NameTable when the replica starts (and removes when it stops).
// Pure.
import type { ServiceNetworkSpec } from '../../../../core/model/types.js';
import type { ReplicaSpec } from '../../../../core/reconcile/operations.js';
import type { Endpoint } from './name-table.js';

export interface EndpointAddress {
  /** Engine-side network name. */
  network: string;
  /** Compose key of the network. */
  key: string;
  address: string;
}

/** `links: [db, "db:database"]` → {db: "db", database: "db"}. */
export function linkAliases(links: readonly string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const link of links ?? []) {
    const [service = '', alias = service] = link.split(':');
    if (service !== '') out[alias.toLowerCase()] = service;
  }
  return out;
}

export function replicaEndpoints(spec: ReplicaSpec, addresses: readonly EndpointAddress[]): Endpoint[] {
  const svc = spec.service_spec;
  const links = linkAliases(svc.links);
  const dns = Array.isArray(svc.dns) ? svc.dns.map(String) : undefined;
  return addresses.map((a) => {
    const attachment = (svc.networks?.[a.key] ?? null) as ServiceNetworkSpec | null;
    const endpoint: Endpoint = {
      network: a.network,
      replica: spec.name,
      service: spec.service,
      address: a.address,
      aliases: attachment?.aliases ?? [],
      links,
      oneoff: spec.oneoff,
    };
    if (dns && dns.length > 0) endpoint.dns = dns;
    return endpoint;
  });
}
