// Removes recorded objects (ledger.ts): all of a project's on `down` or after
// a crash, or one owner's (a replica, a network) when it goes. Every step
// tolerates an object that is already gone, so a sweep can be repeated, and
// what cannot be removed is reported rather than silently forgotten.
import { rmSync } from 'node:fs';
import { sep } from 'node:path';
import type { CgroupMounts } from './cgroups/cgroup-layout.js';
import { removeCgroup } from './cgroups/cgroup-files.js';
import type { Ledger, LedgerEntry } from './ledger.js';
import { CGROUP_ROOT } from './names.js';
import { OciRuntime } from './oci-runtime.js';
import { firstProblem, runTool } from './run-tool.js';

export interface SweepContext {
  home: string;
  cgroups: CgroupMounts;
  /** Paths of ip and iptables; their objects cannot be removed without them. */
  ip?: string;
  iptables?: string;
}

const ORDER: LedgerEntry['kind'][] = ['container', 'link', 'netns', 'iptables', 'cgroup', 'dir'];

/** Sweeps `owner`'s objects (all when undefined); returns what could not be removed. */
export async function sweep(ledger: Ledger, ctx: SweepContext, owner?: string): Promise<string[]> {
  const entries = ledger.entries(owner).reverse();
  const problems: string[] = [];
  for (const kind of ORDER) {
    const batch = entries.filter((e) => e.kind === kind);
    if (batch.length === 0) continue;
    const removed = await removeKind(kind, batch, ctx, problems);
    ledger.forget(removed);
  }
  return problems;
}

async function removeKind(kind: LedgerEntry['kind'], batch: LedgerEntry[], ctx: SweepContext, problems: string[]): Promise<LedgerEntry[]> {
  const removed: LedgerEntry[] = [];
  switch (kind) {
    case 'container':
      await Promise.all(
        batch.map(async (e) => {
          if (e.kind !== 'container') return;
          try {
            await new OciRuntime({ name: 'runc', path: e.runtime }, e.root).remove(e.id);
            removed.push(e);
          } catch (err) {
            problems.push((err as Error).message);
          }
        }),
      );
      return removed;
    case 'link':
    case 'netns': {
      if (!ctx.ip) {
        problems.push(`cannot remove ${batch.length} ${kind === 'link' ? 'interface' : 'network namespace'}(s) without the ip command`);
        return removed;
      }
      // -force: one missing object must not stop the batch; each is already-gone or gone now.
      const lines = batch.map((e) => (e.kind === 'link' ? `link del ${e.name}` : e.kind === 'netns' ? `netns del ${e.name}` : ''));
      await runTool(ctx.ip, ['-force', '-batch', '-'], { input: lines.join('\n') + '\n' });
      return batch;
    }
    case 'iptables':
      for (const e of batch) {
        if (e.kind !== 'iptables') continue;
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
    case 'cgroup':
      for (const e of batch) {
        if (e.kind !== 'cgroup') continue;
        const left = removeCgroup(ctx.cgroups, e.path, CGROUP_ROOT);
        if (left.length > 0) problems.push(`cgroup ${e.path} is still in use`);
        else removed.push(e);
      }
      return removed;
    case 'dir':
      for (const e of batch) {
        // Only ever below TUG_HOME: a corrupt ledger must not delete anything else.
        if (e.kind === 'dir' && e.path.startsWith(ctx.home + sep)) rmSync(e.path, { recursive: true, force: true });
        removed.push(e);
      }
      return removed;
  }
}
