// The iptables rules of one tug bridge, as data (pure). Each rule names the
// bridge, so it touches only that bridge's traffic, and all are inserted at the
// top of their chain, ahead of Docker's: Docker sets the FORWARD policy to DROP
// and loads br_netfilter, which would otherwise drop even replica-to-replica
// traffic on one bridge (RUNTIME-FACTS §3.4).
//
//   -i BR -o BR              ACCEPT   replicas on one network reach each other
//   -i BR -o UPLINK          ACCEPT   outbound (not for internal networks)
//   -i UPLINK -o BR  RELATED,ESTABLISHED  ACCEPT   replies to outbound traffic
//   -i BR                    DROP     anything else from the bridge: other networks, docker0, ...
//   -o BR                    DROP     anything else into it
//   nat: -s SUBNET ! -o BR   MASQUERADE  outbound NAT (not for internal networks)
//   INPUT -i BR -d GATEWAY, udp and tcp port 53  ACCEPT   the embedded DNS server,
//                            even behind a host firewall that drops input
//   INPUT -i BR -d 127.0.0.0/8, not DNAT'ed (conntrack)  DROP   the guard of
//                            route_localnet (CVE-2020-8558), as kube-proxy has
//                            it: published ports forwarded by the kernel from
//                            127.0.0.1 (port-dnat.ts) need route_localnet on the
//                            bridge, which would also let a replica reach the
//                            host's loopback-only services through its gateway;
//                            only replies of those forwarded connections pass
//
// Other traffic between the host and its replicas (the DNS server on the
// gateway, the port proxy) is INPUT/OUTPUT, which these rules leave alone.

export interface FirewallRule {
  table: 'filter' | 'nat';
  /** The rule as iptables arguments after -I/-D, starting with the chain. */
  rule: string[];
}

export interface BridgeFirewall {
  bridge: string;
  subnet: string;
  gateway: string;
  internal: boolean;
  /** Interfaces of the host's default routes. */
  uplinks: readonly string[];
}

const COMMENT = (bridge: string) => ['-m', 'comment', '--comment', `tug ${bridge}`];

/** The rules in the order they must end up in their chains. */
export function bridgeRules(fw: BridgeFirewall): FirewallRule[] {
  const c = COMMENT(fw.bridge);
  const forward = (...args: string[]): FirewallRule => ({ table: 'filter', rule: ['FORWARD', ...args, ...c] });
  const rules: FirewallRule[] = [forward('-i', fw.bridge, '-o', fw.bridge, '-j', 'ACCEPT')];
  if (!fw.internal) {
    for (const uplink of fw.uplinks) {
      rules.push(forward('-i', fw.bridge, '-o', uplink, '-j', 'ACCEPT'));
      rules.push(forward('-i', uplink, '-o', fw.bridge, '-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED', '-j', 'ACCEPT'));
    }
  }
  rules.push(forward('-i', fw.bridge, '-j', 'DROP'), forward('-o', fw.bridge, '-j', 'DROP'));
  if (!fw.internal) rules.push({ table: 'nat', rule: ['POSTROUTING', '-s', fw.subnet, '!', '-o', fw.bridge, '-j', 'MASQUERADE', ...c] });
  for (const proto of ['udp', 'tcp']) {
    rules.push({ table: 'filter', rule: ['INPUT', '-i', fw.bridge, '-d', fw.gateway, '-p', proto, '--dport', '53', '-j', 'ACCEPT', ...c] });
  }
  // With every bridge, whether or not route_localnet is ever set on it: the sysctl is then never without its guard.
  rules.push({ table: 'filter', rule: ['INPUT', '-i', fw.bridge, '-d', '127.0.0.0/8', '-m', 'conntrack', '!', '--ctstate', 'DNAT', '-j', 'DROP', ...c] });
  return rules;
}

/**
 * iptables argument lists that insert `rules` at the top of their chains in
 * their order: inserting each at position 1 in reverse achieves that.
 */
export function insertCommands(rules: readonly FirewallRule[]): string[][] {
  return [...rules].reverse().map((r) => ['-w', '-t', r.table, '-I', r.rule[0]!, '1', ...r.rule.slice(1)]);
}

function quote(arg: string): string {
  return /^[\w@%+=:,./!-]+$/.test(arg) ? arg : `"${arg.replace(/(["\\])/g, '\\$1')}"`;
}

/**
 * One `iptables-restore --noflush` input that applies `action` (-I at the top,
 * in the rules' order, or -D) to every rule, table by table: a single process,
 * and all or nothing.
 */
export function restoreInput(rules: readonly FirewallRule[], action: 'insert' | 'delete'): string {
  const tables = [...new Set(rules.map((r) => r.table))];
  const lines: string[] = [];
  for (const table of tables) {
    lines.push(`*${table}`);
    const mine = rules.filter((r) => r.table === table);
    const ordered = action === 'insert' ? [...mine].reverse() : mine;
    for (const r of ordered) {
      const [chain = '', ...rest] = r.rule;
      const head = action === 'insert' ? ['-I', chain, '1'] : ['-D', chain];
      lines.push([...head, ...rest].map(quote).join(' '));
    }
    lines.push('COMMIT');
  }
  return lines.join('\n') + '\n';
}
