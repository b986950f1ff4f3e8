// The planner for `up`, `create`, `scale` and watch reloads: (project, observed,
// options) → Plan. It decides everything (what to create, recreate, scale down,
// start, wait for); the executor only runs the steps in `after` order. Running
// it again on the state a plan produces yields an empty plan: convergence is
// "reconcile until there is nothing to do".
//
// Order of work, as in compose's reconcile.go: networks → volumes → replicas
// (dependencies first) → orphans. Steps wait only for what they truly need
// (`after`), so independent services proceed in parallel.
import { buildServiceGraph, type ServiceEdge } from '../graph/service-graph.js';
import type { Graph } from '../graph/graph.js';
import { order } from '../graph/order.js';
import { replicaCount } from '../load/check.js';
import { serviceConfigHash } from '../model/hash.js';
import { LABEL } from '../model/labels.js';
import type { Project, ServiceSpec } from '../model/types.js';
import { own } from '../dict.js';
import { groupBy, pushTo } from '../multimap.js';
import type { ObservedReplica, ObservedState } from './observed.js';
import type { Plan, ReplicaSpec } from './operations.js';
import { PlanBuilder } from './plan-builder.js';
import { replicaFactory } from './replica-spec.js';
import { hasProcess, isStartable, stopTimeoutMs } from './replica-state.js';
import { planResources, type ResourceSteps } from './resources.js';
import { nextReplicaNumbers, selectScaleDown } from './scale.js';

export type RecreatePolicy = 'diverged' | 'force' | 'never';

export interface ReconcileOptions {
  /** Services named on the CLI; undefined (or empty) means every enabled service. Dependencies are included unless noDeps. */
  services?: string[];
  noDeps?: boolean;
  /** For the targeted services. */
  recreate: RecreatePolicy;
  /** For the services pulled in as dependencies (--always-recreate-deps => force). */
  recreateDependencies: RecreatePolicy;
  /**
   * With services named: their dependents that declare `restart: true` on one
   * come into scope to be restarted around its recreate (stopped before it,
   * started after), never recreated, scaled or started otherwise. Compose does
   * this when a watch rebuild recreates a service (convergence's
   * stopDependentContainers, then a start that includes dependents).
   */
  restartDependents?: boolean;
  /** Overrides scale/deploy.replicas. */
  scale?: Record<string, number>;
  removeOrphans: boolean;
  /** false for create-only. */
  start: boolean;
  /** Start up-to-date replicas that are created/exited (first converge round only, so one-shots run once per `up`). */
  startExited: boolean;
  /** -t override; else the service's stop_grace_period, else 10 s. */
  timeoutMs?: number;
  tugVersion: string;
  /**
   * Image identity per service, from the backend (docker: image ID). A replica
   * whose image label differs is recreated, like one whose config hash differs.
   */
  images?: Record<string, string>;
  /**
   * Engine names of volumes the file declares that exist but were not made
   * for this project (by hand, or by another project through `name:`). They
   * are used as they are, as Compose does, and never created: observe lists
   * only the project's own volumes, so a create step would be planned again
   * every round.
   */
  foreignVolumes?: readonly string[];
}

/** What happens to one service's replicas. */
interface ServiceDecision {
  service: string;
  spec: ServiceSpec;
  desired: number;
  timeoutMs: number;
  /** Scale-down victims. */
  remove: ObservedReplica[];
  /** Kept but diverged (or forced): stop, remove, create under the same number. */
  recreate: ObservedReplica[];
  /** Numbers of brand-new replicas. */
  create: number[];
  /** Kept and up to date. */
  upToDate: ObservedReplica[];
  /** Up-to-date replicas that are created/exited and get started. */
  startExisting: ObservedReplica[];
  /** Running up-to-date replicas stopped and started again because a restart:true dependency is recreated. */
  restart: ObservedReplica[];
}

const NAMESPACE_FIELDS = ['network_mode', 'ipc', 'pid', 'uts', 'cgroup'] as const;

/**
 * Whether `spec` joins a namespace of `parent` or mounts its volumes. Such a
 * reference resolves to `container:<id>`, which goes stale when the parent is
 * recreated, so the dependent is recreated too (compose's parentNamespaceRecreated).
 * Read from the spec: normalisation folds these into depends_on, losing the source.
 */
export function sharesWithParent(spec: ServiceSpec, parent: string): boolean {
  if (NAMESPACE_FIELDS.some((f) => spec[f] === `service:${parent}`)) return true;
  return (spec.volumes_from ?? []).some((entry) => entry.split(':')[0] === parent);
}

export function reconcile(project: Project, observed: ObservedState, opts: ReconcileOptions): Plan {
  const full = buildServiceGraph(project);
  const named = opts.services && opts.services.length > 0 ? opts.services : undefined;
  const restartOnly = new Set(named && opts.restartDependents ? restartDependentsOf(full, named) : []);
  const scope = named ? full.subgraph([...named, ...restartOnly], { withDependencies: !opts.noDeps }) : full;
  const targeted = new Set(named ?? Object.keys(project.services));
  const upOrder = order(scope, 'dependencies-first');

  const builder = new PlanBuilder(project.name);
  const resources = planResources(builder, project, upOrder, observed, opts.foreignVolumes);

  const decisions = new Map<string, ServiceDecision>();
  const replicasOf = groupBy(observed.replicas.filter((r) => !r.oneoff), (r) => r.service);
  for (const service of upOrder) {
    const observedReplicas = replicasOf.get(service) ?? [];
    decisions.set(
      service,
      restartOnly.has(service)
        ? onlyRestartable(project, observedReplicas, service, opts)
        : decideService(project, observedReplicas, scope, service, targeted.has(service), decisions, opts),
    );
  }
  if (opts.start) markRestarts(scope, decisions);

  const stopIds = emitStops(builder, scope, decisions);
  emitReplicaWork(builder, project, scope, upOrder, decisions, stopIds, resources, opts);
  emitOrphans(builder, project, observed, opts);
  orderCreatesAfterRemovals(builder);
  return builder.build();
}

/**
 * Observed replicas no longer described by the project: their service is in
 * neither `services` nor `disabledServices` (profile-disabled services are not
 * orphans), plus one-offs that have exited or died.
 */
export function findOrphans(project: Project, observed: ObservedState): ObservedReplica[] {
  return observed.replicas
    .filter((r) =>
      r.oneoff
        ? r.state === 'exited' || r.state === 'dead'
        : !Object.hasOwn(project.services, r.service) && !Object.hasOwn(project.disabledServices, r.service),
    )
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function decideService(
  project: Project,
  all: readonly ObservedReplica[],
  scope: Graph<ServiceEdge>,
  service: string,
  targeted: boolean,
  decided: Map<string, ServiceDecision>,
  opts: ReconcileOptions,
): ServiceDecision {
  const spec = project.services[service]!;
  const hash = serviceConfigHash(spec);
  const policy = targeted ? opts.recreate : opts.recreateDependencies;
  const parentRecreated = scope
    .dependenciesOf(service)
    .some((d) => sharesWithParent(spec, d) && decided.get(d)!.recreate.length > 0);
  const obsolete = (r: ObservedReplica): boolean =>
    policy === 'force' ||
    (policy === 'diverged' && (parentRecreated || r.labels[LABEL.configHash] !== hash || imageChanged(r, own(opts.images, service))));

  // A replica already being removed is going away: replace it, but never reuse its number.
  const live = all.filter((r) => r.state !== 'removing');
  const desired = Math.max(0, own(opts.scale, service) ?? replicaCount(spec));
  const { keep, remove } = selectScaleDown(live, desired, obsolete);
  const upToDate = keep.filter((r) => !obsolete(r));
  return {
    service,
    spec,
    desired,
    timeoutMs: stopTimeoutMs(spec, opts.timeoutMs),
    remove,
    recreate: keep.filter(obsolete),
    create: nextReplicaNumbers(all, desired - keep.length),
    upToDate,
    startExisting: opts.start && opts.startExited ? upToDate.filter(isStartable) : [],
    restart: [],
  };
}

/** The services outside `named` that depend on one of them with `restart: true`. */
function restartDependentsOf(graph: Graph<ServiceEdge>, named: readonly string[]): string[] {
  const out = new Set<string>();
  for (const service of named) {
    for (const dependent of graph.dependentsOf(service)) if (!named.includes(dependent) && graph.edge(dependent, service)!.restart) out.add(dependent);
  }
  return [...out];
}

/** A dependent in scope only to be restarted (markRestarts decides whether): its replicas stay as they are. */
function onlyRestartable(project: Project, all: readonly ObservedReplica[], service: string, opts: ReconcileOptions): ServiceDecision {
  const spec = project.services[service]!;
  const live = all.filter((r) => r.state !== 'removing');
  return { service, spec, desired: live.length, timeoutMs: stopTimeoutMs(spec, opts.timeoutMs), remove: [], recreate: [], create: [], upToDate: live, startExisting: [], restart: [] };
}

/** depends_on.restart: true — a dependent's running replicas restart around its dependency's recreate. */
function markRestarts(scope: Graph<ServiceEdge>, decisions: Map<string, ServiceDecision>): void {
  for (const [service, decision] of decisions) {
    const triggered = scope
      .dependenciesOf(service)
      .some((d) => scope.edge(service, d)!.restart && decisions.get(d)!.recreate.length > 0);
    if (triggered) decision.restart = decision.upToDate.filter(hasProcess);
  }
}

/**
 * Every stop, dependents first. A recreated service's stops wait for the stops
 * of its restart:true dependents, so those are down before it goes away.
 * Returns the stop step id of each replica name.
 */
function emitStops(builder: PlanBuilder, scope: Graph<ServiceEdge>, decisions: Map<string, ServiceDecision>): Map<string, string> {
  const byName = new Map<string, string>();
  const restartSensitive = new Map<string, string[]>(); // service -> its restart/recreate stop ids
  for (const service of order(scope, 'dependents-first')) {
    const d = decisions.get(service)!;
    const dependentStops = scope
      .dependentsOf(service)
      .filter((t) => scope.edge(t, service)!.restart)
      .flatMap((t) => restartSensitive.get(t) ?? []);
    const stop = (r: ObservedReplica, after: string[]): string | undefined => {
      if (!hasProcess(r)) return undefined;
      const id = builder.add({ kind: 'stop-replica', service, name: r.name, id: r.id, timeoutMs: d.timeoutMs }, after);
      byName.set(r.name, id);
      return id;
    };
    const sensitive: string[] = [];
    for (const r of d.restart) sensitive.push(...optional(stop(r, [])));
    for (const r of d.recreate) sensitive.push(...optional(stop(r, dependentStops)));
    for (const r of d.remove) stop(r, []);
    restartSensitive.set(service, sensitive);
  }
  return byName;
}

function emitReplicaWork(
  builder: PlanBuilder,
  project: Project,
  scope: Graph<ServiceEdge>,
  upOrder: string[],
  decisions: Map<string, ServiceDecision>,
  stopIds: Map<string, string>,
  resources: ResourceSteps,
  opts: ReconcileOptions,
): void {
  const createIds = new Map<string, string[]>();
  const startIds = new Map<string, string[]>();
  for (const service of upOrder) {
    const d = decisions.get(service)!;
    const before = [
      ...resources.forService(d.spec),
      // A replica joining a parent's namespaces or volumes needs the parent's replicas to exist.
      ...scope
        .dependenciesOf(service)
        .filter((dep) => sharesWithParent(d.spec, dep))
        .flatMap((dep) => createIds.get(dep) ?? []),
    ];
    let replicaOf: ((number: number) => ReplicaSpec) | undefined;
    const create = (number: number, after: (string | undefined)[], replaced?: ObservedReplica): { name: string; id: string } => {
      replicaOf ??= replicaFactory(project, service, { tugVersion: opts.tugVersion, image: own(opts.images, service) });
      const replica = replicaOf(number);
      // The replacement mounts the old replica's anonymous volumes (-V/--renew-anon-volumes is not implemented).
      const inherited = replaced?.anonymousVolumes;
      if (inherited && Object.keys(inherited).length > 0) replica.inheritedVolumes = { ...inherited };
      return { name: replica.name, id: builder.add({ kind: 'create-replica', service, replica }, [...before, ...after]) };
    };
    // Compose keeps the anonymous volumes of replicas removed by a scale-down or a recreate.
    const remove = (r: ObservedReplica, reason: 'scale-down' | 'recreate'): string =>
      builder.add({ kind: 'remove-replica', service, name: r.name, id: r.id, reason, removeVolumes: false }, [stopIds.get(r.name)]);

    for (const r of d.remove) remove(r, 'scale-down');
    const toStart: { name: string; after: string | undefined }[] = [];
    for (const r of d.recreate) {
      const created = create(r.number, [remove(r, 'recreate')], r);
      toStart.push({ name: created.name, after: created.id });
    }
    for (const number of d.create) {
      const created = create(number, []);
      toStart.push({ name: created.name, after: created.id });
    }
    createIds.set(service, toStart.map((s) => s.after!));
    if (!opts.start) continue;
    for (const r of [...d.startExisting, ...d.restart]) toStart.push({ name: r.name, after: stopIds.get(r.name) });
    if (toStart.length === 0) continue;

    const awaits = scope
      .dependenciesOf(service)
      .filter((dep) => decisions.get(dep)!.desired > 0)
      .map((dep) => {
        const edge = scope.edge(service, dep)!;
        const op = { kind: 'await-dependency', service, dependency: dep, condition: edge.condition, required: edge.required } as const;
        return builder.add(op, startIds.get(dep) ?? []);
      });
    const started = toStart
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .map((s) => builder.add({ kind: 'start-replica', service, name: s.name }, [s.after, ...awaits]));
    startIds.set(service, started);
  }
}

function emitOrphans(builder: PlanBuilder, project: Project, observed: ObservedState, opts: ReconcileOptions): void {
  if (!opts.removeOrphans) return;
  for (const r of findOrphans(project, observed)) {
    const timeoutMs = stopTimeoutMs(undefined, opts.timeoutMs);
    const stop = hasProcess(r)
      ? builder.add({ kind: 'stop-replica', service: r.service, name: r.name, id: r.id, timeoutMs })
      : undefined;
    // As Compose: --remove-orphans keeps their anonymous volumes.
    builder.add({ kind: 'remove-replica', service: r.service, name: r.name, id: r.id, reason: 'orphan', removeVolumes: false }, [stop]);
  }
}

/** A name is free only once whatever holds it (a recreated replica, an orphan) is removed. */
function orderCreatesAfterRemovals(builder: PlanBuilder): void {
  const removals = new Map<string, string[]>();
  for (const step of builder.all()) {
    if (step.op.kind === 'remove-replica') pushTo(removals, step.op.name, step.id);
  }
  for (const step of builder.all()) {
    if (step.op.kind !== 'create-replica') continue;
    const holders = removals.get(step.op.replica.name);
    if (holders) builder.addAfter(step.id, holders);
  }
}

function optional<T>(value: T | undefined): T[] {
  return value === undefined ? [] : [value];
}

/** Only a known image identity counts: a backend without images never triggers this. */
function imageChanged(replica: ObservedReplica, desired: string | undefined): boolean {
  return desired !== undefined && replica.labels[LABEL.image] !== desired;
}
