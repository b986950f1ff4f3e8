// The ObservedReplica a backend reports for a replica it made from a
// ReplicaSpec: identity, labels, image and command come from the spec; what
// only the backend knows (its id, state, times, exit code, ports, ...) comes
// in as facts. One builder, so every backend reports the same fields the
// same way, and a field added to ObservedReplica is added once.
import type { ExposedPort, HealthState, ObservedReplica, PublishedPort, ReplicaState } from './observed.js';
import type { ReplicaSpec } from './operations.js';

export interface ReplicaFacts {
  state: ReplicaState;
  /** The backend's id; the replica name by default (native). */
  id?: string;
  restartCount?: number;
  createdAt?: string;
  startedAt?: string;
  finishedAt?: string;
  exitCode?: number;
  pid?: number;
  health?: HealthState;
  ports?: PublishedPort[];
  /** When the backend added labels of its own; the spec's otherwise. */
  labels?: Record<string, string>;
  /** Default: the service's image; null when the replica runs none (a native process). */
  image?: string | null;
  /** Default: entrypoint ++ command, joined by spaces. */
  command?: string;
  anonymousVolumes?: Record<string, string>;
  notes?: string[];
  addresses?: { network: string; address: string }[];
  exposed?: ExposedPort[];
}

/** entrypoint ++ command as one line; undefined when the service sets neither. */
export function commandText(spec: ReplicaSpec): string | undefined {
  const svc = spec.service_spec;
  const words = [...(svc.entrypoint ?? []), ...(svc.command ?? [])].join(' ');
  return words === '' ? undefined : words;
}

export function snapshotOf(spec: ReplicaSpec, facts: ReplicaFacts): ObservedReplica {
  const observed: ObservedReplica = {
    id: facts.id ?? spec.name,
    name: spec.name,
    project: spec.project,
    service: spec.service,
    number: spec.number,
    oneoff: spec.oneoff,
    labels: { ...(facts.labels ?? spec.labels) },
    state: facts.state,
    restartCount: facts.restartCount ?? 0,
    ports: facts.ports ?? [],
  };
  const optional = {
    health: facts.health,
    exitCode: facts.exitCode,
    createdAt: facts.createdAt,
    startedAt: facts.startedAt,
    finishedAt: facts.finishedAt,
    pid: facts.pid,
    image: facts.image === null ? undefined : (facts.image ?? spec.service_spec.image),
    command: facts.command ?? commandText(spec),
  } satisfies Partial<ObservedReplica>;
  for (const [key, value] of Object.entries(optional)) if (value !== undefined) (observed as unknown as Record<string, unknown>)[key] = value;
  if (facts.anonymousVolumes && Object.keys(facts.anonymousVolumes).length > 0) observed.anonymousVolumes = { ...facts.anonymousVolumes };
  if (facts.notes && facts.notes.length > 0) observed.notes = [...facts.notes];
  if (facts.addresses && facts.addresses.length > 0) observed.addresses = facts.addresses.map((a) => ({ ...a }));
  if (facts.exposed && facts.exposed.length > 0) observed.exposed = facts.exposed.map((e) => ({ ...e }));
  return observed;
}
