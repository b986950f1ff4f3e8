// Networks and volumes `up` must create before replicas can use them. Only the
// ones the planned services use are created (compose drops unused resources
// before it converges), and external ones never: they must already exist.
import type { Project, ServiceSpec, VolumeSpec } from '../model/types.js';
import type { ObservedState } from './observed.js';
import type { Plan } from './operations.js';
import { PlanBuilder } from './plan-builder.js';

export interface ResourceSteps {
  /** Ids of the create-network/create-volume steps a replica of this service must wait for. */
  forService(spec: ServiceSpec): string[];
}

/** `foreign`: volumes that exist without the project's label (ReconcileOptions.foreignVolumes); never created. */
export function planResources(builder: PlanBuilder, project: Project, services: string[], observed: ObservedState, foreign: readonly string[] = []): ResourceSteps {
  const usedNetworks = new Set<string>();
  const usedVolumes = new Set<string>();
  for (const service of services) {
    const spec = project.services[service]!;
    for (const key of networkKeys(spec)) usedNetworks.add(key);
    for (const key of volumeKeys(spec)) usedVolumes.add(key);
  }

  const networkSteps = new Map<string, string>();
  const observedNetworks = new Set(observed.networks.map((n) => n.name));
  for (const [key, spec] of Object.entries(project.networks)) {
    if (!usedNetworks.has(key) || spec.external) continue;
    const name = spec.name ?? `${project.name}_${key}`;
    if (observedNetworks.has(name)) continue;
    networkSteps.set(key, builder.add({ kind: 'create-network', key, name, spec }));
  }

  const volumeSteps = new Map<string, string>();
  const observedVolumes = new Set([...observed.volumes.map((v) => v.name), ...foreign]);
  for (const [key, spec] of Object.entries(project.volumes)) {
    if (!usedVolumes.has(key) || spec.external) continue;
    const name = volumeName(project, key, spec);
    if (observedVolumes.has(name)) continue;
    volumeSteps.set(key, builder.add({ kind: 'create-volume', key, name, spec }));
  }

  return {
    forService(spec) {
      return [
        ...networkKeys(spec).flatMap((k) => optional(networkSteps.get(k))),
        ...volumeKeys(spec).flatMap((k) => optional(volumeSteps.get(k))),
      ];
    },
  };
}

/** Engine names of the volumes `up` would create for these services (declared, not external). */
export function declaredVolumeNames(project: Project, services: readonly string[]): string[] {
  const used = new Set(services.flatMap((s) => volumeKeys(project.services[s]!)));
  return Object.entries(project.volumes)
    .filter(([key, spec]) => used.has(key) && !spec.external)
    .map(([key, spec]) => volumeName(project, key, spec));
}

function volumeName(project: Project, key: string, spec: VolumeSpec): string {
  return spec.name ?? `${project.name}_${key}`;
}

function networkKeys(spec: ServiceSpec): string[] {
  return Object.keys(spec.networks ?? {});
}

function volumeKeys(spec: ServiceSpec): string[] {
  return (spec.volumes ?? []).flatMap((m) => (m.type === 'volume' && m.source ? [m.source] : []));
}

function optional<T>(value: T | undefined): T[] {
  return value === undefined ? [] : [value];
}

/**
 * Engine names of the external networks and volumes the plan's new replicas
 * use. They must exist before anything runs; a backend checks them up front
 * (Compose: "external volume not found") instead of failing halfway, or, as
 * the engine would, creating a missing volume silently.
 */
export function externalResourcesOf(plan: Plan): { networks: string[]; volumes: string[] } {
  const networks = new Set<string>();
  const volumes = new Set<string>();
  for (const { op } of plan.steps) {
    if (op.kind !== 'create-replica') continue;
    for (const name of op.replica.externalNetworks) networks.add(name);
    for (const name of op.replica.externalVolumes) volumes.add(name);
  }
  return { networks: [...networks].sort(), volumes: [...volumes].sort() };
}
