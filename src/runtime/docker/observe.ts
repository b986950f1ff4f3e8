// What the engine holds for a project, as tug's ObservedState: one
// ContainerList, one NetworkList and one VolumeList filtered on the project
// label. The list already tells state, health, exit code and ports; only
// containers that have stopped (exited, dead, restarting) are inspected, for
// the exact times `attach` and the dependency waits compare against.
import type Dockerode from 'dockerode';
import { exposedOnly } from '../../core/model/exposed-ports.js';
import { LABEL, parseTargetsLabel } from '../../core/model/labels.js';
import type { HealthState, ObservedReplica, ObservedState, ObservedVolume, PublishedPort, ReplicaState } from '../../core/reconcile/observed.js';
import type { ProjectSummary } from '../backend.js';
import { isNotFound } from './engine-errors.js';
import type { EngineLister } from './engine-reader.js';
import { pushTo } from '../../core/multimap.js';
import { compareText } from '../../core/compare.js';

const STATES: ReadonlySet<string> = new Set(['created', 'running', 'restarting', 'paused', 'exited', 'dead', 'removing']);
const NEEDS_INSPECT: ReadonlySet<ReplicaState> = new Set(['exited', 'dead', 'restarting']);
const NEVER = '0001-01-01T00:00:00Z';

/** The engine filter for a project's containers: Compose marks members by project and config-hash labels. */
export function projectFilter(project: string): { label: string[] } {
  return { label: [`${LABEL.project}=${project}`, LABEL.configHash] };
}

/**
 * A container's own anonymous volumes, by target: its volume mounts at the
 * targets tug recorded as anonymous when it created the container. Nothing
 * else counts, whatever the volume is called (an external volume may well
 * have a 64-hex name).
 */
export function anonymousVolumes(
  labels: Record<string, string>,
  mounts: readonly { Type?: string; Name?: string; Destination: string }[] | undefined,
): Record<string, string> {
  const targets = new Set(parseTargetsLabel(labels[LABEL.anonymousVolumes]));
  const out: Record<string, string> = {};
  for (const m of mounts ?? []) if (m.Type === 'volume' && m.Name && targets.has(m.Destination)) out[m.Destination] = m.Name;
  return out;
}

export async function observeProject(docker: EngineLister, project: string): Promise<ObservedState> {
  const labelFilter = { label: [`${LABEL.project}=${project}`] };
  const [containers, networks, volumes] = await Promise.all([
    docker.listContainers({ all: true, filters: projectFilter(project) }),
    docker.listNetworks({ filters: labelFilter }),
    docker.listVolumes({ filters: labelFilter }),
  ]);
  const replicas = await Promise.all(
    containers.map(async (c) => {
      const listed = fromListing(c);
      if (!NEEDS_INSPECT.has(listed.state)) return listed;
      try {
        return fromInspect(await docker.getContainer(c.Id).inspect());
      } catch (err) {
        if (isNotFound(err)) return undefined; // removed between list and inspect
        throw err;
      }
    }),
  );
  return {
    project,
    replicas: replicas.filter((r): r is ObservedReplica => r !== undefined).sort((a, b) => compareText(a.name, b.name)),
    networks: networks.map((n) => ({ name: n.Name, key: n.Labels?.[LABEL.network], labels: n.Labels ?? {} })),
    volumes: (volumes.Volumes ?? []).map(observedVolume),
  };
}

/** Those of these volumes that exist, whoever made them: one list (the engine's name filter matches substrings, so names are compared here). */
export async function findVolumes(docker: EngineLister, names: readonly string[]): Promise<ObservedVolume[]> {
  if (names.length === 0) return [];
  const wanted = new Set(names);
  const listed = await docker.listVolumes({ filters: { name: [...wanted] } });
  return (listed.Volumes ?? []).filter((v) => wanted.has(v.Name)).map(observedVolume);
}

function observedVolume(v: Dockerode.VolumeInspectInfo): ObservedVolume {
  return { name: v.Name, key: v.Labels?.[LABEL.volume], labels: v.Labels ?? {} };
}

export async function listProjects(docker: EngineLister): Promise<ProjectSummary[]> {
  const containers = await docker.listContainers({ all: true, filters: { label: [LABEL.project, LABEL.configHash] } });
  const byProject = new Map<string, Dockerode.ContainerInfo[]>();
  for (const c of containers) {
    const name = c.Labels[LABEL.project]!;
    pushTo(byProject, name, c);
  }
  return [...byProject.keys()].sort().map((name) => {
    const members = byProject.get(name)!;
    const counts = new Map<string, number>();
    for (const c of members) counts.set(c.State, (counts.get(c.State) ?? 0) + 1);
    const status = [...counts].sort(([a], [b]) => compareText(a, b)).map(([s, n]) => `${s}(${n})`).join(', ');
    const labels = members.find((c) => c.Labels[LABEL.configFiles])?.Labels ?? members[0]!.Labels;
    const configFiles = labels[LABEL.configFiles]?.split(',').filter((f) => f !== '') ?? [];
    return { name, status, configFiles, workingDir: labels[LABEL.workingDir] };
  });
}

/** A ContainerList entry. startedAt of a running container is estimated from its "Up 5 minutes" status. */
export function fromListing(c: Dockerode.ContainerInfo, now = Date.now()): ObservedReplica {
  const state = toState(c.State);
  const replica = base(c.Id, c.Names[0] ?? c.Id, c.Labels ?? {}, state);
  const health = healthFromStatus(c.Status);
  if (health) replica.health = health;
  const exit = /^(?:Exited|Restarting) \((-?\d+)\)/.exec(c.Status ?? '');
  if (exit) replica.exitCode = Number(exit[1]);
  replica.createdAt = new Date(c.Created * 1000).toISOString();
  if (state === 'running' || state === 'paused') {
    const up = /^Up (.+?)(?: \(.*\))?$/.exec(c.Status ?? '');
    if (up) replica.startedAt = new Date(now - approximateAge(up[1]!)).toISOString();
  }
  replica.ports = (c.Ports ?? [])
    .filter((p) => p.PublicPort)
    .map((p) => ({ hostIp: p.IP ?? '', published: p.PublicPort, target: p.PrivatePort, protocol: toProtocol(p.Type) }));
  setExposed(replica, (c.Ports ?? []).filter((p) => !p.PublicPort).map((p) => `${p.PrivatePort}/${p.Type}`));
  replica.image = c.Image;
  replica.command = c.Command;
  setAnonymousVolumes(replica, c.Mounts);
  return replica;
}

/** A ContainerInspect result: exact times, restart count, health. */
export function fromInspect(info: Dockerode.ContainerInspectInfo): ObservedReplica {
  const state = toState(info.State.Status);
  const replica = base(info.Id, info.Name, info.Config.Labels ?? {}, state);
  const health = info.State.Health?.Status;
  if (health === 'starting' || health === 'healthy' || health === 'unhealthy') replica.health = health;
  if (state === 'exited' || state === 'dead' || state === 'restarting') replica.exitCode = info.State.ExitCode;
  replica.restartCount = info.RestartCount ?? 0;
  replica.createdAt = isoOrUndefined(info.Created);
  replica.startedAt = isoOrUndefined(info.State.StartedAt);
  if (state !== 'running') replica.finishedAt = isoOrUndefined(info.State.FinishedAt);
  if (info.State.Pid > 0) replica.pid = info.State.Pid;
  const bindings = info.NetworkSettings?.Ports as Record<string, { HostIp: string; HostPort: string }[] | null> | undefined;
  replica.ports = portsFromInspect(bindings);
  setExposed(replica, Object.entries(bindings ?? {}).filter(([, b]) => !b?.some((x) => x.HostPort)).map(([key]) => key));
  replica.image = info.Config.Image;
  replica.command = [info.Path, ...(info.Args ?? [])].join(' ');
  setAnonymousVolumes(replica, info.Mounts);
  return replica;
}

function setAnonymousVolumes(replica: ObservedReplica, mounts: readonly { Type?: string; Name?: string; Destination: string }[] | undefined): void {
  const volumes = anonymousVolumes(replica.labels, mounts);
  if (Object.keys(volumes).length > 0) replica.anonymousVolumes = volumes;
}

/** What a `destroy` event still tells about a container that is gone. */
export function fromEventActor(id: string, attributes: Record<string, string>): ObservedReplica {
  const { name = id, image, exitCode, ...labels } = attributes;
  const replica = base(id, name, labels, 'removing');
  if (exitCode !== undefined) replica.exitCode = Number(exitCode);
  if (image) replica.image = image;
  return replica;
}

function base(id: string, rawName: string, labels: Record<string, string>, state: ReplicaState): ObservedReplica {
  const number = Number(labels[LABEL.number] ?? '0');
  return {
    id,
    name: rawName.replace(/^\//, ''),
    project: labels[LABEL.project] ?? '',
    service: labels[LABEL.service] ?? '',
    number: Number.isInteger(number) ? number : 0,
    oneoff: labels[LABEL.oneoff] === 'True',
    labels,
    state,
    restartCount: 0,
    ports: [],
  };
}

function toState(value: string | undefined): ReplicaState {
  return value && STATES.has(value) ? (value as ReplicaState) : 'dead';
}

function toProtocol(value: string | undefined): PublishedPort['protocol'] {
  return value === 'udp' || value === 'sctp' ? value : 'tcp';
}

function healthFromStatus(status: string | undefined): HealthState | undefined {
  if (!status) return undefined;
  if (status.includes('(health: starting)')) return 'starting';
  if (status.includes('(unhealthy)')) return 'unhealthy';
  if (status.includes('(healthy)')) return 'healthy';
  return undefined;
}

/** The engine's exposed-only ports ("8080/tcp" keys) on the replica, as ps shows them. */
function setExposed(replica: ObservedReplica, keys: string[]): void {
  const exposed = exposedOnly(keys, replica.ports);
  if (exposed.length > 0) replica.exposed = exposed;
}

function portsFromInspect(ports: Record<string, { HostIp: string; HostPort: string }[] | null> | undefined): PublishedPort[] {
  const out: PublishedPort[] = [];
  for (const [key, bindings] of Object.entries(ports ?? {})) {
    const [target = '0', protocol] = key.split('/');
    for (const b of bindings ?? []) {
      if (!b.HostPort) continue;
      out.push({ hostIp: b.HostIp ?? '', published: Number(b.HostPort), target: Number(target), protocol: toProtocol(protocol) });
    }
  }
  return out;
}

function isoOrUndefined(value: string | undefined): string | undefined {
  if (!value || value === NEVER || value.startsWith('0001-')) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

const UNIT_MS: Readonly<Record<string, number>> = {
  second: 1_000,
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
  week: 604_800_000,
  month: 2_592_000_000,
  year: 31_536_000_000,
};

/** The engine's human durations ("Less than a second", "About a minute", "5 hours") in ms. */
export function approximateAge(text: string): number {
  const m = /^(?:(\d+)|About an?|Less than a) (second|minute|hour|day|week|month|year)s?$/.exec(text.trim());
  if (!m) return 0;
  if (text.startsWith('Less')) return 0;
  return (m[1] ? Number(m[1]) : 1) * UNIT_MS[m[2]!]!;
}
