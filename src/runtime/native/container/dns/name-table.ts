// Who answers to which name, per network: the running replicas' endpoints
// (service name, replica name, network aliases, and the `links` aliases their
// clients declared). Pure data and lookups; the server shuffles the answer.
// Like Docker's embedded DNS, a name resolves only to addresses on the networks
// the asking replica is on (whichever gateway it asked), so replicas on other
// networks stay invisible.

export interface Endpoint {
  /** Engine-side network name. */
  network: string;
  replica: string;
  service: string;
  address: string;
  /** Network aliases of the service (`networks.<n>.aliases`). */
  aliases: readonly string[];
  /** `links: ["db:database"]` of this replica: alias → service. */
  links: Readonly<Record<string, string>>;
  /** One-off replicas answer to their own name only, not the service's. */
  oneoff: boolean;
  /** `dns:` of the service: where this replica's other questions go (host resolvers otherwise). */
  dns?: readonly string[];
}

const key = (network: string, replica: string) => `${network}\0${replica}`;

export class NameTable {
  private readonly endpoints = new Map<string, Endpoint>();

  set(endpoint: Endpoint): void {
    this.endpoints.set(key(endpoint.network, endpoint.replica), endpoint);
  }

  remove(network: string, replica: string): void {
    this.endpoints.delete(key(network, replica));
  }

  /** Drops a replica from every network (it stopped). */
  removeReplica(replica: string): void {
    for (const [k, e] of this.endpoints) if (e.replica === replica) this.endpoints.delete(k);
  }

  /** The endpoint asking, by its source address on `network`. */
  client(network: string, address: string): Endpoint | undefined {
    for (const e of this.endpoints.values()) if (e.network === network && e.address === address) return e;
    return undefined;
  }

  /**
   * Addresses on `network` for `name` asked by `client`, or undefined when the
   * name is not the project's (then it is forwarded).
   */
  resolve(network: string, name: string, client?: Endpoint): string[] | undefined {
    const wanted = name.toLowerCase().replace(/\.$/, '');
    const linked = client?.links[wanted];
    const networks = new Set([network]);
    if (client) for (const e of this.endpoints.values()) if (e.replica === client.replica) networks.add(e.network);
    const out: string[] = [];
    for (const e of this.endpoints.values()) {
      if (!networks.has(e.network)) continue;
      const own = e.replica.toLowerCase() === wanted || (!e.oneoff && (e.service.toLowerCase() === wanted || e.aliases.some((a) => a.toLowerCase() === wanted)));
      const viaLink = linked !== undefined && !e.oneoff && e.service === linked;
      if (own || viaLink) out.push(e.address);
    }
    // A link alias of the asking replica is the project's even while its service has no replica up.
    return out.length > 0 ? out : linked !== undefined ? [] : undefined;
  }
}
