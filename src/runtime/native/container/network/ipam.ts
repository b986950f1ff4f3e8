// IPv4 address management for tug's bridges. Pure: the host's routes and the
// subnets already taken come in as data. A network gets its subnet from
// `ipam.config` (checked against the host's routes and the project's other
// networks) or from tug's pool, which avoids both and Docker's default pools;
// replicas get the gateway-free addresses of the subnet (or of `ip_range`),
// or their `ipv4_address`, checked to lie inside it.
import { TugError, type PathSegment } from '../../../../core/errors.js';

import { contains, formatCidr, intToIp, ipToInt, mask, overlaps, parseCidr, size, type Ipv4Net } from '../../../../core/model/ipv4.js';

export { contains, formatCidr, intToIp, ipToInt, overlaps, parseCidr, size, type Ipv4Net };

/** A route of the host (from /proc/net/route), for collision checks and error messages. */
export interface HostRoute {
  net: Ipv4Net;
  device: string;
}

/** Docker's default address pools (moby ipamutils): a tug subnet never lands there. */
export const DOCKER_POOLS: Ipv4Net[] = ['172.17.0.0/16', '172.18.0.0/15', '172.20.0.0/14', '172.24.0.0/14', '172.28.0.0/14', '192.168.0.0/16'].map((c) => parseCidr(c)!);

/** tug's pool: /20 subnets (4094 replicas each) of 10.208.0.0/12, clear of Docker's and the common private defaults. */
export const TUG_POOL = { net: parseCidr('10.208.0.0/12')!, prefix: 20 };

export interface SubnetAllocation {
  subnet: Ipv4Net;
  gateway: number;
  /** The range replicas draw addresses from (ip_range, or the whole subnet). */
  range: Ipv4Net;
}

export interface NetworkRequest {
  /** The Compose key, for error paths (networks.<key>.ipam.config[0]). */
  key: string;
  ipamConfig?: readonly Record<string, unknown>[];
  /** A number spreading networks over the pool (a hash of the network's name), so names keep their subnet. */
  seed: number;
}

function ipamError(key: string, path: PathSegment[], message: string, hint?: string): TugError {
  return new TugError({ code: 'network.ipam', message: `network ${key}: ${message}`, path: ['networks', key, 'ipam', 'config', 0, ...path], hint });
}

function routeText(route: HostRoute): string {
  return `${formatCidr(route.net)} on ${route.device}`;
}

/**
 * A subnet for one network: the configured one (checked), else the first free
 * /20 of tug's pool starting at `seed`. `taken` are subnets other networks hold.
 */
export function allocateSubnet(req: NetworkRequest, routes: readonly HostRoute[], taken: readonly Ipv4Net[]): SubnetAllocation {
  const config = req.ipamConfig?.find((c) => typeof c.subnet === 'string' && !String(c.subnet).includes(':'));
  if (config) return configuredSubnet(req.key, config, routes, taken);
  const count = size(TUG_POOL.net) / 2 ** (32 - TUG_POOL.prefix);
  for (let i = 0; i < count; i++) {
    const index = (req.seed + i) % count;
    const subnet: Ipv4Net = { base: (TUG_POOL.net.base + index * 2 ** (32 - TUG_POOL.prefix)) >>> 0, prefix: TUG_POOL.prefix };
    if (routes.some((r) => overlaps(r.net, subnet)) || taken.some((t) => overlaps(t, subnet)) || DOCKER_POOLS.some((d) => overlaps(d, subnet))) continue;
    return { subnet, gateway: subnet.base + 1, range: subnet };
  }
  throw new TugError({
    code: 'network.pool-exhausted',
    message: `network ${req.key}: no free subnet left in ${formatCidr(TUG_POOL.net)}`,
    path: ['networks', req.key],
    hint: 'set ipam.config[].subnet for the network, or remove unused networks',
  });
}

function configuredSubnet(key: string, config: Record<string, unknown>, routes: readonly HostRoute[], taken: readonly Ipv4Net[]): SubnetAllocation {
  const text = String(config.subnet);
  const subnet = parseCidr(text);
  if (!subnet || subnet.prefix > 30) {
    throw ipamError(key, ['subnet'], `invalid subnet ${JSON.stringify(text)}`, 'an IPv4 network address with a prefix of at most /30, e.g. 10.5.0.0/24');
  }
  const route = routes.find((r) => overlaps(r.net, subnet));
  if (route) {
    throw ipamError(key, ['subnet'], `subnet ${text} collides with the host route ${routeText(route)}`, 'choose a subnet this machine does not use (see `ip route`)');
  }
  const other = taken.find((t) => overlaps(t, subnet));
  if (other) throw ipamError(key, ['subnet'], `subnet ${text} overlaps ${formatCidr(other)}, which another network uses`, 'give each network its own subnet');
  let gateway = subnet.base + 1;
  if (typeof config.gateway === 'string') {
    const gw = ipToInt(config.gateway);
    if (gw === undefined || !contains(subnet, gw) || gw === subnet.base || gw === subnet.base + size(subnet) - 1) {
      throw ipamError(key, ['gateway'], `gateway ${config.gateway} is not a host address of subnet ${text}`);
    }
    gateway = gw;
  }
  let range = subnet;
  if (typeof config.ip_range === 'string') {
    const r = parseCidr(config.ip_range);
    if (!r || !contains(subnet, r.base) || r.prefix < subnet.prefix) throw ipamError(key, ['ip_range'], `ip_range ${config.ip_range} is not inside subnet ${text}`);
    range = r;
  }
  return { subnet, gateway, range };
}

/** Subnets of a project's networks must not overlap one another either. */
export function checkDistinct(allocations: readonly { key: string; subnet: Ipv4Net }[]): void {
  for (let i = 0; i < allocations.length; i++) {
    for (let j = i + 1; j < allocations.length; j++) {
      const a = allocations[i]!;
      const b = allocations[j]!;
      if (overlaps(a.subnet, b.subnet)) {
        throw ipamError(b.key, ['subnet'], `subnet ${formatCidr(b.subnet)} overlaps subnet ${formatCidr(a.subnet)} of network ${a.key}`, 'give each network its own subnet');
      }
    }
  }
}

/** Addresses in use on one network: the gateway and every replica's. */
export class AddressBook {
  private readonly used = new Map<number, string>();

  constructor(readonly key: string, readonly allocation: SubnetAllocation) {
    this.used.set(allocation.gateway, '(gateway)');
  }

  /** Claims `ipv4_address` for `owner`, or the next free address of the range. */
  claim(owner: string, requested?: string, path: PathSegment[] = []): number {
    const { subnet, range } = this.allocation;
    if (requested !== undefined) {
      const ip = ipToInt(requested);
      const broadcast = subnet.base + size(subnet) - 1;
      const error = (why: string, hint?: string) => new TugError({ code: 'network.address', message: `${owner}: ipv4_address ${requested} ${why}`, path, hint });
      if (ip === undefined) throw error('is not an IPv4 address');
      if (!contains(subnet, ip)) throw error(`is outside the subnet ${formatCidr(subnet)} of network ${this.key}`, `choose an address in ${formatCidr(subnet)}`);
      if (ip === subnet.base || ip === broadcast) throw error(`is the ${ip === subnet.base ? 'network' : 'broadcast'} address of ${formatCidr(subnet)}`);
      const holder = this.used.get(ip);
      if (holder !== undefined && holder !== owner) throw error(`is already taken by ${holder}`);
      this.used.set(ip, owner);
      return ip;
    }
    for (const [ip, holder] of this.used) if (holder === owner) return ip;
    const first = Math.max(range.base, subnet.base + 1);
    const last = Math.min(range.base + size(range) - 1, subnet.base + size(subnet) - 2);
    for (let ip = first; ip <= last; ip++) {
      if (!this.used.has(ip)) {
        this.used.set(ip, owner);
        return ip;
      }
    }
    throw new TugError({ code: 'network.full', message: `network ${this.key}: no free address left in ${formatCidr(range)} for ${owner}`, path: ['networks', this.key], hint: 'use a larger subnet or ip_range' });
  }

  release(owner: string): void {
    for (const [ip, holder] of this.used) if (holder === owner) this.used.delete(ip);
  }
}

/** /proc/net/route → the host's IPv4 routes, the default route(s) excluded. Addresses are little-endian hex. */
export function parseProcRoutes(text: string): { routes: HostRoute[]; defaultDevices: string[] } {
  const routes: HostRoute[] = [];
  const defaultDevices: string[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 8) continue;
    const le = (hex: string) => {
      const n = parseInt(hex, 16);
      return (((n & 255) << 24) | (((n >>> 8) & 255) << 16) | (((n >>> 16) & 255) << 8) | ((n >>> 24) & 255)) >>> 0;
    };
    const dest = le(f[1]!);
    const maskBits = le(f[7]!);
    // A contiguous mask's prefix is its count of leading ones.
    const prefix = Math.clz32(~maskBits);
    if (maskBits === 0) {
      if (!defaultDevices.includes(f[0]!)) defaultDevices.push(f[0]!);
      continue;
    }
    routes.push({ net: { base: (dest & mask(prefix)) >>> 0, prefix }, device: f[0]! });
  }
  return { routes, defaultDevices };
}
