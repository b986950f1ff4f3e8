// The mounts of a container's config.json, in the order runc applies them:
//   1. the kernel file systems every container has (/proc, a minimal /dev,
//      /dev/pts, /dev/shm sized by shm_size, /dev/mqueue, read-only /sys);
//   2. what the root-filesystem source needs (host directories, tmpfs /tmp ...);
//   3. the replica's own mounts, parents before children (sorted by depth, as
//      Docker does): generated /etc files, volumes at their target paths,
//      volumes_from, tmpfs, secrets and configs (read-only);
//   4. the init binary, when `init: true`.
// Pure: host paths of volumes and files come in through MountContext.
import { posix } from 'node:path';
import { TugError } from '../../../core/errors.js';
import type { FileObjectSpec, VolumeMount } from '../../../core/model/types.js';
import type { ReplicaSpec } from '../../../core/reconcile/operations.js';
import type { OciMount } from './oci-spec.js';

export interface VolumeHost {
  /** Host directory holding a named volume's data (by engine-side name). */
  named(name: string): string;
  /** Host directory of this replica's anonymous volume mounted at `target`. */
  anonymous(target: string): string;
}

/** A secret or config a service is granted, before its file is materialized. */
export interface FileGrant {
  kind: 'secret' | 'config';
  name: string;
  /** Absolute path inside the container. */
  target: string;
  /** The object's host file, or its inline `content` / `environment` value. */
  file?: string;
  content?: string;
  mode?: number;
  uid?: string;
  gid?: string;
}

export interface MountContext {
  volumes: VolumeHost;
  /** Host files for each granted secret/config, by target (materialized by the caller). */
  grantSources: Readonly<Record<string, string>>;
  /** Generated files, by path in the container (/etc/hostname, /etc/hosts, /etc/resolv.conf). */
  etcFiles: Readonly<Record<string, string>>;
  /** Mounts taken over from `volumes_from` services, already resolved (with `ro` when asked). */
  inheritedMounts?: readonly OciMount[];
}

const DEFAULT_SHM_BYTES = 64 * 1024 * 1024;

export function standardMounts(opts: { shmSize?: number; privileged: boolean; hostIpc: boolean }): OciMount[] {
  const shm = opts.shmSize && opts.shmSize > 0 ? opts.shmSize : DEFAULT_SHM_BYTES;
  const sysOpts = ['nosuid', 'noexec', 'nodev', opts.privileged ? 'rw' : 'ro'];
  const mounts: OciMount[] = [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', `size=${Math.floor(shm / 1024)}k`] },
  ];
  // mqueue belongs to the IPC namespace: a container sharing the host's has the host's.
  if (!opts.hostIpc) mounts.push({ destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] });
  mounts.push(
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: sysOpts },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: [...sysOpts, 'relatime'] },
  );
  return mounts;
}

function mountError(spec: ReplicaSpec, field: string, index: number | string, message: string, hint?: string): TugError {
  return new TugError({ code: 'container.mount', message: `service ${spec.service}: ${message}`, path: ['services', spec.service, field, index], hint });
}

/** An absolute, normalized path without `..`; undefined when `target` is not one. */
export function cleanTarget(target: string): string | undefined {
  if (!posix.isAbsolute(target) || target.split('/').includes('..')) return undefined;
  const clean = posix.normalize(target).replace(/\/+$/, '');
  return clean === '' ? undefined : clean;
}

const PROPAGATION = new Set(['private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave']);

function volumeMount(spec: ReplicaSpec, m: VolumeMount, i: number, ctx: MountContext, sink: TugError[]): OciMount | undefined {
  const target = cleanTarget(m.target);
  if (!target) {
    sink.push(mountError(spec, 'volumes', i, `mount target ${JSON.stringify(m.target)} is not an absolute path inside the container`));
    return undefined;
  }
  const access = m.read_only === true ? 'ro' : 'rw';
  switch (m.type) {
    case 'bind': {
      const propagation = m.bind?.propagation ?? 'rprivate';
      if (!PROPAGATION.has(propagation)) {
        sink.push(mountError(spec, 'volumes', i, `unknown bind propagation ${JSON.stringify(propagation)}`, [...PROPAGATION].join(', ')));
        return undefined;
      }
      return { destination: target, type: 'bind', source: m.source ?? '', options: ['rbind', access, propagation] };
    }
    case 'volume': {
      let source = m.source ? ctx.volumes.named(spec.volumeNames[m.source] ?? m.source) : ctx.volumes.anonymous(target);
      const subpath = m.volume?.subpath;
      if (typeof subpath === 'string' && subpath !== '') {
        if (posix.isAbsolute(subpath) || subpath.split('/').includes('..')) {
          sink.push(mountError(spec, 'volumes', i, `volume subpath ${JSON.stringify(subpath)} must stay inside the volume`));
          return undefined;
        }
        source = posix.join(source, subpath);
      }
      return { destination: target, type: 'bind', source, options: ['rbind', access, 'rprivate'] };
    }
    case 'tmpfs': {
      const options = ['nosuid', 'nodev', 'noexec', access];
      if (typeof m.tmpfs?.size === 'number') options.push(`size=${m.tmpfs.size}`);
      if (typeof m.tmpfs?.mode === 'number') options.push(`mode=${m.tmpfs.mode.toString(8)}`);
      return { destination: target, type: 'tmpfs', source: 'tmpfs', options };
    }
    default:
      sink.push(mountError(spec, 'volumes', i, `volume type "${m.type}" is not supported by tug's container runtime`, 'use bind, volume or tmpfs'));
      return undefined;
  }
}

/** `tmpfs: ["/run", "/cache:size=64m,exec"]`: Docker's defaults, overridden by the options given. */
function tmpfsEntry(spec: ReplicaSpec, entry: string, i: number, sink: TugError[]): OciMount | undefined {
  const colon = entry.indexOf(':');
  const rawTarget = colon < 0 ? entry : entry.slice(0, colon);
  const target = cleanTarget(rawTarget);
  if (!target) {
    sink.push(mountError(spec, 'tmpfs', i, `tmpfs target ${JSON.stringify(rawTarget)} is not an absolute path`));
    return undefined;
  }
  const opposite: Record<string, string> = { exec: 'noexec', noexec: 'exec', suid: 'nosuid', nosuid: 'suid', dev: 'nodev', nodev: 'dev', rw: 'ro', ro: 'rw' };
  const options = ['rw', 'noexec', 'nosuid', 'nodev'];
  const given = colon < 0 ? [] : entry.slice(colon + 1).split(',').filter(Boolean);
  for (const opt of given) {
    const key = opt.split('=')[0]!;
    const at = options.findIndex((o) => o === opposite[opt] || o === opt || (o.includes('=') && o.split('=')[0] === key));
    if (at >= 0) options.splice(at, 1);
    options.push(opt);
  }
  return { destination: target, type: 'tmpfs', source: 'tmpfs', options };
}

/** Secrets at /run/secrets/<target or name>, configs at <target> or /<name> (Compose's defaults). */
export function planFileGrants(
  spec: ReplicaSpec,
  secrets: Readonly<Record<string, FileObjectSpec>>,
  configs: Readonly<Record<string, FileObjectSpec>>,
  sink: TugError[],
): FileGrant[] {
  const out: FileGrant[] = [];
  const svc = spec.service_spec;
  for (const [kind, field, objects, base] of [
    ['secret', 'secrets', secrets, '/run/secrets'],
    ['config', 'configs', configs, '/'],
  ] as const) {
    const grants = svc[field];
    if (!Array.isArray(grants)) continue;
    grants.forEach((grant: unknown, i) => {
      const g = (typeof grant === 'object' && grant !== null ? grant : { source: String(grant) }) as Record<string, unknown>;
      const name = String(g.source ?? '');
      const object = objects[name];
      if (!object) {
        sink.push(mountError(spec, field, i, `${kind} "${name}" is not defined in the top-level ${field}`));
        return;
      }
      const written = typeof g.target === 'string' && g.target !== '' ? g.target : name;
      // posix.join would resolve "../" away: check what was written.
      const target = written.split('/').includes('..') ? undefined : cleanTarget(posix.isAbsolute(written) ? written : posix.join(base, written));
      if (!target) {
        sink.push(mountError(spec, field, i, `${kind} target ${JSON.stringify(written)} leaves its directory`));
        return;
      }
      const entry: FileGrant = { kind, name, target };
      if (typeof object.file === 'string') entry.file = object.file;
      else if (typeof object.content === 'string') entry.content = object.content;
      else {
        sink.push(mountError(spec, field, i, `${kind} "${name}" has neither a file nor content`, object.external ? 'external secrets and configs need a swarm' : undefined));
        return;
      }
      if (typeof g.mode === 'number') entry.mode = g.mode;
      if (g.uid !== undefined) entry.uid = String(g.uid);
      if (g.gid !== undefined) entry.gid = String(g.gid);
      out.push(entry);
    });
  }
  return out;
}

/**
 * `volumes_from: ["svc"]` or `["svc:ro"]`: the other replica's volumes and
 * binds at their own targets (not its tmpfs), read-only when asked. `volumes`
 * must be the other replica's (its anonymous volumes are its own).
 */
export function volumesFromMounts(other: ReplicaSpec, volumes: VolumeHost, readOnly: boolean): OciMount[] {
  const sink: TugError[] = [];
  const out: OciMount[] = [];
  (other.service_spec.volumes ?? []).forEach((m, i) => {
    if (m.type !== 'volume' && m.type !== 'bind') return;
    const mount = volumeMount(other, m, i, { volumes, grantSources: {}, etcFiles: {} }, sink);
    if (!mount) return;
    if (readOnly) mount.options = mount.options?.map((o) => (o === 'rw' ? 'ro' : o));
    out.push(mount);
  });
  return out;
}

const depth = (m: OciMount) => m.destination.split('/').filter(Boolean).length;

/** The replica's own mounts (step 3), parents first; duplicate targets are an error. */
export function replicaMounts(spec: ReplicaSpec, grants: readonly FileGrant[], ctx: MountContext, sink: TugError[]): OciMount[] {
  const svc = spec.service_spec;
  const own: OciMount[] = [];
  const seen = new Map<string, string>();
  const claim = (target: string, what: string, field: string, index: number | string): boolean => {
    const earlier = seen.get(target);
    if (earlier) {
      sink.push(mountError(spec, field, index, `${what} is mounted at ${target}, where ${earlier} already is`, 'each target path can hold one mount'));
      return false;
    }
    seen.set(target, what);
    return true;
  };
  (svc.volumes ?? []).forEach((m, i) => {
    const mount = volumeMount(spec, m, i, ctx, sink);
    if (mount && claim(mount.destination, `volume ${m.source ?? '(anonymous)'}`, 'volumes', i)) own.push(mount);
  });
  const tmpfs = Array.isArray(svc.tmpfs) ? (svc.tmpfs as unknown[]).map(String) : [];
  tmpfs.forEach((entry, i) => {
    const mount = tmpfsEntry(spec, entry, i, sink);
    if (mount && claim(mount.destination, 'a tmpfs', 'tmpfs', i)) own.push(mount);
  });
  grants.forEach((g, i) => {
    const source = ctx.grantSources[g.target];
    if (source === undefined) return;
    if (claim(g.target, `${g.kind} ${g.name}`, `${g.kind}s`, i)) own.push({ destination: g.target, type: 'bind', source, options: ['rbind', 'ro', 'rprivate'] });
  });
  // volumes_from: the other replica's mounts, unless this one mounts something there itself.
  for (const m of ctx.inheritedMounts ?? []) if (!seen.has(m.destination)) own.push(m);
  // Generated files, unless the user mounts their own there (as Docker does).
  for (const [target, source] of Object.entries(ctx.etcFiles)) {
    if (!seen.has(target)) own.push({ destination: target, type: 'bind', source, options: ['rbind', svc.read_only === true ? 'ro' : 'rw', 'rprivate'] });
  }
  // A stable sort: equal depths keep the order written.
  return own.map((m, i) => ({ m, i })).sort((a, b) => depth(a.m) - depth(b.m) || a.i - b.i).map(({ m }) => m);
}
