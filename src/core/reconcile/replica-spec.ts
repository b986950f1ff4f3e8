// Turns one service of a Project into the ReplicaSpec a backend creates: the
// name, every label `down`/`ps`/`logs` later rely on (so they work without the
// file), and the engine-side names of the networks and volumes it uses.
import { serviceReferences } from '../graph/service-graph.js';
import { dependsOnLabel, LABEL, replicaName } from '../model/labels.js';
import { serviceConfigHash } from '../model/hash.js';
import type { FileObjectSpec, Project, ServiceSpec } from '../model/types.js';
import type { ReplicaSpec } from './operations.js';
import { dict, own } from '../dict.js';

export interface ReplicaSpecOptions {
  tugVersion: string;
  /** A `run` replica: named `<project>-<service>-run-<slug>`, number 0. */
  oneoff?: boolean;
  slug?: string;
  /** The image identity the backend resolved for this service (docker: image ID). */
  image?: string;
}

export function buildReplicaSpec(project: Project, service: string, number: number, opts: ReplicaSpecOptions): ReplicaSpec {
  return replicaFactory(project, service, opts)(number);
}

/**
 * What a service's replicas share (the config hash, labels, resource names) is
 * computed once; the returned function names and numbers one replica. Planning
 * 100,000 replicas hashed the service 100,000 times before.
 */
export function replicaFactory(project: Project, service: string, opts: ReplicaSpecOptions): (number: number) => ReplicaSpec {
  // `run` may target a profile-disabled service; compose enables it for the run.
  const spec = own(project.services, service) ?? own(project.disabledServices, service);
  if (!spec) throw new Error(`replica spec: no service "${service}" in project "${project.name}"`); // a caller bug
  const oneoff = opts.oneoff ?? false;
  const labels = sharedLabels(project, service, spec, opts);
  const networks = networkNames(project, spec);
  const volumes = volumeNames(project, spec);
  const external = {
    networks: Object.keys(networks).flatMap((key) => (own(project.networks, key)?.external ? [networks[key]!] : [])),
    volumes: Object.keys(volumes).flatMap((key) => (own(project.volumes, key)?.external ? [volumes[key]!] : [])),
  };
  const secrets = grantedObjects(spec.secrets, project.secrets);
  const configs = grantedObjects(spec.configs, project.configs);
  return (number) => ({
    project: project.name,
    service,
    number: oneoff ? 0 : number,
    name: nameOf(project.name, service, number, spec, oneoff, opts.slug),
    oneoff,
    // Compose gives one-offs a slug and no container number.
    labels: oneoff ? { ...labels, [LABEL.slug]: opts.slug ?? '' } : { ...labels, [LABEL.number]: String(number) },
    service_spec: spec,
    projectDir: project.workingDir,
    networkNames: networks,
    volumeNames: volumes,
    externalNetworks: external.networks,
    externalVolumes: external.volumes,
    secrets,
    configs,
  });
}

function nameOf(project: string, service: string, number: number, spec: ServiceSpec, oneoff: boolean, slug?: string): string {
  if (oneoff) {
    if (!slug) throw new Error(`replica spec: one-off replica of "${service}" needs a slug`); // a caller bug
    return `${project}-${service}-run-${slug}`;
  }
  // container_name names the single replica; a scaled service is refused at load.
  return replicaName(project, service, number, number === 1 ? spec.container_name : undefined);
}

/** Every label but the replica's number or slug. */
function sharedLabels(project: Project, service: string, spec: ServiceSpec, opts: ReplicaSpecOptions): Record<string, string> {
  const oneoff = opts.oneoff ?? false;
  // The label carries implicit dependencies too (links, network_mode, volumes_from),
  // as compose's normalised depends_on does, so `down` orders them without the file.
  const dependsOn = dict<{ condition: string; restart: boolean }>();
  for (const { to, edge } of serviceReferences(service, spec)) dependsOn[to] = edge;
  return {
    ...(spec.labels ?? {}),
    [LABEL.project]: project.name,
    [LABEL.service]: service,
    [LABEL.oneoff]: oneoff ? 'True' : 'False',
    [LABEL.configHash]: serviceConfigHash(spec),
    ...(opts.image ? { [LABEL.image]: opts.image } : {}),
    [LABEL.dependsOn]: dependsOnLabel(dependsOn),
    [LABEL.workingDir]: project.workingDir,
    [LABEL.configFiles]: project.configFiles.join(','),
    [LABEL.tugVersion]: opts.tugVersion,
  };
}

/** Engine-side network names by Compose key, for the networks the service joins. */
export function networkNames(project: Project, spec: ServiceSpec): Record<string, string> {
  const out = dict<string>();
  for (const key of Object.keys(spec.networks ?? {}).sort()) {
    out[key] = own(project.networks, key)?.name ?? `${project.name}_${key}`;
  }
  return out;
}

/** Engine-side volume names by Compose key, for the named volumes the service mounts. */
export function volumeNames(project: Project, spec: ServiceSpec): Record<string, string> {
  const out = dict<string>();
  for (const mount of spec.volumes ?? []) {
    if (mount.type !== 'volume' || !mount.source) continue;
    const declared = own(project.volumes, mount.source);
    if (declared) out[mount.source] = declared.name ?? `${project.name}_${mount.source}`;
  }
  return out;
}

/** The top-level secret or config definitions a service's grants name (`- db_password`, `- source: db_password`). */
function grantedObjects(grants: unknown, declared: Readonly<Record<string, FileObjectSpec>>): Record<string, FileObjectSpec> {
  const out = dict<FileObjectSpec>();
  for (const grant of Array.isArray(grants) ? grants : []) {
    const name = typeof grant === 'string' ? grant : typeof (grant as { source?: unknown })?.source === 'string' ? (grant as { source: string }).source : undefined;
    const object = name === undefined ? undefined : own(declared, name);
    if (name !== undefined && object) out[name] = object;
  }
  return out;
}

/** Targets of the volume mounts the service leaves unnamed: each gets an anonymous volume of its own. */
export function anonymousVolumeTargets(spec: ServiceSpec): string[] {
  return [...new Set((spec.volumes ?? []).flatMap((m) => (m.type === 'volume' && !m.source ? [m.target] : [])))];
}
