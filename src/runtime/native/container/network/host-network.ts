// What tug reads from (and, for forwarding, sets on) the host's network: its
// IPv4 routes, the interfaces of its default routes and their MTU, and
// net.ipv4.ip_forward, which outbound NAT needs (Docker turns it on too).
import { readFileSync, writeFileSync } from 'node:fs';
import { readTextFile } from '../read-file.js';
import { parseProcRoutes, type HostRoute } from './ipam.js';

export interface HostNetwork {
  routes: HostRoute[];
  uplinks: string[];
  /** The smallest MTU of the uplinks (1500 without any): a bigger bridge MTU makes large transfers hang. */
  mtu: number;
}

export function readHostNetwork(): HostNetwork {
  // No IPv4 routing table: no routes, no uplinks.
  const { routes, defaultDevices } = parseProcRoutes(readTextFile('/proc/net/route') ?? '');
  const mtus = defaultDevices.map((dev) => Number(readTextFile(`/sys/class/net/${dev}/mtu`)?.trim() ?? NaN));
  const valid = mtus.filter((m) => Number.isInteger(m) && m >= 576);
  return { routes, uplinks: defaultDevices, mtu: valid.length > 0 ? Math.min(...valid) : 1500 };
}

/** Turns IPv4 forwarding on; returns false when it cannot (then replicas have no way out). */
export function enableForwarding(): boolean {
  try {
    if (readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim() === '1') return true;
    writeFileSync('/proc/sys/net/ipv4/ip_forward', '1');
    return true;
  } catch {
    return false;
  }
}
