// Watch's syncs on the native runtime. A process-mode replica runs in the
// host's file system, so "into the replica" means onto the host, inside the
// project directory only (runtime/watch/host-sync.ts decides and copies);
// the replicas of a service share that file system, so the copy is made once
// and every replica is told the same outcome.
//
// The seam for container mode: a replica that is not a host process has a
// file system of its own, and copying into it belongs to the container
// runtime. Until that lands, such a rule and such a replica are refused here
// with a message that says so, never synced onto the host by mistake.
import { TugError } from '../../core/errors.js';
import type { Project, ServiceSpec } from '../../core/model/types.js';
import type { ReplicaSpec } from '../../core/reconcile/operations.js';
import type { ServiceWatchRule } from '../../core/watch/rules.js';
import type { FileSyncChange, FileSyncResult, SyncReplicaRef, SyncRuleVerdict } from '../backend.js';
import { decideHostSync, syncOnHost } from '../watch/host-sync.js';

/**
 * Whether a service's replicas run as host processes: true unless the file
 * asks for a container. THE SEAM: once the native engine records how it runs
 * each replica, replicaRunsOnHost must read that instead (an `auto` service
 * with an image may become a container).
 */
export function runsOnHost(svc: ServiceSpec): boolean {
  const ext = svc['x-tug'];
  const isolation = typeof ext === 'object' && ext !== null ? (ext as { isolation?: unknown }).isolation : undefined;
  return isolation !== 'container';
}

/** The replica's own record wins when it has one (an `isolation` on its spec), else the file's ask. */
function replicaRunsOnHost(spec: ReplicaSpec): boolean {
  const recorded = (spec as { isolation?: unknown }).isolation;
  if (recorded === 'container') return false;
  if (recorded === 'process') return true;
  return runsOnHost(spec.service_spec);
}

export async function checkNativeRule(project: Project, entry: ServiceWatchRule): Promise<SyncRuleVerdict> {
  const svc = project.services[entry.service];
  if (svc && !runsOnHost(svc)) return { kind: 'refused', error: containerSyncError(entry.service) };
  const decision = await decideHostSync(entry, project.workingDir);
  if (decision.kind === 'copy') return { kind: 'copy' };
  if (decision.kind === 'in-place') return { kind: 'in-place', notice: decision.notice };
  return { kind: 'refused', error: decision.error };
}

/** What the facet needs of the engine: each replica's spec (undefined when it is gone). */
export type SpecOf = (id: string) => Promise<ReplicaSpec | undefined>;

export async function syncNative(replicas: readonly SyncReplicaRef[], change: FileSyncChange, specOf: SpecOf): Promise<FileSyncResult[]> {
  const failed = (r: SyncReplicaRef, error: TugError): FileSyncResult => ({ replicaId: r.id, copied: 0, removed: 0, ms: 0, error });
  // Replicas on the host share one file system: one copy per project directory serves them all.
  const byDir = new Map<string, SyncReplicaRef[]>();
  const results = new Map<string, FileSyncResult>();
  for (const r of replicas) {
    const spec = await specOf(r.id);
    if (!spec) results.set(r.id, failed(r, new TugError({ code: 'sync.no-replica', message: `cannot sync files into ${r.name}: it is gone` })));
    else if (!replicaRunsOnHost(spec)) results.set(r.id, failed(r, containerSyncError(spec.service)));
    else byDir.set(spec.projectDir, [...(byDir.get(spec.projectDir) ?? []), r]);
  }
  for (const [dir, group] of byDir) {
    const outcome = await syncOnHost(change.paths, dir);
    const error = outcome.errors.length === 0 ? undefined : combined(outcome.errors);
    for (const r of group) results.set(r.id, { replicaId: r.id, copied: outcome.copied, removed: outcome.removed, ms: outcome.ms, ...(error && { error }) });
  }
  return replicas.map((r) => results.get(r.id)!);
}

function combined(errors: readonly TugError[]): TugError {
  if (errors.length === 1) return errors[0]!;
  const first = errors[0]!;
  return new TugError({ ...first.toInit(), message: `${first.message} (and ${errors.length - 1} more path(s) not synced)` });
}

function containerSyncError(service: string): TugError {
  return new TugError({
    code: 'native.sync-container',
    message: `service "${service}" runs in a container of tug's own runtime, and syncing files into those is not supported yet`,
    hint: 'use action: rebuild or restart for it, run it as a host process (x-tug.isolation: process), or use the docker backend',
  });
}
