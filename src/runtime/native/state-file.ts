// Reading the engine's state (state.json and its journal, see state-format.ts)
// without an engine, for `ps`, `ls` and `logs` when no engine runs: the
// replicas it last knew, all reported as no longer running (nothing
// supervises them; one that was running died with its engine). Records are
// read as the engine reads them; a snapshot entry that is not a record but a
// bare ObservedReplica (or holds one next to its spec) is taken as it is, and
// anything else is ignored, so damage degrades to "nothing known".
import type { ObservedReplica, PublishedPort, ReplicaState } from '../../core/reconcile/observed.js';
import { snapshotOf } from '../../core/reconcile/snapshot.js';
import { displayCommand, replicaArgv } from './engine/launch.js';
import { planPorts } from './engine/port-forward.js';
import type { HostReplicaSpec } from './host-env.js';
import { projectPaths } from './home.js';
import { readTextAsync } from './safe-fs.js';
import { KILLED_WITH_ENGINE, OOM_KILLED, parseState } from './state-format.js';
import { compareText } from '../../core/compare.js';

export interface StoredReplica {
  replica: ObservedReplica;
  spec?: HostReplicaSpec;
}

export async function readStateFile(home: string, project: string): Promise<StoredReplica[]> {
  const paths = projectPaths(home, project);
  const [snapshot, journal] = await Promise.all([readQuietly(paths.state), readQuietly(paths.journal)]);
  const byName = new Map<string, StoredReplica>();
  for (const entry of snapshotEntries(snapshot)) {
    const stored = bareReplica(entry, project);
    if (stored) byName.set(stored.replica.name, stored);
  }
  for (const record of parseState(snapshot, journal, project).state?.replicas ?? []) {
    byName.set(record.spec.name, { replica: fromRecord(record.spec, record as unknown as Record<string, unknown>), spec: record.spec });
  }
  return [...byName.values()].sort((a, b) => compareText(a.replica.name, b.replica.name));
}

/**
 * What the state says, as seen with no engine running: nothing is running any
 * more. A replica recorded as running lost its engine without being stopped,
 * so it died with it (or is about to be reaped by the next engine).
 */
export function asUnsupervised(replica: ObservedReplica): ObservedReplica {
  const { pid: _pid, health: _health, ...rest } = replica;
  if (replica.state === 'running' || replica.state === 'restarting') {
    const { finishedAt: _finished, ...known } = rest;
    return { ...known, state: 'exited', exitCode: 137, notes: [...(replica.notes ?? []), KILLED_WITH_ENGINE] };
  }
  const stopped: ReplicaState = replica.state === 'created' ? 'created' : replica.state === 'dead' ? 'dead' : 'exited';
  return { ...rest, state: stopped };
}

async function readQuietly(file: string): Promise<string | undefined> {
  try {
    return await readTextAsync(file);
  } catch {
    return undefined;
  }
}

function snapshotEntries(text: string | undefined): unknown[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text ?? 'null');
  } catch {
    return [];
  }
  const container = isRecord(parsed) && 'replicas' in parsed ? parsed.replicas : parsed;
  return Array.isArray(container) ? container : isRecord(container) ? Object.values(container) : [];
}

/** An entry that holds an ObservedReplica rather than being an engine record. */
function bareReplica(entry: unknown, project: string): StoredReplica | undefined {
  if (!isRecord(entry)) return undefined;
  const spec = isSpec(entry.spec) ? entry.spec : undefined;
  for (const candidate of [entry, entry.replica, entry.observed, entry.status]) {
    if (isObservedReplica(candidate)) return { replica: withDefaults(candidate, project), spec };
  }
  return undefined;
}

/** A bare entry as an ObservedReplica: what is missing or of the wrong type is defaulted, so rendering it cannot fail. */
function withDefaults(r: ObservedReplica, project: string): ObservedReplica {
  const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
  const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
  const ports = Array.isArray(r.ports) ? r.ports.filter((p) => isRecord(p) && typeof p.published === 'number' && typeof p.target === 'number') : [];
  return {
    ...r,
    id: str(r.id) ?? r.name,
    project: str(r.project) ?? project,
    labels: isRecord(r.labels) ? (r.labels as Record<string, string>) : {},
    ports,
    restartCount: num(r.restartCount) ?? 0,
    number: num(r.number) ?? 0,
    oneoff: r.oneoff === true,
    exitCode: num(r.exitCode),
    createdAt: str(r.createdAt),
    startedAt: str(r.startedAt),
    finishedAt: str(r.finishedAt),
    notes: Array.isArray(r.notes) ? r.notes.filter((n) => typeof n === 'string') : undefined,
  };
}

/**
 * The engine's own record form: the spec next to state, pid, exit code,
 * restart count and times (engine/state-store.ts ReplicaRecord), reported as
 * the engine reports it (engine/replica.ts), from what a record keeps.
 */
function fromRecord(spec: HostReplicaSpec, rec: Record<string, unknown>): ObservedReplica {
  const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
  const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
  return snapshotOf(spec, {
    state: (str(rec.state) as ReplicaState | undefined) ?? 'created',
    exitCode: num(rec.exitCode),
    restartCount: num(rec.restartCount) ?? 0,
    createdAt: str(rec.createdAt),
    startedAt: str(rec.startedAt),
    finishedAt: str(rec.finishedAt),
    pid: num(rec.pid),
    ports: plannedPorts(spec),
    image: null,
    command: displayedCommand(spec),
    ...(rec.killedWithEngine === true || rec.oomKilled === true ? { notes: [...(rec.killedWithEngine === true ? [KILLED_WITH_ENGINE] : []), ...(rec.oomKilled === true ? [OOM_KILLED] : [])] } : {}),
    // A recreate planned while no engine runs must still inherit them.
    ...(isRecord(rec.anonymousVolumes) && { anonymousVolumes: rec.anonymousVolumes as Record<string, string> }),
  });
}

/** The ports the engine would report before binding any (a record keeps no bound port). */
function plannedPorts(spec: HostReplicaSpec): PublishedPort[] {
  // A container's ports are its service's proxies, which live only with an engine.
  if (spec.isolation === 'container') return [];
  try {
    return planPorts(spec).published;
  } catch {
    return [];
  }
}

function displayedCommand(spec: HostReplicaSpec): string {
  try {
    return displayCommand(replicaArgv(spec));
  } catch {
    return '';
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isObservedReplica(v: unknown): v is ObservedReplica {
  return isRecord(v) && typeof v.name === 'string' && typeof v.service === 'string' && typeof v.state === 'string';
}

function isSpec(v: unknown): v is HostReplicaSpec {
  return isRecord(v) && typeof v.name === 'string' && typeof v.service === 'string' && isRecord(v.service_spec);
}
