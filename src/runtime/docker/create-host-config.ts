// The HostConfig part of a ContainerCreate body: mounts, secrets and configs,
// resources, restart policy and the host-level settings of a service. Pure,
// like to-create-options.ts, which calls it.
import { posix } from 'node:path';
import type { FileObjectSpec, ServiceSpec, VolumeMount } from '../../core/model/types.js';
import type { ReplicaSpec } from '../../core/reconcile/operations.js';
import { anonymousVolumeTargets } from '../../core/reconcile/replica-spec.js';
import { TugError } from '../../core/errors.js';
import { restartPolicyOf } from '../../core/model/restart-policy.js';
import type { CreateContext, FileInjection } from './to-create-options.js';

export interface MountConfig {
  Type: string;
  Source?: string;
  Target: string;
  ReadOnly?: boolean;
  Consistency?: string;
  BindOptions?: { Propagation?: string };
  VolumeOptions?: { NoCopy?: boolean };
  TmpfsOptions?: { SizeBytes?: number; Mode?: number };
}

export interface HostConfig {
  NetworkMode?: string;
  PortBindings?: Record<string, { HostIp: string; HostPort: string }[]>;
  Binds?: string[];
  Mounts?: MountConfig[];
  VolumesFrom?: string[];
  Tmpfs?: Record<string, string>;
  RestartPolicy?: { Name: string; MaximumRetryCount?: number };
  [key: string]: unknown;
}

type Raw = Record<string, unknown>;

const isRaw = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

export function toHostConfig(spec: ReplicaSpec, ctx: CreateContext): { hostConfig: HostConfig; injections: FileInjection[] } {
  const svc = spec.service_spec;
  const host: HostConfig = {};
  const binds: string[] = [];
  const mounts: MountConfig[] = [];
  for (const m of svc.volumes ?? []) addMount(m, spec, binds, mounts);
  inheritVolumes(spec.inheritedVolumes, imageVolumeTargets(spec, ctx.imageVolumes), mounts);
  const injections: FileInjection[] = [];
  addFileGrants(svc.secrets, spec.secrets, '/run/secrets', binds, injections);
  addFileGrants(svc.configs, spec.configs, '/', binds, injections);
  if (binds.length > 0) host.Binds = binds;
  if (mounts.length > 0) host.Mounts = mounts;
  if (svc.volumes_from && svc.volumes_from.length > 0) host.VolumesFrom = svc.volumes_from.map((v) => volumesFrom(v, spec, ctx));

  const restart = restartPolicy(spec.service, svc);
  if (restart) host.RestartPolicy = restart;
  Object.assign(host, resources(svc), settings(svc, spec, ctx));
  return { hostConfig: host, injections };
}

/** Binds for bind mounts that may create their host path (the Mounts API refuses a missing source); Mounts for the rest. */
function addMount(m: VolumeMount, spec: ReplicaSpec, binds: string[], mounts: MountConfig[]): void {
  const readOnly = m.read_only === true;
  if (m.type === 'bind' && m.source) {
    if (m.bind?.create_host_path) {
      const opts = [readOnly ? 'ro' : 'rw', m.bind.selinux, m.bind.propagation].filter((o): o is string => Boolean(o));
      binds.push(`${m.source}:${m.target}:${opts.join(',')}`);
      return;
    }
    const mount: MountConfig = { Type: 'bind', Source: m.source, Target: m.target };
    if (readOnly) mount.ReadOnly = true;
    if (m.bind?.propagation) mount.BindOptions = { Propagation: m.bind.propagation };
    mounts.push(mount);
    return;
  }
  if (m.type === 'volume') {
    const mount: MountConfig = { Type: 'volume', Target: m.target };
    // A declared volume's engine name; an undeclared or anonymous one as written (or none).
    if (m.source) mount.Source = spec.volumeNames[m.source] ?? m.source;
    if (readOnly) mount.ReadOnly = true;
    if (m.volume?.nocopy) mount.VolumeOptions = { NoCopy: true };
    mounts.push(mount);
    return;
  }
  if (m.type === 'tmpfs') {
    const mount: MountConfig = { Type: 'tmpfs', Target: m.target };
    const size = num(m.tmpfs?.size);
    const mode = num(m.tmpfs?.mode);
    if (size !== undefined || mode !== undefined) {
      mount.TmpfsOptions = {};
      if (size !== undefined) mount.TmpfsOptions.SizeBytes = size;
      if (mode !== undefined) mount.TmpfsOptions.Mode = mode;
    }
    mounts.push(mount);
    return;
  }
  const mount: MountConfig = { Type: m.type, Target: m.target };
  if (m.source) mount.Source = m.source;
  if (readOnly) mount.ReadOnly = true;
  mounts.push(mount);
}

/**
 * Where the container gets anonymous volumes: the spec's unnamed volume
 * mounts, and the image's VOLUMEs the spec mounts nothing at (the engine makes
 * one for each). Written into a label at create, so what is anonymous is a
 * recorded fact, never guessed from a volume's name.
 */
export function anonymousTargets(spec: ReplicaSpec, imageVolumes: readonly string[] | undefined): string[] {
  return [...new Set([...anonymousVolumeTargets(spec.service_spec), ...imageVolumeTargets(spec, imageVolumes)])].sort();
}

/**
 * The image's VOLUMEs nothing in the spec mounts over. With volumes_from they
 * may come from the other container, so none are counted as this one's own.
 */
function imageVolumeTargets(spec: ReplicaSpec, imageVolumes: readonly string[] | undefined): string[] {
  const svc = spec.service_spec;
  if (!imageVolumes || imageVolumes.length === 0 || (svc.volumes_from?.length ?? 0) > 0) return [];
  const tmpfsPaths = Array.isArray(svc.tmpfs) ? (svc.tmpfs as unknown[]).map((t) => String(t).split(':')[0]!) : [];
  const taken = new Set([...(svc.volumes ?? []).map((m) => cleanTarget(m.target)), ...tmpfsPaths.map(cleanTarget)]);
  return imageVolumes.map(cleanTarget).filter((t) => !taken.has(t));
}

function cleanTarget(target: string): string {
  const clean = posix.normalize(target);
  return clean.length > 1 ? clean.replace(/\/+$/, '') : clean;
}

/** A recreate: the replaced container's anonymous volumes are mounted at the same anonymous targets of the new one. */
function inheritVolumes(inherited: Readonly<Record<string, string>> | undefined, imageTargets: readonly string[], mounts: MountConfig[]): void {
  if (!inherited) return;
  for (const mount of mounts) {
    if (mount.Type === 'volume' && mount.Source === undefined && inherited[mount.Target]) mount.Source = inherited[mount.Target];
  }
  for (const target of imageTargets) {
    if (inherited[target]) mounts.push({ Type: 'volume', Source: inherited[target], Target: target });
  }
}

/** Secrets at /run/secrets/<name>, configs at /<name>: file sources as read-only binds, `content` copied in after create. */
function addFileGrants(
  grants: unknown,
  objects: Readonly<Record<string, FileObjectSpec>> | undefined,
  base: string,
  binds: string[],
  injections: FileInjection[],
): void {
  if (!Array.isArray(grants)) return;
  for (const grant of grants) {
    const g: Raw = isRaw(grant) ? grant : { source: String(grant) };
    const source = String(g.source ?? '');
    const object = objects?.[source];
    if (!object) continue;
    const target = typeof g.target === 'string' && g.target !== '' ? g.target : source;
    const path = posix.isAbsolute(target) ? target : posix.join(base, target);
    if (typeof object.file === 'string') binds.push(`${object.file}:${path}:ro`);
    else if (typeof object.content === 'string') {
      const injection: FileInjection = { path, content: object.content };
      const mode = num(g.mode);
      if (mode !== undefined) injection.mode = mode;
      if (g.uid !== undefined) injection.uid = Number(g.uid);
      if (g.gid !== undefined) injection.gid = Number(g.gid);
      injections.push(injection);
    }
  }
}

/** "svc[:ro]" → "<container of svc>[:ro]"; "container:name[:ro]" → "name[:ro]". */
function volumesFrom(entry: string, spec: ReplicaSpec, ctx: CreateContext): string {
  if (entry.startsWith('container:')) return entry.slice('container:'.length);
  const [service = '', mode] = entry.split(':');
  const resolved = resolveReference(`service:${service}`, spec, ctx, 'volumes_from').slice('container:'.length);
  return mode ? `${resolved}:${mode}` : resolved;
}

/** The service's restart policy (core/model/restart-policy.ts: deploy.restart_policy over `restart:`), as the Engine API takes it; none when neither is set. */
export function restartPolicy(service: string, svc: ServiceSpec): HostConfig['RestartPolicy'] {
  if (svc.restart === undefined && !(isRaw(svc.deploy) && isRaw(svc.deploy.restart_policy))) return undefined;
  const policy = restartPolicyOf(service, svc);
  return policy.maxAttempts === undefined ? { Name: policy.mode } : { Name: policy.mode, MaximumRetryCount: policy.maxAttempts };
}

/** deploy.resources.limits over the service-level fields (mem_limit, cpus, pids_limit). */
function resources(svc: ServiceSpec): Raw {
  const res = isRaw(svc.deploy) && isRaw(svc.deploy.resources) ? svc.deploy.resources : {};
  const limits = isRaw(res.limits) ? res.limits : {};
  const reservations = isRaw(res.reservations) ? res.reservations : {};
  const out: Raw = {};
  const memory = num(limits.memory) ?? num(svc.mem_limit);
  if (memory !== undefined) out.Memory = memory;
  const cpus = num(limits.cpus) ?? num(svc.cpus);
  if (cpus !== undefined) out.NanoCpus = Math.round(cpus * 1e9);
  const pids = num(limits.pids) ?? num(svc.pids_limit);
  if (pids !== undefined) out.PidsLimit = pids;
  const reservation = num(reservations.memory) ?? num(svc.mem_reservation);
  if (reservation !== undefined) out.MemoryReservation = reservation;
  const copy: [string, string][] = [
    ['memswap_limit', 'MemorySwap'],
    ['mem_swappiness', 'MemorySwappiness'],
    ['cpu_shares', 'CpuShares'],
    ['cpu_quota', 'CpuQuota'],
    ['cpu_period', 'CpuPeriod'],
    ['oom_score_adj', 'OomScoreAdj'],
  ];
  for (const [from, to] of copy) if (num(svc[from]) !== undefined) out[to] = svc[from];
  if (typeof svc.cpuset === 'string') out.CpusetCpus = svc.cpuset;
  if (svc.oom_kill_disable === true) out.OomKillDisable = true;
  return out;
}

/** The host-level switches and lists, each only when set. */
function settings(svc: ServiceSpec, spec: ReplicaSpec, ctx: CreateContext): Raw {
  const out: Raw = {};
  const flags: [string, string][] = [['init', 'Init'], ['privileged', 'Privileged'], ['read_only', 'ReadonlyRootfs']];
  for (const [from, to] of flags) if (svc[from] === true) out[to] = true;
  const lists: [string, string][] = [
    ['cap_add', 'CapAdd'],
    ['cap_drop', 'CapDrop'],
    ['dns', 'Dns'],
    ['dns_search', 'DnsSearch'],
    ['dns_opt', 'DnsOptions'],
    ['security_opt', 'SecurityOpt'],
    ['group_add', 'GroupAdd'],
    ['device_cgroup_rules', 'DeviceCgroupRules'],
  ];
  for (const [from, to] of lists) if (Array.isArray(svc[from]) && (svc[from] as unknown[]).length > 0) out[to] = (svc[from] as unknown[]).map(String);
  const strings: [string, string][] = [
    ['userns_mode', 'UsernsMode'],
    ['cgroup', 'CgroupnsMode'],
    ['cgroup_parent', 'CgroupParent'],
    ['runtime', 'Runtime'],
    ['isolation', 'Isolation'],
  ];
  for (const [from, to] of strings) if (typeof svc[from] === 'string') out[to] = svc[from];
  const namespaces: [string, string][] = [['ipc', 'IpcMode'], ['pid', 'PidMode'], ['uts', 'UTSMode']];
  for (const [from, to] of namespaces) if (typeof svc[from] === 'string') out[to] = resolveReference(svc[from] as string, spec, ctx, from);
  if (num(svc.shm_size) !== undefined) out.ShmSize = svc.shm_size;
  if (isRaw(svc.sysctls) && Object.keys(svc.sysctls).length > 0) out.Sysctls = { ...svc.sysctls };
  if (isRaw(svc.storage_opt)) out.StorageOpt = { ...svc.storage_opt };
  if (isRaw(svc.extra_hosts)) {
    out.ExtraHosts = Object.entries(svc.extra_hosts).flatMap(([h, ips]) => (Array.isArray(ips) ? ips : [ips]).map((ip) => `${h}:${String(ip)}`));
  }
  if (isRaw(svc.ulimits)) out.Ulimits = Object.entries(svc.ulimits).map(([name, l]) => ulimit(name, l));
  if (Array.isArray(svc.devices)) out.Devices = svc.devices.filter(isRaw).map(device);
  if (Array.isArray(svc.tmpfs)) out.Tmpfs = Object.fromEntries((svc.tmpfs as unknown[]).map((t) => splitOnce(String(t), ':')));
  if (isRaw(svc.logging) && (svc.logging.driver || svc.logging.options)) {
    out.LogConfig = { Type: String(svc.logging.driver ?? ''), Config: isRaw(svc.logging.options) ? { ...svc.logging.options } : {} };
  }
  return out;
}

function ulimit(name: string, limit: unknown): { Name: string; Soft: number; Hard: number } {
  if (isRaw(limit)) return { Name: name, Soft: Number(limit.soft), Hard: Number(limit.hard) };
  return { Name: name, Soft: Number(limit), Hard: Number(limit) };
}

function device(d: Raw): { PathOnHost: string; PathInContainer: string; CgroupPermissions: string } {
  const source = String(d.source ?? '');
  return { PathOnHost: source, PathInContainer: String(d.target ?? source), CgroupPermissions: String(d.permissions ?? 'rwm') };
}

function splitOnce(text: string, sep: string): [string, string] {
  const i = text.indexOf(sep);
  return i < 0 ? [text, ''] : [text.slice(0, i), text.slice(i + 1)];
}

/** `service:x` → `container:<id of x>`; other values pass through. */
export function resolveReference(value: string, spec: ReplicaSpec, ctx: CreateContext, field: string): string {
  if (!value.startsWith('service:')) return value;
  const service = value.slice('service:'.length);
  const container = ctx.containerOf?.(service);
  if (!container) {
    throw new TugError({
      code: 'docker.missing-reference',
      message: `service "${spec.service}" uses ${field}: ${value}, but service "${service}" has no container`,
      path: ['services', spec.service, field],
      hint: `start "${service}" first (tug up ${service})`,
    });
  }
  return `container:${container}`;
}
