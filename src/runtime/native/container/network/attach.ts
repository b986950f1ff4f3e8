// Puts replicas on networks: a network namespace per replica, a veth pair per
// network (host end on the bridge, the other end the replica's eth0, eth1, ...),
// its address, loopback, and a default route through the first network that
// has a way out. All of it in ONE `ip -batch` (3.5x faster than a call per
// step, RUNTIME-FACTS §3.4): namespaces and veths first, then per namespace a
// `netns exec NS ip -batch FILE` line, because addresses vanish when a link
// changes namespace and must be set inside. ip forks those itself, which costs
// far less than the engine (a large Node process) spawning one per replica.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
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

/** Attaches every request (recorded in `ledger` first); on failure the caller sweeps the owners. */
export async function attachReplicas(reqs: readonly AttachRequest[], ledger: Ledger, tools: NetTools, scratch: string): Promise<void> {
  if (reqs.length === 0) return;
  const entries: LedgerEntry[] = reqs.flatMap((r) => [
    { owner: r.owner, kind: 'netns' as const, name: r.netns },
    ...r.links.map((l) => ({ owner: r.owner, kind: 'link' as const, name: l.veth })),
  ]);
  ledger.add(entries);
  // Written off the event loop, together: on a busy disk each small file cost the loop ~3 ms.
  await mkdir(scratch, { recursive: true, mode: 0o700 });
  const files = reqs.map((req) => join(scratch, `${req.netns}.batch`));
  await Promise.all(reqs.map((req, i) => writeFile(files[i]!, namespaceScript(req).join('\n') + '\n')));
  const lines = [...hostScript(reqs), ...reqs.map((req, i) => `netns exec ${req.netns} ${tools.ip} -batch ${files[i]}`)];
  try {
    const r = await runTool(tools.ip, ['-batch', '-'], { input: lines.join('\n') + '\n', timeoutMs: 120_000 });
    if (r.code !== 0) throw new TugError({ code: 'network.attach', message: `cannot put ${reqs.length === 1 ? reqs[0]!.owner : `${reqs.length} replicas`} on their networks: ${firstProblem(r)}` });
  } finally {
    await Promise.all(files.map((file) => rm(file, { force: true })));
  }
}

/** A namespace with only loopback, up (network_mode: none). */
export async function isolatedNamespace(owner: string, netns: string, ledger: Ledger, tools: NetTools, scratch: string): Promise<void> {
  await attachReplicas([{ owner, netns, links: [] }], ledger, tools, scratch);
}
