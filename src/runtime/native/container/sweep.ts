// Removes recorded objects (ledger.ts): all of a project's on `down` or after
// a crash, or one owner's (a replica, a network) when it goes. Every step
// tolerates an object that is already gone, so a sweep can be repeated, and
// what cannot be removed is reported rather than silently forgotten.
import { readdirSync, rmSync } from 'node:fs';
import { sleep } from '../../../timers.js';
import { sep } from 'node:path';
import type { CgroupMounts } from './cgroups/cgroup-layout.js';
import { removeCgroups } from './cgroups/cgroup-files.js';
import type { Ledger, LedgerEntry } from './ledger.js';
import { CGROUP_ROOT } from './names.js';
import { restoreInput, type FirewallRule } from './network/firewall.js';
import { checkContainerId, OciRuntime } from './oci-runtime.js';
import { firstProblem, runTool } from './run-tool.js';

export interface SweepContext {
  home: string;
  cgroups: CgroupMounts;
  /** Paths of ip and iptables; their objects cannot be removed without them. */
  ip?: string;
  iptables?: string;
  iptablesRestore?: string;
  /** xargs: deletes many containers from one process the engine spawns, instead of one each. */
  xargs?: string;
}

type ContainerEntry = Extract<LedgerEntry, { kind: 'container' }>;

/** `runtime delete ID` for every container, RUNTIME_CONCURRENCY at a time; returns those that may not be deleted. */
async function deleteAll(xargs: string, containers: ContainerEntry[]): Promise<ContainerEntry[]> {
  const left: ContainerEntry[] = [];
  const groups = new Map<string, ContainerEntry[]>();
  for (const e of containers) {
    const key = `${e.runtime}\0${e.root}`;
    groups.set(key, [...(groups.get(key) ?? []), e]);
  }
  for (const group of groups.values()) {
    const { runtime, root } = group[0]!;
    // One `list` first: containers already deleted (by `finish` after their exit) need nothing,
    // and a single missing one must not send the whole group down the one-by-one path.
    const listed = await runTool(runtime, ['--root', root, 'list', '-q']);
    const existing = listed.code === 0 ? new Set(listed.stdout.split('\n').filter(Boolean)) : undefined;
    const present = existing ? group.filter((e) => existing.has(e.id)) : group;
    if (present.length === 0) continue;
    const ids = present.map((e) => checkContainerId(e.id));
    const r = await runTool(xargs, ['-r', '-d', '\n', '-n', '1', '-P', String(RUNTIME_CONCURRENCY), '--', runtime, '--root', root, 'delete'], { input: ids.join('\n') + '\n', timeoutMs: 120_000 });
    if (r.code !== 0) left.push(...present);
  }
  return left;
}

// Namespaces before links: a namespace going takes its veths with it, and the
// kernel tears many down in one batch, where `link del` waits for each (about
// 30 ms a veth here, 3 s for 100).
const ORDER: LedgerEntry['kind'][] = ['container', 'netns', 'link', 'iptables', 'cgroup', 'dir'];
/** How long the veths of deleted namespaces may take to go by themselves before they are deleted one by one. */
const VETH_TEARDOWN_MS = 3_000;
/** runc processes at once: each is ~10 MB and a few threads, on machines with few cores. */
const RUNTIME_CONCURRENCY = 8;

/**
 * Sweeps the objects of `owner` (one or several; all when undefined), in
 * batches: one `ip -batch` for every link and namespace, runtime deletions a
 * few at a time. Returns what could not be removed.
 */
export async function sweep(ledger: Ledger, ctx: SweepContext, owner?: string | readonly string[]): Promise<string[]> {
  const entries = ledger.entries(owner).reverse();
  const problems: string[] = [];
  for (const kind of ORDER) {
    const batch = entries.filter((e) => e.kind === kind);
    if (batch.length === 0) continue;
    const removed = await removeKind(kind, batch, ctx, problems, entries);
    ledger.forget(removed);
  }
  return problems;
}

/** Links recorded by owners whose namespace this sweep deleted (their veths), gone once they leave /sys/class/net. */
async function awaitVethTeardown(links: LedgerEntry[], swept: readonly LedgerEntry[]): Promise<LedgerEntry[]> {
  const withNetns = new Set(swept.filter((e) => e.kind === 'netns').map((e) => e.owner));
  const veths = links.filter((e) => withNetns.has(e.owner) && e.kind === 'link');
  if (veths.length === 0) return links;
  const present = () => {
    const names = new Set(listDir('/sys/class/net'));
    return veths.filter((e) => e.kind === 'link' && names.has(e.name));
  };
  const deadline = Date.now() + VETH_TEARDOWN_MS;
  let left = present();
  while (left.length > 0 && Date.now() < deadline) {
    await sleep(20);
    left = present();
  }
  return links.filter((e) => !veths.includes(e) || left.includes(e));
}

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

async function removeKind(kind: LedgerEntry['kind'], batch: LedgerEntry[], ctx: SweepContext, problems: string[], swept: readonly LedgerEntry[]): Promise<LedgerEntry[]> {
  const removed: LedgerEntry[] = [];
  switch (kind) {
    case 'container': {
      const containers = batch.flatMap((e) => (e.kind === 'container' ? [e] : []));
      // Exited containers (the usual case at `down`) go in one xargs run of `delete`;
      // whatever that could not delete (running, or already gone) is handled one by one.
      const left = ctx.xargs ? await deleteAll(ctx.xargs, containers) : containers;
      for (const e of containers) if (!left.includes(e)) removed.push(e);
      let next = 0;
      const worker = async () => {
        while (next < left.length) {
          const e = left[next++]!;
          try {
            await new OciRuntime({ name: 'runc', path: e.runtime }, e.root).remove(e.id);
            removed.push(e);
          } catch (err) {
            problems.push((err as Error).message);
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(RUNTIME_CONCURRENCY, left.length) }, worker));
      return removed;
    }
    case 'link':
    case 'netns': {
      if (!ctx.ip) {
        problems.push(`cannot remove ${batch.length} ${kind === 'link' ? 'interface' : 'network namespace'}(s) without the ip command`);
        return removed;
      }
      // -force: one missing object must not stop the batch; each is already-gone or gone now.
      const rest = kind === 'link' ? await awaitVethTeardown(batch, swept) : batch;
      if (rest.length === 0) return batch;
      const lines = rest.map((e) => (e.kind === 'link' ? `link del ${e.name}` : e.kind === 'netns' ? `netns del ${e.name}` : ''));
      await runTool(ctx.ip, ['-force', '-batch', '-'], { input: lines.join('\n') + '\n' });
      return batch;
    }
    case 'iptables': {
      const rules = batch.flatMap((e) => (e.kind === 'iptables' ? [{ entry: e, rule: { table: e.table as FirewallRule['table'], rule: e.rule } }] : []));
      // All at once when every rule is still there (the usual case); one by one otherwise.
      if (ctx.iptablesRestore) {
        const all = await runTool(ctx.iptablesRestore, ['-w', '--noflush'], { input: restoreInput(rules.map((r) => r.rule), 'delete') });
        if (all.code === 0) return rules.map((r) => r.entry);
      }
      for (const { entry: e } of rules) {
        if (!ctx.iptables) {
          problems.push(`cannot remove the firewall rule "${e.rule.join(' ')}" without iptables`);
          continue;
        }
        const check = await runTool(ctx.iptables, ['-w', '-t', e.table, '-C', ...e.rule]);
        if (check.code === 0) {
          const del = await runTool(ctx.iptables, ['-w', '-t', e.table, '-D', ...e.rule]);
          if (del.code !== 0) {
            problems.push(`cannot remove the firewall rule "${e.rule.join(' ')}": ${firstProblem(del)}`);
            continue;
          }
        }
        removed.push(e);
      }
      return removed;
    }
    case 'cgroup': {
      // Only below /tug: a corrupt ledger must not remove anyone else's cgroups.
      const cgroups = batch.flatMap((e) => (e.kind === 'cgroup' && e.path.startsWith(`${CGROUP_ROOT}/`) ? [e] : []));
      for (const e of batch) if (!cgroups.includes(e as (typeof cgroups)[number])) removed.push(e);
      // The parents go too, /tug itself included once empty: rmdir fails harmlessly while another project uses it.
      const left = removeCgroups(ctx.cgroups, cgroups.map((e) => e.path), '');
      for (const e of cgroups) {
        if (left.some((dir) => dir.endsWith(e.path))) problems.push(`cgroup ${e.path} is still in use`);
        else removed.push(e);
      }
      return removed;
    }
    case 'dir':
      for (const e of batch) {
        // Only ever below TUG_HOME: a corrupt ledger must not delete anything else.
        if (e.kind === 'dir' && e.path.startsWith(ctx.home + sep)) rmSync(e.path, { recursive: true, force: true });
        removed.push(e);
      }
      return removed;
  }
}
