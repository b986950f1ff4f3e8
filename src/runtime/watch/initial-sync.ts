// `initial_sync`: every path a rule would sync, found by walking its path with
// the rule's own pruning, so ignored trees are skipped whole as the watcher
// skips them. Files and links only; their directories come with them.
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { SyncPath } from '../../core/watch/changes.js';

/** What the walk needs of a rule (the engine's RuleMatcher is one). */
export interface WalkedRule {
  readonly rule: { path: string };
  prunes(absPath: string, isDirectory?: boolean): boolean;
  match(absPath: string): { rel: string; target?: string } | undefined;
}

export async function* initialSyncPaths(rule: WalkedRule, path: string = rule.rule.path): AsyncGenerator<SyncPath> {
  const stat = await lstat(path).catch(() => undefined);
  if (!stat) return;
  if (!stat.isDirectory()) {
    const hit = !rule.prunes(path, false) ? rule.match(path) : undefined;
    if (hit?.target !== undefined && (stat.isFile() || stat.isSymbolicLink())) yield { hostPath: path, target: hit.target, rel: hit.rel };
    return;
  }
  if (rule.prunes(path, true)) return;
  for (const name of (await readdir(path)).sort()) yield* initialSyncPaths(rule, join(path, name));
}
