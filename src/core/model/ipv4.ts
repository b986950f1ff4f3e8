// IPv4 arithmetic: addresses as unsigned 32-bit integers, CIDR networks,
// containment and overlap. Pure; shared by the load-time network checks and
// the native runtime's address management.

export interface Ipv4Net {
  /** Network address as an unsigned 32-bit integer. */
  base: number;
  prefix: number;
}

export function ipToInt(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || Number(part) > 255) return undefined;
    n = n * 256 + Number(part);
  }
  return n;
}

export function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export function mask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** "10.1.0.0/16" → net; a host address with a prefix ("10.1.2.3/16") is refused, as Docker does. */
export function parseCidr(text: string): Ipv4Net | undefined {
  const m = /^([\d.]+)\/(\d{1,2})$/.exec(text.trim());
  if (!m) return undefined;
  const ip = ipToInt(m[1]!);
  const prefix = Number(m[2]);
  if (ip === undefined || prefix > 32) return undefined;
  if (((ip & mask(prefix)) >>> 0) !== ip) return undefined;
  return { base: ip, prefix };
}

export function formatCidr(net: Ipv4Net): string {
  return `${intToIp(net.base)}/${net.prefix}`;
}

export function size(net: Ipv4Net): number {
  return 2 ** (32 - net.prefix);
}

export function contains(net: Ipv4Net, ip: number): boolean {
  return ((ip & mask(net.prefix)) >>> 0) === net.base;
}

export function overlaps(a: Ipv4Net, b: Ipv4Net): boolean {
  const prefix = Math.min(a.prefix, b.prefix);
  return ((a.base & mask(prefix)) >>> 0) === ((b.base & mask(prefix)) >>> 0);
}

/**
 * The MAC address an interface with this IPv4 address gets unless the file
 * sets one: 02:42 then the address's four bytes, as Docker derives it. A
 * replica recreated at the same address has the same MAC, so the neighbour
 * entries the bridge and its peers cached for that address stay right
 * (a random MAC left connections hanging until they went stale).
 */
export function macForAddress(ip: number): string {
  const bytes = [0x02, 0x42, (ip >>> 24) & 0xff, (ip >>> 16) & 0xff, (ip >>> 8) & 0xff, ip & 0xff];
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
}
