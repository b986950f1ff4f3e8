// Removes recorded objects (ledger.ts): all of a project's on `down` or after
// a crash, or one owner's (a replica, a network) when it goes. Every step
// tolerates an object that is already gone, so a sweep can be repeated, and
// what cannot be removed is reported rather than silently forgotten.
import { readdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { sleep } from '../../../timers.js';
import { sep } from 'node:path';
import type { CgroupMounts } from './cgroups/cgroup-layout.js';
import { removeCgroups } from './cgroups/cgroup-files.js';
import type { Ledger, LedgerEntry } from './ledger.js';
import { CGROUP_ROOT } from './names.js';
import { restoreInput, type FirewallRule } from './network/firewall.js';
import { TABLE_NAME } from './network/port-dnat.js';
import { checkContainerId, OciRuntime } from './oci-runtime.js';
import { firstProblem, runTool } from './run-tool.js';

export interface SweepContext {
  home: string;
  cgroups: CgroupMounts;
  /** Paths of ip and iptables; their objects cannot be removed without them. */
  ip?: string;
  iptables?: string;
  iptablesRestore?: string;
  /** nft: a project's table of forwarded ports (network/dnat-table.ts). */
  nft?: string;
  /** xargs: deletes many containers from one process the engine spawns, instead of one each. */
  xargs?: string;
  /**
   * Where the veths of deleted namespaces are awaited in the background (the
   * engine's): the sweep returns once the namespaces are deleted, instead of
   * waiting out the kernel's teardown. Without it, the sweep waits.
   */
  teardowns?: VethTeardowns;
}

/** Something a sweep could not remove, and whose it was. */
export interface SweepProblem {
  owner: string;
  message: string;
}

/**
 * Veths the kernel is still tearing down with their namespaces, by owner.
 * A replica that starts again with the same name must wait for its old
 * veths (the new ones get the same names), and so must whoever promises
 * that nothing is left (network removal, `down`).
 */
export class VethTeardowns {
  private readonly pending = new Map<string, Promise<void>>();

  track(owners: readonly string[], work: Promise<void>): void {
    const done = work.catch(() => undefined);
    for (const owner of owners) {
      const entry = done.finally(() => {
        if (this.pending.get(owner) === entry) this.pending.delete(owner);
      });
      this.pending.set(owner, entry);
    }
  }

  /** Resolves once the teardowns of `owner` (of everyone, when undefined) are over. */
  async settled(owner?: string): Promise<void> {
    if (owner !== undefined) return this.pending.get(owner);
    await Promise.all(this.pending.values());
  }
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
const ORDER: LedgerEntry['kind'][] = ['container', 'netns', 'link', 'iptables', 'nft-table', 'cgroup', 'dir'];
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
  return (await sweepOwners(ledger, ctx, owner)).map((p) => p.message);
}

/** sweep, with each problem attributed to the owner of the object that could not go. */
export async function sweepOwners(ledger: Ledger, ctx: SweepContext, owner?: string | readonly string[]): Promise<SweepProblem[]> {
  const entries = ledger.entries(owner).reverse();
  const problems: SweepProblem[] = [];
  for (const kind of ORDER) {
    const batch = entries.filter((e) => e.kind === kind);
    if (batch.length === 0) continue;
    const removed = await removeKind(kind, batch, { ...ctx, ledger }, problems, entries);
    ledger.forget(removed);
  }
  return problems;
}

/** The veths that go by themselves with namespaces this sweep deleted. */
function vethsOfSwept(links: readonly LedgerEntry[], swept: readonly LedgerEntry[]): LedgerEntry[] {
  const withNetns = new Set(swept.filter((e) => e.kind === 'netns').map((e) => e.owner));
  return links.filter((e) => withNetns.has(e.owner) && e.kind === 'link');
}

/** Links recorded by owners whose namespace this sweep deleted (their veths), gone once they leave /sys/class/net. */
async function awaitVethTeardown(links: LedgerEntry[], swept: readonly LedgerEntry[]): Promise<LedgerEntry[]> {
  const veths = vethsOfSwept(links, swept);
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

/** `ip -force -batch` deletion of links and namespaces: one missing object must not stop the batch. */
async function deleteLinks(ip: string, entries: readonly LedgerEntry[]): Promise<void> {
  const lines = entries.map((e) => (e.kind === 'link' ? `link del ${e.name}` : e.kind === 'netns' ? `netns del ${e.name}` : ''));
  await runTool(ip, ['-force', '-batch', '-'], { input: lines.join('\n') + '\n' });
}

async function removeKind(kind: LedgerEntry['kind'], batch: LedgerEntry[], ctx: SweepContext & { ledger: Ledger }, problems: SweepProblem[], swept: readonly LedgerEntry[]): Promise<LedgerEntry[]> {
  const problem = (owner: string, message: string) => problems.push({ owner, message });
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
            problem(e.owner, (err as Error).message);
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(RUNTIME_CONCURRENCY, left.length) }, worker));
      return removed;
    }
    case 'link':
    case 'netns': {
      const ip = ctx.ip;
      if (!ip) {
        for (const owner of new Set(batch.map((e) => e.owner))) problem(owner, `cannot remove its ${kind === 'link' ? 'interfaces' : 'network namespace'} without the ip command`);
        return removed;
      }
      const later = kind === 'link' && ctx.teardowns ? vethsOfSwept(batch, swept) : [];
      if (later.length > 0) {
        // Forgotten once gone (or deleted after the deadline), in the background; the rest go now.
        const { ledger } = ctx;
        const work = awaitVethTeardown(later, swept).then(async (left) => {
          if (left.length > 0) await deleteLinks(ip, left);
          ledger.forget(later);
        });
        ctx.teardowns!.track([...new Set(later.map((e) => e.owner))], work);
      }
      const now = batch.filter((e) => !later.includes(e));
      const rest = kind === 'link' && !ctx.teardowns ? await awaitVethTeardown(now, swept) : now;
      if (rest.length > 0) await deleteLinks(ip, rest);
      return now;
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
          problem(e.owner, `cannot remove the firewall rule "${e.rule.join(' ')}" without iptables`);
          continue;
        }
        const check = await runTool(ctx.iptables, ['-w', '-t', e.table, '-C', ...e.rule]);
        if (check.code === 0) {
          const del = await runTool(ctx.iptables, ['-w', '-t', e.table, '-D', ...e.rule]);
          if (del.code !== 0) {
            problem(e.owner, `cannot remove the firewall rule "${e.rule.join(' ')}": ${firstProblem(del)}`);
            continue;
          }
        }
        removed.push(e);
      }
      return removed;
    }
    case 'nft-table':
      for (const e of batch) {
        if (e.kind !== 'nft-table') continue;
        // Only tug's own names: a corrupt ledger must not delete anyone else's table.
        if (!TABLE_NAME.test(e.name) || !e.name.startsWith('tug_')) {
          removed.push(e);
          continue;
        }
        if (!ctx.nft) {
          problem(e.owner, `cannot remove nftables table ${e.name} without nft`);
          continue;
        }
        const r = await runTool(ctx.nft, ['delete', 'table', 'ip', e.name]);
        if (r.code === 0 || /no such file|not found/i.test(r.stderr)) removed.push(e);
        else problem(e.owner, `cannot remove nftables table ${e.name}: ${firstProblem(r)}`);
      }
      return removed;
    case 'cgroup': {
      // Only below /tug: a corrupt ledger must not remove anyone else's cgroups.
      const cgroups = batch.flatMap((e) => (e.kind === 'cgroup' && e.path.startsWith(`${CGROUP_ROOT}/`) ? [e] : []));
      for (const e of batch) if (!cgroups.includes(e as (typeof cgroups)[number])) removed.push(e);
      // The parents go too, /tug itself included once empty: rmdir fails harmlessly while another project uses it.
      const left = removeCgroups(ctx.cgroups, cgroups.map((e) => e.path), '');
      for (const e of cgroups) {
        if (left.some((dir) => dir.endsWith(e.path))) problem(e.owner, `cgroup ${e.path} is still in use`);
        else removed.push(e);
      }
      return removed;
    }
    case 'dir':
      // Only ever below TUG_HOME: a corrupt ledger must not delete anything else. In parallel on
      // libuv's threads: 100 bundles are ~700 unlinks, which held the engine's event loop for most of a second.
      await Promise.all(batch.map((e) => (e.kind === 'dir' && e.path.startsWith(ctx.home + sep) ? rm(e.path, { recursive: true, force: true }) : undefined)));
      return batch;
  }
}
