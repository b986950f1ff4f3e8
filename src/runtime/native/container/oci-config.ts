// ReplicaSpec → the OCI runtime's config.json. Pure, like to-create-options.ts
// for the Docker Engine: everything that needs the machine (the root
// filesystem, resolved user ids, host paths of volumes and generated files,
// namespace paths, the cgroup path, the init binary) comes in as OciContext,
// so the whole mapping is unit-tested from literal specs to literal JSON.
import { posix } from 'node:path';
import { TugError, throwIfAny } from '../../../core/errors.js';
import type { ReplicaSpec } from '../../../core/reconcile/operations.js';
import { DEFAULT_PATH } from '../../../core/images/container-config.js';
import { serviceEnvironment } from '../replica-env.js';
import { INIT_TARGET } from './init-binary.js';
import { replicaMounts, standardMounts, type FileGrant, type MountContext } from './oci-mounts.js';
import { ociResources, type ResourceContext } from './oci-resources.js';
import {
  capabilitySet,
  DEFAULT_DEVICE_RULES,
  MASKED_PATHS,
  namespacedSysctls,
  PRIVILEGED_DEVICE_RULES,
  READONLY_PATHS,
  rlimits,
  securityOptions,
} from './oci-security.js';
import type { OciConfig, OciMount, OciNamespace, OciProcess } from './oci-spec.js';

export const OCI_VERSION = '1.0.2';
const MAX_HOSTNAME = 63;

/** What a root-filesystem source contributes (see rootfs/rootfs-source.ts). */
export interface RootfsView {
  path: string;
  readonly: boolean;
  /** Mounts the source needs (host directories, private /tmp, ...), before the replica's own. */
  mounts: readonly OciMount[];
  /**
   * The root filesystem itself, for the runtime to mount at / before any
   * other (an image's overlay): made inside the container's own mount
   * namespace, so the host's mount table never holds it. `path` is then an
   * empty directory it covers.
   */
  rootMount?: OciMount;
  /** The environment the source provides (an image's ENV; selected host variables for the host root). */
  env: Readonly<Record<string, string>>;
  /** Working directory when the service sets none. */
  cwd: string;
  /** An image's ENTRYPOINT and CMD, which the service's entrypoint/command override. */
  entrypoint?: readonly string[];
  cmd?: readonly string[];
}

export type NetworkNamespace =
  | { kind: 'path'; path: string } // prepared by tug's network layer (or another replica's, for service:X)
  | { kind: 'host' }
  | { kind: 'new' }; // empty, loopback only

export interface OciContext {
  rootfs: RootfsView;
  /** The host name of the replica whose network this one shares (`network_mode: service:X`). */
  hostname?: string;
  /** Resolved from the replica's own /etc/passwd and /etc/group, group_add included. */
  user: { uid: number; gid: number; additionalGids: number[]; home?: string };
  mounts: MountContext;
  grants: readonly FileGrant[];
  network: NetworkNamespace;
  /** Namespaces joined from another replica (`pid: service:x`, `ipc: service:x`). */
  join?: { pid?: string; ipc?: string };
  cgroupsPath: string;
  /** The static init, required when the service sets `init: true`. */
  initPath?: string;
  resources: ResourceContext;
}

export interface OciResult {
  config: OciConfig;
  /** Settings accepted but not applied, for the engine log. */
  notes: string[];
}

function configError(spec: ReplicaSpec, field: string, message: string, hint?: string): TugError {
  return new TugError({ code: 'container.config', message: `service ${spec.service}: ${message}`, path: ['services', spec.service, field], hint });
}

/**
 * The supplementary groups a process gets: its primary group first, then the
 * others, as Docker's daemon writes them (`id` shows `groups=1000` for
 * `user: 1000:1000`, not an empty list).
 */
export function supplementaryGroups(gid: number, additional: readonly number[] = []): number[] {
  return [gid, ...additional.filter((g) => g !== gid)];
}

/** Docker's rule: the service's entrypoint replaces the image's and drops its CMD; a command replaces CMD. */
export function processArgs(spec: ReplicaSpec, rootfs: RootfsView): string[] {
  const svc = spec.service_spec;
  if (svc.entrypoint !== undefined && svc.entrypoint !== null) return [...svc.entrypoint, ...(svc.command ?? [])];
  const command = svc.command !== undefined && svc.command !== null ? svc.command : (rootfs.cmd ?? []);
  return [...(rootfs.entrypoint ?? []), ...command];
}

function environment(spec: ReplicaSpec, ctx: OciContext, hostname: string): string[] {
  const env = serviceEnvironment(spec, { PATH: DEFAULT_PATH, ...ctx.rootfs.env, HOSTNAME: hostname, HOME: ctx.user.home ?? '/' });
  return Object.entries(env).map(([k, v]) => `${k}=${v}`);
}

/** `hostname:`, or the replica's name cut to what the kernel accepts. */
export function hostnameOf(spec: ReplicaSpec, sink: TugError[]): string {
  const written = spec.service_spec.hostname;
  if (typeof written === 'string' && written !== '') {
    if (written.length > MAX_HOSTNAME || !/^[A-Za-z0-9][A-Za-z0-9.-]*$/.test(written)) {
      sink.push(configError(spec, 'hostname', `hostname ${JSON.stringify(written)} is not a valid host name`, `letters, digits, dots and dashes, at most ${MAX_HOSTNAME} characters`));
    }
    return written;
  }
  return spec.name.slice(0, MAX_HOSTNAME);
}

function namespaces(spec: ReplicaSpec, ctx: OciContext): OciNamespace[] {
  const svc = spec.service_spec;
  const out: OciNamespace[] = [];
  if (svc.pid !== 'host') out.push(ctx.join?.pid ? { type: 'pid', path: ctx.join.pid } : { type: 'pid' });
  if (ctx.network.kind === 'path') out.push({ type: 'network', path: ctx.network.path });
  else if (ctx.network.kind === 'new') out.push({ type: 'network' });
  if (svc.ipc !== 'host') out.push(ctx.join?.ipc ? { type: 'ipc', path: ctx.join.ipc } : { type: 'ipc' });
  if (svc.uts !== 'host') out.push({ type: 'uts' });
  out.push({ type: 'mount' });
  if (svc.cgroup !== 'host') out.push({ type: 'cgroup' });
  return out;
}

export function toOciConfig(spec: ReplicaSpec, ctx: OciContext): OciResult {
  const svc = spec.service_spec;
  const sink: TugError[] = [];
  const notes: string[] = [];
  const privileged = svc.privileged === true;
  const hostname = ctx.hostname ?? hostnameOf(spec, sink);

  let args = processArgs(spec, ctx.rootfs);
  if (args.length === 0) {
    sink.push(configError(spec, 'command', 'nothing to run: no command, no entrypoint', 'set `command:` (or `entrypoint:`) for the service'));
  }
  if (svc.init === true) {
    if (ctx.initPath) args = [INIT_TARGET, '--', ...args];
    else sink.push(configError(spec, 'init', '`init: true` needs a static init binary (tini-static), and this machine has none', 'apt-get install tini'));
  }
  const workingDir = typeof svc.working_dir === 'string' && svc.working_dir !== '' ? posix.resolve(ctx.rootfs.cwd, svc.working_dir) : ctx.rootfs.cwd;
  if (Array.isArray(svc.devices) && svc.devices.length > 0) {
    sink.push(configError(spec, 'devices', 'host devices are not supported by tug\'s container runtime yet', 'use the docker backend, or `--isolation process`'));
  }

  const security = securityOptions(spec.service, svc.security_opt, sink);
  notes.push(...security.notes);
  const process: OciProcess = {
    terminal: false,
    user: { uid: ctx.user.uid, gid: ctx.user.gid },
    args,
    env: environment(spec, ctx, hostname),
    cwd: workingDir,
    capabilities: capabilitySet(spec.service, svc, sink),
    noNewPrivileges: security.noNewPrivileges,
  };
  process.user.additionalGids = supplementaryGroups(ctx.user.gid, ctx.user.additionalGids);
  const limits = rlimits(spec.service, svc.ulimits, sink);
  if (limits) process.rlimits = limits;
  if (typeof svc.oom_score_adj === 'number') process.oomScoreAdj = svc.oom_score_adj;

  const hostIpc = svc.ipc === 'host';
  const mounts: OciMount[] = [
    ...(ctx.rootfs.rootMount ? [ctx.rootfs.rootMount] : []),
    ...standardMounts({ shmSize: typeof svc.shm_size === 'number' ? svc.shm_size : undefined, privileged, hostIpc }),
    ...ctx.rootfs.mounts,
    ...replicaMounts(spec, ctx.grants, ctx.mounts, sink),
  ];
  if (svc.init === true && ctx.initPath) mounts.push({ destination: INIT_TARGET, type: 'bind', source: ctx.initPath, options: ['bind', 'ro', 'nosuid', 'nodev'] });

  const sysctl = namespacedSysctls(spec.service, svc.sysctls, { hostNetwork: ctx.network.kind === 'host', hostIpc, hostUts: svc.uts === 'host' }, sink);
  const resources = ociResources(spec.service, svc, ctx.resources, sink, notes);
  throwIfAny(sink);

  const config: OciConfig = {
    ociVersion: OCI_VERSION,
    process,
    root: { path: ctx.rootfs.path, readonly: ctx.rootfs.readonly || svc.read_only === true },
    hostname,
    mounts,
    linux: {
      namespaces: namespaces(spec, ctx),
      cgroupsPath: ctx.cgroupsPath,
      resources: { devices: privileged ? PRIVILEGED_DEVICE_RULES : DEFAULT_DEVICE_RULES, ...resources },
      maskedPaths: privileged ? [] : [...MASKED_PATHS],
      readonlyPaths: privileged ? [] : [...READONLY_PATHS],
    },
    annotations: { 'org.tug.project': spec.project, 'org.tug.service': spec.service, 'org.tug.replica': spec.name },
  };
  if (typeof svc.domainname === 'string' && svc.domainname !== '') config.domainname = svc.domainname;
  if (sysctl) config.linux.sysctl = sysctl;
  return { config, notes };
}

export interface ExecRequest {
  args: string[];
  /** KEY=VALUE pairs added to (or replacing in) the replica's environment. */
  env?: Record<string, string>;
  cwd?: string;
  /** Already resolved ids; the replica's user otherwise. */
  user?: { uid: number; gid: number; additionalGids?: number[] };
}

/** The process of `exec` and health probes: the replica's own, with the request's changes. */
export function execProcess(base: OciProcess, req: ExecRequest): OciProcess {
  const env = new Map(base.env.map((kv) => [kv.slice(0, kv.indexOf('=')), kv] as const));
  for (const [k, v] of Object.entries(req.env ?? {})) env.set(k, `${k}=${v}`);
  const user = req.user ? { uid: req.user.uid, gid: req.user.gid, additionalGids: supplementaryGroups(req.user.gid, req.user.additionalGids) } : base.user;
  return { ...base, args: [...req.args], env: [...env.values()], cwd: req.cwd ? posix.resolve(base.cwd, req.cwd) : base.cwd, user };
}
