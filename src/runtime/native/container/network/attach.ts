// Puts replicas on networks: a network namespace per replica, a veth pair per
// network (host end on the bridge, the other end the replica's eth0, eth1, ...),
// its address, loopback, and a default route through the first network that
// has a way out. Batched as measured on these machines: one `ip -batch` on the
// host for every namespace and veth, then one `ip -n NS -batch` per namespace
// (addresses vanish when a link changes namespace, so they are set inside).
import { TugError } from '../../../../core/errors.js';
import type { Ledger, LedgerEntry } from '../ledger.js';
import { firstProblem, runTool } from '../run-tool.js';
import { gatewayOf, type NetTools, type NetworkPlan } from './bridges.js';

export interface LinkPlan {
  network: NetworkPlan;
  /** Host end, on the bridge (names.ts vethName). */
  veth: string;
  /** Name inside the replica: eth0, eth1, ... */
  ifname: string;
  address: string;
  mac?: string;
}

export interface AttachRequest {
  /** The replica: ledger owner. */
  owner: string;
  netns: string;
  links: readonly LinkPlan[];
}

export function netnsPath(name: string): string {
  return `/var/run/netns/${name}`;
}

/** Batch lines run inside one namespace: loopback, addresses, links up, the default route. */
export function namespaceScript(req: AttachRequest): string[] {
  const lines = ['link set lo up'];
  for (const l of req.links) {
    if (l.mac) lines.push(`link set ${l.ifname} address ${l.mac}`);
    lines.push(`addr add ${l.address}/${l.network.allocation.subnet.prefix} dev ${l.ifname}`, `link set ${l.ifname} up`);
  }
  const out = req.links.find((l) => !l.network.internal);
  if (out) lines.push(`route add default via ${gatewayOf(out.network)} dev ${out.ifname}`);
  return lines;
}

/** The host-side batch: namespaces and veth pairs, host ends on their bridges. */
export function hostScript(reqs: readonly AttachRequest[]): string[] {
  const lines: string[] = [];
  for (const req of reqs) {
    lines.push(`netns add ${req.netns}`);
    for (const l of req.links) {
      lines.push(
        `link add ${l.veth} mtu ${l.network.mtu} type veth peer name ${l.ifname} mtu ${l.network.mtu} netns ${req.netns}`,
        `link set ${l.veth} master ${l.network.bridge} up`,
      );
    }
  }
  return lines;
}

async function eachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]!);
  });
  await Promise.all(workers);
}

/** Attaches every request (recorded in `ledger` first); on failure the caller sweeps the owners. */
export async function attachReplicas(reqs: readonly AttachRequest[], ledger: Ledger, tools: NetTools, concurrency = 4): Promise<void> {
  if (reqs.length === 0) return;
  const entries: LedgerEntry[] = reqs.flatMap((r) => [
    { owner: r.owner, kind: 'netns' as const, name: r.netns },
    ...r.links.map((l) => ({ owner: r.owner, kind: 'link' as const, name: l.veth })),
  ]);
  ledger.add(entries);
  const host = await runTool(tools.ip, ['-batch', '-'], { input: hostScript(reqs).join('\n') + '\n' });
  if (host.code !== 0) throw new TugError({ code: 'network.attach', message: `cannot create network namespaces and veths: ${firstProblem(host)}` });
  await eachLimited(reqs, concurrency, async (req) => {
    const r = await runTool(tools.ip, ['-n', req.netns, '-batch', '-'], { input: namespaceScript(req).join('\n') + '\n' });
    if (r.code !== 0) throw new TugError({ code: 'network.attach', message: `cannot configure the network of ${req.owner}: ${firstProblem(r)}` });
  });
}

/** A namespace with only loopback, up (network_mode: none). */
export async function isolatedNamespace(owner: string, netns: string, ledger: Ledger, tools: NetTools): Promise<void> {
  await attachReplicas([{ owner, netns, links: [] }], ledger, tools);
}
