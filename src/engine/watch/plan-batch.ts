// Turns one batch of changes into the steps that bring the running project in
// step, in Compose's order: rebuilds, then syncs, then restarts, then execs. A
// service that is rebuilt gets nothing else (its new replicas start from the
// new image, with the files already in it). Pure: whether a synced path still
// exists is decided when it is synced, from the file system as it is then.
import { posix } from 'node:path';
import { isDeletion, type PathChange, type SyncPath } from '../../core/watch/changes.js';
import { restartsService, syncsFiles, type WatchExecHook } from '../../core/watch/rules.js';
import type { RuleMatcher } from './match.js';

export type WatchStep =
  | { kind: 'rebuild'; service: string; paths: string[] }
  | { kind: 'sync'; service: string; paths: SyncPath[] }
  | { kind: 'restart'; service: string }
  | { kind: 'exec'; service: string; rule: number; hook: WatchExecHook };

interface ServiceWork {
  rebuild: string[];
  /** By target: a path two rules map to the same place is synced once, by the later rule. */
  sync: Map<string, SyncPath>;
  restart: boolean;
  execs: Map<number, WatchExecHook>;
}

export function planBatch(changes: readonly PathChange[], rules: readonly RuleMatcher[]): WatchStep[] {
  const live = withoutRemovedChildren(changes);
  const work = new Map<string, ServiceWork>();
  const of = (service: string): ServiceWork => {
    let w = work.get(service);
    if (!w) work.set(service, (w = { rebuild: [], sync: new Map(), restart: false, execs: new Map() }));
    return w;
  };
  for (const change of live) {
    for (const rule of rules) {
      const hit = rule.match(change.path);
      if (!hit) continue;
      const w = of(rule.service);
      const action = rule.rule.action;
      if (action === 'rebuild') w.rebuild.push(change.path);
      if (syncsFiles(action) && hit.target !== undefined) {
        w.sync.delete(hit.target);
        w.sync.set(hit.target, { hostPath: change.path, target: hit.target, rel: hit.rel });
      }
      if (restartsService(action)) w.restart = true;
      if (action === 'sync+exec' && rule.rule.exec) w.execs.set(rule.index, rule.rule.exec);
    }
  }
  const steps: WatchStep[] = [];
  const services = [...work.keys()];
  const active = services.filter((s) => work.get(s)!.rebuild.length === 0);
  for (const service of services) {
    const w = work.get(service)!;
    if (w.rebuild.length > 0) steps.push({ kind: 'rebuild', service, paths: w.rebuild });
  }
  for (const service of active) {
    const w = work.get(service)!;
    if (w.sync.size > 0) steps.push({ kind: 'sync', service, paths: [...w.sync.values()] });
  }
  for (const service of active) if (work.get(service)!.restart) steps.push({ kind: 'restart', service });
  for (const service of active) {
    for (const [rule, hook] of work.get(service)!.execs) steps.push({ kind: 'exec', service, rule, hook });
  }
  return steps;
}

/** A removed directory takes its contents with it: the removals reported inside it add nothing. */
function withoutRemovedChildren(changes: readonly PathChange[]): PathChange[] {
  const removedDirs = new Set(changes.filter((c) => c.kind === 'unlinkDir').map((c) => c.path));
  if (removedDirs.size === 0) return [...changes];
  const insideRemoved = (path: string): boolean => {
    for (let dir = posix.dirname(path); dir !== path && dir !== '/'; path = dir, dir = posix.dirname(dir)) {
      if (removedDirs.has(dir)) return true;
    }
    return false;
  };
  return changes.filter((c) => !(isDeletion(c.kind) && insideRemoved(c.path)));
}

/** "web: sync 3 paths; web: restart", for tests and --dry-run style output. */
export function formatSteps(steps: readonly WatchStep[]): string {
  return steps
    .map((s) => {
      switch (s.kind) {
        case 'rebuild':
          return `rebuild ${s.service}`;
        case 'sync':
          return `sync ${s.service}: ${s.paths.map((p) => `${p.hostPath} -> ${p.target}`).join(', ')}`;
        case 'restart':
          return `restart ${s.service}`;
        case 'exec':
          return `exec ${s.service} (rule ${s.rule}): ${s.hook.command.join(' ')}`;
      }
    })
    .join('\n');
}
