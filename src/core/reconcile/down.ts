// Planners that work from observed state and labels alone: `down`, `stop`,
// `start`, `kill`, `restart`. The Compose file is optional (it may be gone);
// dependency order comes from the depends_on label on each replica.
import { LABEL } from '../model/labels.js';
import type { Project } from '../model/types.js';
import { groupBy } from '../multimap.js';
import { graphFromLabels, labelOrder } from './label-graph.js';
import type { ObservedReplica, ObservedState } from './observed.js';
import type { Plan, RemoveReason } from './operations.js';
import { PlanBuilder } from './plan-builder.js';
import { hasProcess, isStartable, stopTimeoutMs } from './replica-state.js';
import { own } from '../dict.js';

export interface DownOptions {
  /** The current project, when the file still loads; without it every replica goes, and no named volume (see downVolumes). */
  project?: Project;
  services?: string[];
  removeVolumes: boolean;
  removeOrphans: boolean;
  timeoutMs?: number;
}

export function planDown(observed: ObservedState, opts: DownOptions): Plan {
  const builder = new PlanBuilder(observed.project);
  const named = nonEmpty(opts.services);
  const { project } = opts;
  const isOrphan = (r: ObservedReplica): boolean =>
    project !== undefined && !Object.hasOwn(project.services, r.service) && !Object.hasOwn(project.disabledServices, r.service);
  const replicas = observed.replicas.filter(
    (r) => r.state !== 'removing' && (!named || named.includes(r.service)) && (opts.removeOrphans || !isOrphan(r)),
  );

  const stops = emitStops(builder, replicas, (r) => stopTimeoutMs(own(project?.services, r.service), opts.timeoutMs));
  const removals = sortByName(replicas).map((r) => {
    const reason: RemoveReason = isOrphan(r) ? 'orphan' : r.oneoff ? 'oneoff' : 'down';
    // As Compose: -v takes the anonymous volumes of the replicas it removes, orphans' excepted.
    const removeVolumes = opts.removeVolumes && reason !== 'orphan';
    return builder.add({ kind: 'remove-replica', service: r.service, name: r.name, id: r.id, reason, removeVolumes }, [stops.get(r.name)]);
  });

  // Naming services tears down only their replicas; shared networks and volumes stay.
  if (named) return builder.build();
  // A network the file now calls external is someone else's to remove, label or not.
  const external = new Set(Object.entries(project?.networks ?? {}).flatMap(([key, n]) => (n.external ? [n.name ?? `${project!.name}_${key}`] : [])));
  for (const network of sortByName(observed.networks.filter((n) => isOurs(observed, n.labels) && !external.has(n.name)))) {
    builder.add({ kind: 'remove-network', name: network.name }, removals);
  }
  if (opts.removeVolumes) {
    for (const name of downVolumes(observed, project).remove) builder.add({ kind: 'remove-volume', name }, removals);
  }
  return builder.build();
}

/** Why `down -v` left a volume that carries the project's label. */
export type KeptVolumeReason = 'external' | 'undeclared' | 'no-file';

export interface DownVolumes {
  /** Named volumes `down -v` removes: declared by the file, not external, and made for this project. */
  remove: string[];
  kept: { name: string; reason: KeptVolumeReason }[];
}

/**
 * The project's named volumes under `down -v`. Only what the file declares
 * (and not as external) goes: a label says tug once made the volume, not that
 * the file still wants it gone. Without the file nothing can be told, so
 * every named volume stays. Anonymous volumes go with their replicas.
 */
export function downVolumes(observed: ObservedState, project: Project | undefined): DownVolumes {
  const declared = new Map<string, boolean>();
  for (const [key, v] of Object.entries(project?.volumes ?? {})) {
    declared.set(v.name ?? `${project!.name}_${key}`, v.external === true);
  }
  const out: DownVolumes = { remove: [], kept: [] };
  for (const volume of sortByName(observed.volumes.filter((v) => isOurs(observed, v.labels)))) {
    const isExternal = declared.get(volume.name);
    if (!project) out.kept.push({ name: volume.name, reason: 'no-file' });
    else if (isExternal === undefined) out.kept.push({ name: volume.name, reason: 'undeclared' });
    else if (isExternal) out.kept.push({ name: volume.name, reason: 'external' });
    else out.remove.push(volume.name);
  }
  return out;
}

function isOurs(observed: ObservedState, labels: Record<string, string>): boolean {
  return labels[LABEL.project] === observed.project;
}

export function planStop(observed: ObservedState, opts: { services?: string[]; timeoutMs?: number }): Plan {
  const builder = new PlanBuilder(observed.project);
  emitStops(builder, serviceReplicas(observed, opts.services), () => stopTimeoutMs(undefined, opts.timeoutMs));
  return builder.build();
}

export function planStart(observed: ObservedState, opts: { services?: string[] }): Plan {
  const builder = new PlanBuilder(observed.project);
  const candidates = serviceReplicas(observed, opts.services).filter(isStartable);
  emitStarts(builder, candidates, serviceReplicas(observed, undefined), new Map());
  return builder.build();
}

export function planKill(observed: ObservedState, opts: { services?: string[]; signal: string }): Plan {
  const builder = new PlanBuilder(observed.project);
  for (const r of sortByName(serviceReplicas(observed, opts.services).filter(hasProcess))) {
    builder.add({ kind: 'kill-replica', service: r.service, name: r.name, id: r.id, signal: opts.signal });
  }
  return builder.build();
}

/** Stop what runs (dependents first), then start every replica of the services again (dependencies first). */
export function planRestart(observed: ObservedState, opts: { services?: string[]; timeoutMs?: number }): Plan {
  const builder = new PlanBuilder(observed.project);
  const replicas = serviceReplicas(observed, opts.services);
  const stops = emitStops(builder, replicas, () => stopTimeoutMs(undefined, opts.timeoutMs));
  const restartable = replicas.filter((r) => hasProcess(r) || isStartable(r));
  emitStarts(builder, restartable, serviceReplicas(observed, undefined), stops);
  return builder.build();
}

/**
 * Stop steps for the replicas that run, dependents first: a service's stops
 * wait for the nearest dependents that had something to stop. Returns the
 * stop step id by replica name.
 */
function emitStops(
  builder: PlanBuilder,
  replicas: readonly ObservedReplica[],
  timeoutOf: (r: ObservedReplica) => number,
): Map<string, string> {
  const graph = graphFromLabels(replicas);
  const running = groupBy(replicas.filter(hasProcess), (r) => r.service);
  const byName = new Map<string, string>();
  // What a dependency must wait for: this service's stops, or if it had none, its dependents' frontier.
  const frontier = new Map<string, string[]>();
  for (const service of labelOrder(graph, 'dependents-first')) {
    const after = [...new Set(graph.dependentsOf(service).flatMap((t) => frontier.get(t) ?? []))];
    const mine = sortByName(running.get(service) ?? []).map((r) => {
      const id = builder.add({ kind: 'stop-replica', service, name: r.name, id: r.id, timeoutMs: timeoutOf(r) }, after);
      byName.set(r.name, id);
      return id;
    });
    frontier.set(service, mine.length > 0 ? mine : after);
  }
  return byName;
}

/**
 * Start steps, dependencies first: before a service's starts, one
 * await-dependency per dependency that has replicas (the label does not record
 * `required`, so it is taken as true).
 */
function emitStarts(
  builder: PlanBuilder,
  toStart: readonly ObservedReplica[],
  present: readonly ObservedReplica[],
  stops: Map<string, string>,
): void {
  const graph = graphFromLabels(present);
  const startable = groupBy(toStart, (r) => r.service);
  const startIds = new Map<string, string[]>();
  for (const service of labelOrder(graph, 'dependencies-first')) {
    const mine = sortByName(startable.get(service) ?? []);
    if (mine.length === 0) continue;
    const awaits = graph.dependenciesOf(service).map((dependency) => {
      const { condition } = graph.edge(service, dependency)!;
      return builder.add(
        { kind: 'await-dependency', service, dependency, condition, required: true },
        startIds.get(dependency) ?? [],
      );
    });
    const ids = mine.map((r) => builder.add({ kind: 'start-replica', service, name: r.name }, [stops.get(r.name), ...awaits]));
    startIds.set(service, ids);
  }
}

/** The service replicas (not one-offs) of the named services, or of all. */
function serviceReplicas(observed: ObservedState, services: string[] | undefined): ObservedReplica[] {
  const named = nonEmpty(services);
  return observed.replicas.filter((r) => !r.oneoff && r.state !== 'removing' && (!named || named.includes(r.service)));
}

function nonEmpty(services: string[] | undefined): string[] | undefined {
  return services && services.length > 0 ? services : undefined;
}

function sortByName<T extends { name: string }>(items: readonly T[]): T[] {
  return [...items].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
