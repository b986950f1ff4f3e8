// The watch rules of a service (`develop.watch`) as the loader leaves them, and
// what each action implies. The loader guarantees the shape (absolute `path`,
// lists for `ignore`/`include`, a `target` for every syncing action, an `exec`
// hook with a command list for `sync+exec`), so later stages read it typed.
import type { Project, ServiceSpec } from '../model/types.js';

export type WatchAction = 'sync' | 'rebuild' | 'restart' | 'sync+restart' | 'sync+exec';

export const WATCH_ACTIONS: readonly WatchAction[] = ['sync', 'rebuild', 'restart', 'sync+restart', 'sync+exec'];

export interface WatchExecHook {
  command: string[];
  user?: string;
  privileged?: boolean;
  working_dir?: string;
  environment?: Record<string, string | null>;
}

export interface WatchRule {
  /** Absolute host path: a directory watched recursively, or one file. */
  path: string;
  action: WatchAction;
  /** Where the files go in the replica; set for every syncing action. */
  target?: string;
  /** Patterns (.dockerignore syntax) relative to `path`. */
  ignore?: string[];
  /** When set, only paths matching one of these (.dockerignore syntax, relative to `path`) count. */
  include?: string[];
  initial_sync?: boolean;
  exec?: WatchExecHook;
}

/** A rule with the service it belongs to and its index under `develop.watch`. */
export interface ServiceWatchRule {
  service: string;
  index: number;
  rule: WatchRule;
}

export function syncsFiles(action: WatchAction): boolean {
  return action === 'sync' || action === 'sync+restart' || action === 'sync+exec';
}

export function restartsService(action: WatchAction): boolean {
  return action === 'restart' || action === 'sync+restart';
}

/** The normalized rules of one service (none when it has no `develop.watch`). */
export function watchRulesOf(svc: ServiceSpec): WatchRule[] {
  const develop = svc.develop as { watch?: unknown } | undefined;
  return Array.isArray(develop?.watch) ? (develop.watch as WatchRule[]) : [];
}

/** Every rule of the project's enabled services, in service then rule order; `services` narrows it. */
export function projectWatchRules(project: Project, services?: readonly string[]): ServiceWatchRule[] {
  const out: ServiceWatchRule[] = [];
  for (const [service, svc] of Object.entries(project.services)) {
    if (services && services.length > 0 && !services.includes(service)) continue;
    watchRulesOf(svc).forEach((rule, index) => out.push({ service, index, rule }));
  }
  return out;
}
