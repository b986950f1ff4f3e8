// Reading the engine's state.json without an engine, for `ps`, `ls` and
// `logs` when no engine runs: the replicas it last knew, all reported as no
// longer running (nothing supervises them). The engine owns the format; this
// reader takes its records ({spec, state, pid, ...} in `replicas`), and also a
// bare ObservedReplica or an entry holding one next to its spec, and ignores
// what it does not recognise, so a format change degrades to "nothing known".
import type { ObservedReplica, ReplicaState } from '../../core/reconcile/observed.js';
import type { ReplicaSpec } from '../../core/reconcile/operations.js';
import { projectPaths } from './home.js';
import { readTextAsync } from './safe-fs.js';

export interface StoredReplica {
  replica: ObservedReplica;
  spec?: ReplicaSpec;
}

export async function readStateFile(home: string, project: string): Promise<StoredReplica[]> {
  let parsed: unknown;
  try {
    parsed = JSON.parse((await readTextAsync(projectPaths(home, project).state)) ?? 'null');
  } catch {
    return [];
  }
  const container = isRecord(parsed) && 'replicas' in parsed ? parsed.replicas : parsed;
  const entries = Array.isArray(container) ? container : isRecord(container) ? Object.values(container) : [];
  const out: StoredReplica[] = [];
  for (const entry of entries) {
    const stored = toStored(entry, project);
    if (stored) out.push(stored);
  }
  return out.sort((a, b) => a.replica.name.localeCompare(b.replica.name));
}

/** What state.json says, as seen with no engine running: nothing is running any more. */
export function asUnsupervised(replica: ObservedReplica): ObservedReplica {
  const stopped: ReplicaState = replica.state === 'created' ? 'created' : replica.state === 'dead' ? 'dead' : 'exited';
  const { pid: _pid, health: _health, ...rest } = replica;
  return { ...rest, state: stopped };
}

function toStored(entry: unknown, project: string): StoredReplica | undefined {
  if (!isRecord(entry)) return undefined;
  const spec = isSpec(entry.spec) ? entry.spec : undefined;
  for (const candidate of [entry, entry.replica, entry.observed, entry.status]) {
    if (isObservedReplica(candidate)) return { replica: withDefaults(candidate, project), spec };
  }
  return spec ? { replica: fromRecord(spec, entry), spec } : undefined;
}

function withDefaults(r: ObservedReplica, project: string): ObservedReplica {
  return {
    ...r,
    id: r.id ?? r.name,
    project: r.project ?? project,
    labels: r.labels ?? {},
    ports: r.ports ?? [],
    restartCount: r.restartCount ?? 0,
    number: r.number ?? 0,
    oneoff: r.oneoff ?? false,
  };
}

/**
 * The engine's own record form: the spec next to state, pid, exit code,
 * restart count and times (engine/state-store.ts ReplicaRecord).
 */
function fromRecord(spec: ReplicaSpec, rec: Record<string, unknown>): ObservedReplica {
  const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
  const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
  const svc = spec.service_spec;
  const words = [...(svc.entrypoint ?? []), ...(svc.command ?? [])].join(' ');
  return {
    id: spec.name,
    name: spec.name,
    project: spec.project,
    service: spec.service,
    number: spec.number,
    oneoff: spec.oneoff,
    labels: spec.labels,
    state: (str(rec.state) as ReplicaState | undefined) ?? 'created',
    exitCode: num(rec.exitCode),
    restartCount: num(rec.restartCount) ?? 0,
    createdAt: str(rec.createdAt),
    startedAt: str(rec.startedAt),
    finishedAt: str(rec.finishedAt),
    pid: num(rec.pid),
    ports: (svc.ports ?? []).map((p) => ({
      hostIp: p.host_ip ?? '0.0.0.0',
      published: p.published && /^\d+$/.test(p.published) ? Number(p.published) : p.target,
      target: p.target,
      protocol: p.protocol,
    })),
    image: svc.image,
    command: words === '' ? undefined : words,
  };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isObservedReplica(v: unknown): v is ObservedReplica {
  return isRecord(v) && typeof v.name === 'string' && typeof v.service === 'string' && typeof v.state === 'string';
}

function isSpec(v: unknown): v is ReplicaSpec {
  return isRecord(v) && typeof v.name === 'string' && typeof v.service === 'string' && isRecord(v.service_spec);
}
