// Published TCP ports of container replicas forwarded by the kernel, as data
// (pure): the nftables table of one project, written whole in one `nft -f`
// transaction (dnat-table.ts runs it). The user-space relay stays bound on
// every published port (it claims the port, and serves what these rules do
// not cover); the rules take locally generated connections off it, because
// a relayed request costs about as much CPU as the server answering it.
//
//   nat OUTPUT       to the published address and port (host_ip, or any
//                    local address for 0.0.0.0): DNAT round-robin over the
//                    healthy running replicas (`numgen inc mod N map`; with
//                    the rules in nat, only a connection's first packet is
//                    matched, conntrack carries the rest, and keeps existing
//                    connections where they are when the members change)
//   nat POSTROUTING  127.0.0.0/8 sources DNAT'ed out on a tug bridge are
//                    masqueraded: a replica cannot answer a loopback address
//
// Why a table of tug's own (not iptables chains): it never touches Docker's
// chains, a membership change is one atomic replacement of the table, and
// removal is one object to delete, recorded in the ledger. Why not UDP: a
// UDP flow stays on its replica through conntrack after the replica is gone
// (moby/moby#8795); the relay ends such sessions when their replica leaves.
// Why not PREROUTING (other hosts, other bridges): such traffic reaches the
// relay on the published port as before; nothing here can test it.
//
// Loopback sources on a bridge need net.ipv4.conf.<bridge>.route_localnet=1;
// the guard that makes that safe (CVE-2020-8558) is a rule of the bridge
// (firewall.ts), so it lives exactly as long as the bridge and the sysctl.

export interface ForwardedPort {
  /** The listener's address: 0.0.0.0 (or '') for every local address. */
  hostIp: string;
  /** The bound published port. */
  port: number;
  target: number;
  /** Addresses of the replicas that may take new connections, in a stable order. */
  members: readonly string[];
}

export interface DnatPlan {
  /** The `nft -f` input that replaces the table, or undefined when no port has members (then the table goes). */
  script?: string;
  /** Bridges that carry DNAT'ed loopback traffic: each needs route_localnet. */
  bridges: string[];
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
/** Kernel interface names as tug makes them; anything else is never put in a rule or a /proc path. */
export const INTERFACE_NAME = /^[A-Za-z0-9_.-]{1,15}$/;
/** nft table names tug uses (names.ts dnatTableName). */
export const TABLE_NAME = /^[a-z][a-z0-9_]{0,63}$/;

function isIpv4(address: string): boolean {
  const m = IPV4.exec(address);
  return m !== null && m.slice(1).every((o) => Number(o) <= 255);
}

const isPort = (n: number) => Number.isInteger(n) && n > 0 && n < 65536;

/** Whether the kernel can take this port: an IPv4 (or every) address and a real port. */
export function forwardable(p: Pick<ForwardedPort, 'hostIp' | 'port' | 'target'>): boolean {
  const every = p.hostIp === '' || p.hostIp === '0.0.0.0';
  return (every || isIpv4(p.hostIp)) && isPort(p.port) && isPort(p.target);
}

function destination(p: ForwardedPort): string {
  const match = p.hostIp === '' || p.hostIp === '0.0.0.0' ? 'fib daddr type local' : `ip daddr ${p.hostIp}`;
  return `${match} tcp dport ${p.port}`;
}

function dnatTo(p: ForwardedPort, members: readonly string[]): string {
  if (members.length === 1) return `dnat to ${members[0]}:${p.target}`;
  const map = members.map((m, i) => `${i} : ${m} . ${p.target}`).join(', ');
  return `dnat to numgen inc mod ${members.length} map { ${map} }`;
}

/**
 * The table for `ports` (those the kernel cannot take, or without members,
 * left to the relay). `bridgeOf` names the bridge a member's address is on.
 */
export function planDnat(table: string, ports: readonly ForwardedPort[], bridgeOf: (address: string) => string | undefined): DnatPlan {
  if (!TABLE_NAME.test(table)) throw new Error(`invalid nftables table name ${JSON.stringify(table)}`);
  const rules: string[] = [];
  const bridges = new Set<string>();
  const seen = new Set<string>();
  for (const p of ports) {
    const members = p.members.filter((m) => isIpv4(m) && INTERFACE_NAME.test(bridgeOf(m) ?? ''));
    if (members.length === 0 || !forwardable(p)) continue;
    // One rule per published address and port: a second would never match.
    const key = `${p.hostIp || '0.0.0.0'}:${p.port}`;
    if (seen.has(key)) continue;
    seen.add(key);
    for (const m of members) bridges.add(bridgeOf(m)!);
    rules.push(`    ${destination(p)} ${dnatTo(p, members)}`);
  }
  if (rules.length === 0) return { bridges: [] };
  const out = [...bridges].sort();
  const script = [
    // Create-then-delete makes the delete valid whether or not the table exists; all of it is one transaction.
    `add table ip ${table}`,
    `delete table ip ${table}`,
    `table ip ${table} {`,
    '  chain output {',
    '    type nat hook output priority -100; policy accept;',
    ...rules,
    '  }',
    '  chain postrouting {',
    '    type nat hook postrouting priority 100; policy accept;',
    `    ip saddr 127.0.0.0/8 ct status dnat oifname { ${out.map((b) => `"${b}"`).join(', ')} } masquerade`,
    '  }',
    '}',
  ];
  return { script: script.join('\n') + '\n', bridges: out };
}
