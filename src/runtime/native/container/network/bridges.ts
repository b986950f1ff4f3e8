// One Linux bridge per project network: created with its gateway address and
// the uplink's MTU in one `ip -batch`, given its firewall rules (firewall.ts),
// and removed with exactly what was recorded for it in the ledger.
import { TugError } from '../../../../core/errors.js';
import type { Ledger, LedgerEntry } from '../ledger.js';
import { firstProblem, runTool } from '../run-tool.js';
import { bridgeRules, insertCommands } from './firewall.js';
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
}

export function gatewayOf(plan: NetworkPlan): string {
  return intToIp(plan.allocation.gateway);
}

export function subnetOf(plan: NetworkPlan): string {
  return formatCidr(plan.allocation.subnet);
}

function ledgerEntries(plan: NetworkPlan): LedgerEntry[] {
  const owner = plan.name;
  const fw = bridgeRules({ bridge: plan.bridge, subnet: subnetOf(plan), internal: plan.internal, uplinks: plan.uplinks });
  return [{ owner, kind: 'link', name: plan.bridge }, ...fw.map((r) => ({ owner, kind: 'iptables' as const, table: r.table, rule: r.rule }))];
}

/** Creates the bridges of `plans` (recorded in `ledger` first); on failure the caller sweeps their owners. */
export async function createBridges(plans: readonly NetworkPlan[], ledger: Ledger, tools: NetTools): Promise<void> {
  if (plans.length === 0) return;
  ledger.add(plans.flatMap(ledgerEntries));
  const lines: string[] = [];
  for (const p of plans) {
    lines.push(
      `link add ${p.bridge} mtu ${p.mtu} type bridge`,
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
    const rules = bridgeRules({ bridge: p.bridge, subnet: subnetOf(p), internal: p.internal, uplinks: p.uplinks });
    for (const args of insertCommands(rules)) {
      const r = await runTool(tools.iptables, args);
      if (r.code !== 0) throw new TugError({ code: 'network.firewall', message: `network ${p.key}: cannot add the firewall rule "${[args[4], ...args.slice(6)].join(' ')}": ${firstProblem(r)}` });
    }
  }
}
