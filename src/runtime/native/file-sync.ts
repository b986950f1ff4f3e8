// Watch's syncs on the native runtime, by how each replica runs. A process-mode
// replica runs in the host's file system, so "into the replica" means onto the
// host, inside the project directory only (runtime/watch/host-sync.ts decides
// and copies); the replicas of a service share that file system, so the copy
// is made once and every replica is told the same outcome. A container
// replica has a file system of its own: each gets the changes written into it
// (container-sync/container-sync.ts), never onto the host by mistake.
import { TugError } from '../../core/errors.js';
import type { Project } from '../../core/model/types.js';
import type { ReplicaSpec } from '../../core/reconcile/operations.js';
import { containerSyncRefusal } from '../../core/watch/container-sync.js';
import type { ServiceWatchRule } from '../../core/watch/rules.js';
import type { FileSyncChange, FileSyncResult, SyncReplicaRef, SyncRuleVerdict } from '../backend.js';
import { decideHostSync, syncOnHost } from '../watch/host-sync.js';
import { wantsContainer, type IsolationSetting } from './container/isolation-mode.js';

/** The replica's own record wins (the engine keeps the isolation it ran it with), else the file's ask. */
function replicaRunsOnHost(spec: ReplicaSpec, isolation: IsolationSetting): boolean {
  const recorded = (spec as { isolation?: unknown }).isolation;
  if (recorded === 'container') return false;
  if (recorded === 'process') return true;
  return !wantsContainer(spec.service, spec.service_spec, isolation);
}

export async function checkNativeRule(project: Project, entry: ServiceWatchRule, isolation: IsolationSetting): Promise<SyncRuleVerdict> {
  const svc = project.services[entry.service];
  if (svc && wantsContainer(entry.service, svc, isolation)) {
    const refusal = containerSyncRefusal(entry, svc);
    return refusal ? { kind: 'refused', error: refusal } : { kind: 'copy' };
  }
  const decision = await decideHostSync(entry, project.workingDir);
  if (decision.kind === 'copy') return { kind: 'copy' };
  if (decision.kind === 'in-place') return { kind: 'in-place', notice: decision.notice };
  return { kind: 'refused', error: decision.error };
}

/** What the facet needs of the engine: each replica's spec (undefined when it is gone). */
export type SpecOf = (id: string) => Promise<ReplicaSpec | undefined>;

export interface NativeSyncContext {
  /** TUG_HOME: where container replicas' bundles and runtime state are. */
  home: string;
  isolation: IsolationSetting;
  specOf: SpecOf;
}

/** Replicas synced into at once (Compose's limit). */
const PARALLEL_CONTAINERS = 16;

export async function syncNative(replicas: readonly SyncReplicaRef[], change: FileSyncChange, ctx: NativeSyncContext): Promise<FileSyncResult[]> {
  const failed = (r: SyncReplicaRef, error: TugError): FileSyncResult => ({ replicaId: r.id, copied: 0, removed: 0, ms: 0, error });
  const outcome = (r: SyncReplicaRef, o: { copied: number; removed: number; ms: number; errors: readonly TugError[] }): FileSyncResult => {
    const error = o.errors.length === 0 ? undefined : combined(o.errors);
    return { replicaId: r.id, copied: o.copied, removed: o.removed, ms: o.ms, ...(error && { error }) };
  };
  // Replicas on the host share one file system: one copy per project directory serves them all.
  const byDir = new Map<string, SyncReplicaRef[]>();
  const containers: { ref: SyncReplicaRef; spec: ReplicaSpec }[] = [];
  const results = new Map<string, FileSyncResult>();
  for (const r of replicas) {
    const spec = await ctx.specOf(r.id);
    if (!spec) results.set(r.id, failed(r, new TugError({ code: 'sync.no-replica', message: `cannot sync files into ${r.name}: it is gone` })));
    else if (!replicaRunsOnHost(spec, ctx.isolation)) containers.push({ ref: r, spec });
    else byDir.set(spec.projectDir, [...(byDir.get(spec.projectDir) ?? []), r]);
  }
  for (const [dir, group] of byDir) {
    const done = await syncOnHost(change.paths, dir);
    for (const r of group) results.set(r.id, outcome(r, done));
  }
  if (containers.length > 0) {
    const { syncIntoContainer } = await import('./container-sync/container-sync.js');
    for (let i = 0; i < containers.length; i += PARALLEL_CONTAINERS) {
      await Promise.all(
        containers.slice(i, i + PARALLEL_CONTAINERS).map(async ({ ref, spec }) => {
          try {
            results.set(ref.id, outcome(ref, await syncIntoContainer(ctx.home, spec, change.paths)));
          } catch (err) {
            results.set(ref.id, failed(ref, err instanceof TugError ? err : new TugError({ code: 'sync.failed', message: `cannot sync files into ${ref.name}: ${(err as Error).message}` })));
          }
        }),
      );
    }
  }
  return replicas.map((r) => results.get(r.id)!);
}

function combined(errors: readonly TugError[]): TugError {
  if (errors.length === 1) return errors[0]!;
  const first = errors[0]!;
  return new TugError({ ...first.toInit(), message: `${first.message} (and ${errors.length - 1} more path(s) not synced)` });
}
