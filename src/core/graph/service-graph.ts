// The project's service dependency graph. Edges come from `depends_on` and from
// the references Compose turns into implicit dependencies (links, volumes_from,
// network_mode/ipc/pid/uts/cgroup "service:X"). Every broken reference and a
// cycle are reported together, so a user fixes the file in one pass instead of
// discovering problems one run at a time (and never by a hang at `up`).
import { TugError, throwIfAny, type PathSegment, type SourceLocation } from '../errors.js';
import type { DependsOnSpec, Project, ServiceSpec } from '../model/types.js';
import { formatCycle, Graph } from './graph.js';
import { own } from '../dict.js';

/** Where an edge was declared: `depends_on` or the field that implies it. */
export type EdgeSource = 'depends_on' | 'links' | 'volumes_from' | 'network_mode' | 'ipc' | 'pid' | 'uts' | 'cgroup';

export interface ServiceEdge extends DependsOnSpec {
  readonly source: EdgeSource;
  /** YAML path of the declaring entry, e.g. ['services', 'web', 'links', 0]. */
  readonly path: PathSegment[];
  /** The entry as written, for implicit edges ("db:database", "service:vpn"). */
  readonly raw?: string;
}

/** One reference from a service to another, before it is checked. */
export interface ServiceReference {
  readonly to: string;
  readonly edge: ServiceEdge;
}

export type Locate = (path: PathSegment[]) => SourceLocation | undefined;

// Compose's defaults for implicit edges (compose-go normalize.go): links and
// shared namespaces restart with their dependency, volumes_from does not.
const STARTED_RESTART: DependsOnSpec = { condition: 'service_started', required: true, restart: true };
const STARTED_NO_RESTART: DependsOnSpec = { condition: 'service_started', required: true, restart: false };
const NAMESPACE_FIELDS = ['network_mode', 'ipc', 'pid', 'uts', 'cgroup'] as const;
const SERVICE_PREFIX = 'service:';

/**
 * The dependency graph of the enabled services. Throws a TugError (or a
 * ConfigErrors with all of them) for references to undefined or disabled
 * services and for a cycle. A `required: false` edge to a service that is not
 * there is dropped, as compose does.
 */
export function buildServiceGraph(project: Project, locate?: Locate): Graph<ServiceEdge> {
  const graph = new Graph<ServiceEdge>();
  const errors: TugError[] = [];
  const names = Object.keys(project.services).sort();
  for (const name of names) graph.addNode(name);

  for (const from of names) {
    for (const { to, edge } of serviceReferences(from, project.services[from]!)) {
      if (Object.hasOwn(project.services, to)) {
        graph.addEdge(from, to, edge);
        continue;
      }
      if (!edge.required) continue; // an optional dependency that is absent is simply not waited for
      const disabled = own(project.disabledServices, to);
      errors.push(
        disabled
          ? disabledDependency(from, to, disabled, edge, locate)
          : unknownService(from, to, edge, knownNames(project, from), locate),
      );
    }
  }

  const cycle = graph.findCycle();
  if (cycle) {
    const first = graph.edge(cycle[0]!, cycle[1]!)!;
    errors.push(
      new TugError({
        code: 'graph.cycle',
        message: `dependency cycle detected: ${formatCycle(cycle)}`,
        path: first.path,
        location: locate?.(first.path),
        hint: 'remove one of these dependencies; services cannot wait on each other',
      }),
    );
  }

  throwIfAny(errors);
  return graph;
}

/**
 * Every service `from` refers to, explicit first, in declaration order. An
 * implicit reference to a service already named is skipped: the first
 * declaration (and its condition) wins, as in compose-go's setIfMissing.
 */
export function serviceReferences(from: string, service: ServiceSpec): ServiceReference[] {
  const refs: ServiceReference[] = [];
  const seen = new Set<string>();
  const add = (to: string, spec: DependsOnSpec, source: EdgeSource, path: PathSegment[], raw?: string): void => {
    if (seen.has(to)) return;
    seen.add(to);
    const edge: ServiceEdge = { ...spec, source, path };
    refs.push({ to, edge: raw === undefined ? edge : { ...edge, raw } });
  };
  const base = ['services', from];

  for (const [to, spec] of Object.entries(service.depends_on ?? {})) {
    add(to, spec, 'depends_on', [...base, 'depends_on', to]);
  }
  (service.links ?? []).forEach((link, i) => {
    add(link.split(':')[0]!, STARTED_RESTART, 'links', [...base, 'links', i], link);
  });
  for (const field of NAMESPACE_FIELDS) {
    const value = service[field];
    if (typeof value === 'string' && value.startsWith(SERVICE_PREFIX)) {
      add(value.slice(SERVICE_PREFIX.length), STARTED_RESTART, field, [...base, field], value);
    }
  }
  (service.volumes_from ?? []).forEach((entry, i) => {
    // "container:name" shares volumes with a container outside the project: no edge.
    if (entry.startsWith('container:')) return;
    add(entry.split(':')[0]!, STARTED_NO_RESTART, 'volumes_from', [...base, 'volumes_from', i], entry);
  });
  return refs;
}

function unknownService(from: string, to: string, edge: ServiceEdge, known: string[], locate?: Locate): TugError {
  const via = edge.source === 'depends_on' ? '' : ` (${edge.source}: "${edge.raw}")`;
  const suggestion = closest(to, known);
  return new TugError({
    code: 'graph.unknown-service',
    message: `service "${from}" depends on undefined service "${to}"${via}`,
    path: edge.path,
    location: locate?.(edge.path),
    hint: suggestion
      ? `did you mean "${suggestion}"?`
      : known.length > 0
        ? `defined services: ${known.join(', ')}`
        : undefined,
  });
}

function disabledDependency(from: string, to: string, disabled: ServiceSpec, edge: ServiceEdge, locate?: Locate): TugError {
  const profiles = disabled.profiles ?? [];
  return new TugError({
    code: 'graph.disabled-dependency',
    message: `service "${to}" is required by "${from}" but is disabled`,
    path: edge.path,
    location: locate?.(edge.path),
    hint:
      profiles.length > 0
        ? `enable it with ${profiles.map((p) => `--profile ${p}`).join(' or ')}`
        : `name "${to}" on the command line to enable it`,
  });
}

/** Names a reference could have meant: every service in the file but the referrer. */
function knownNames(project: Project, from: string): string[] {
  const all = new Set([...Object.keys(project.services), ...Object.keys(project.disabledServices)]);
  all.delete(from);
  return [...all].sort();
}

/** The candidate nearest to `word` by edit distance, if it is close enough to be a typo. */
function closest(word: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const d = editDistance(word, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  // Two edits catch most typos; the length guard stops "db" suggesting "ui".
  return bestDistance <= Math.min(2, Math.floor(word.length / 2)) ? best : undefined;
}

/** Levenshtein distance, one row at a time. */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      row.push(Math.min(prev[j]! + 1, row[j - 1]! + 1, substitution));
    }
    prev = row;
  }
  return prev[b.length]!;
}
