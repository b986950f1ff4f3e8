// One Linux bridge per project network: created with its gateway address and
// the uplink's MTU in one `ip -batch`, given its firewall rules (firewall.ts),
// and removed with exactly what was recorded for it in the ledger.
import { createHash } from 'node:crypto';
import { TugError } from '../../../../core/errors.js';
import type { Ledger, LedgerEntry } from '../ledger.js';
import { firstProblem, runTool } from '../run-tool.js';
import { bridgeRules, insertCommands, restoreInput, type BridgeFirewall } from './firewall.js';
import { enableForwarding } from './host-network.js';
import { formatCidr, intToIp, type SubnetAllocation } from './ipam.js';

export interface NetworkPlan {
  /** Compose key, for messages. */
  key: string;
  /** Engine-side network name (`<project>_<key>`): the ledger owner. */
  name: string;
  bridge: string;
  allocation: SubnetAllocation;
  internal: boolean;
  mtu: number;
  uplinks: readonly string[];
}

export interface NetTools {
  ip: string;
  iptables: string;
  /** iptables-restore: all of a network's rules in one process; one iptables call per rule without it. */
  iptablesRestore?: string;
}

/** A fixed, locally administered unicast MAC derived from the bridge's name. */
export function bridgeMac(bridge: string): string {
  const bytes = createHash('sha256').update(bridge).digest().subarray(0, 6);
  bytes[0] = (bytes[0]! & 0xfe) | 0x02;
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(':');
}

export function gatewayOf(plan: NetworkPlan): string {
  return intToIp(plan.allocation.gateway);
}

export function subnetOf(plan: NetworkPlan): string {
  return formatCidr(plan.allocation.subnet);
}

function firewallOf(plan: NetworkPlan): BridgeFirewall {
  return { bridge: plan.bridge, subnet: subnetOf(plan), gateway: gatewayOf(plan), internal: plan.internal, uplinks: plan.uplinks };
}

function ledgerEntries(plan: NetworkPlan): LedgerEntry[] {
  const owner = plan.name;
  const fw = bridgeRules(firewallOf(plan));
  return [{ owner, kind: 'link', name: plan.bridge }, ...fw.map((r) => ({ owner, kind: 'iptables' as const, table: r.table, rule: r.rule }))];
}

/** Creates the bridges of `plans` (recorded in `ledger` first); on failure the caller sweeps their owners. */
export async function createBridges(plans: readonly NetworkPlan[], ledger: Ledger, tools: NetTools): Promise<void> {
  if (plans.length === 0) return;
  ledger.add(plans.flatMap(ledgerEntries));
  const lines: string[] = [];
  for (const p of plans) {
    lines.push(
      // A bridge takes the lowest MAC of its ports unless given one: a replica leaving
      // would change the gateway's MAC under the others' ARP caches, and cut them off.
      `link add ${p.bridge} address ${bridgeMac(p.bridge)} mtu ${p.mtu} type bridge`,
      `addr add ${gatewayOf(p)}/${p.allocation.subnet.prefix} dev ${p.bridge}`,
      `link set ${p.bridge} up`,
    );
  }
  const made = await runTool(tools.ip, ['-batch', '-'], { input: lines.join('\n') + '\n' });
  if (made.code !== 0) throw new TugError({ code: 'network.create', message: `cannot create the bridges of ${plans.map((p) => p.key).join(', ')}: ${firstProblem(made)}` });
  if (plans.some((p) => !p.internal) && !enableForwarding()) {
    throw new TugError({ code: 'network.forwarding', message: 'cannot turn on IPv4 forwarding (net.ipv4.ip_forward): replicas would have no way out', hint: 'sysctl -w net.ipv4.ip_forward=1' });
  }
  for (const p of plans) {
    const rules = bridgeRules(firewallOf(p));
    if (tools.iptablesRestore) {
      const r = await runTool(tools.iptablesRestore, ['-w', '--noflush'], { input: restoreInput(rules, 'insert') });
      if (r.code !== 0) throw new TugError({ code: 'network.firewall', message: `network ${p.key}: cannot add its firewall rules: ${firstProblem(r)}` });
      continue;
    }
    for (const args of insertCommands(rules)) {
      const r = await runTool(tools.iptables, args);
      if (r.code !== 0) throw new TugError({ code: 'network.firewall', message: `network ${p.key}: cannot add the firewall rule "${[args[4], ...args.slice(6)].join(' ')}": ${firstProblem(r)}` });
    }
  }
}
