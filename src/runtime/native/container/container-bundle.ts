// One replica's OCI bundle, written to projects/<p>/containers/<replica>/:
// its generated /etc files, materialized secrets and configs, the volume
// directories it mounts, the root filesystem from its RootfsSource, and the
// config.json from oci-config.ts. This is the container-mode counterpart of
// process mode's planLaunch + prepareDirs.
import { chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TugError, throwIfAny } from '../../../core/errors.js';
import { resolveUser } from '../../../core/model/user.js';
import type { FileObjectSpec } from '../../../core/model/types.js';
import type { HostReplicaSpec } from '../host-env.js';
import { anonDir } from '../engine/mounts.js';
import { projectPaths, volumeDataDir } from '../home.js';
import type { CgroupMounts } from './cgroups/cgroup-layout.js';
import { swapAccounting } from './cgroups/cgroup-files.js';
import { embeddedServerOptions, hostHostsFile, hostnameFile, hostResolvConf, hostsFile, resolvConf, resolveHostGateway, upstreamNameservers } from './etc-files.js';
import { INIT_TARGET } from './init-binary.js';
import { readTextFile } from './read-file.js';
import { replicaCgroup } from './names.js';
import { hostnameOf, toOciConfig, type NetworkNamespace } from './oci-config.js';
import { planFileGrants, replicaMounts, type FileGrant, type MountContext } from './oci-mounts.js';
import { serializeOciConfig, type OciConfig, type OciMount } from './oci-spec.js';
import type { MountTarget, PreparedRootfs, RootfsSource } from './rootfs/rootfs-source.js';

export type EtcInput =
  | { kind: 'generated'; addresses: readonly string[]; nameservers: readonly string[] }
  /** network_mode: host: the host's own files. */
  | { kind: 'host' }
  /** network_mode: service:X: the files tug wrote into X's bundle directory `bundle`. */
  | { kind: 'joined'; bundle: string };

export interface BundleInputs {
  home: string;
  rootfs: RootfsSource;
  cgroups: CgroupMounts;
  network: NetworkNamespace;
  etc: EtcInput;
  secrets?: Readonly<Record<string, FileObjectSpec>>;
  configs?: Readonly<Record<string, FileObjectSpec>>;
  initPath?: string;
  inheritedMounts?: readonly OciMount[];
  join?: { pid?: string; ipc?: string };
  /** The replica's anonymous volumes (volume name by target), as the engine recorded them; a private directory otherwise. */
  anonymousVolumes?: Readonly<Record<string, string>>;
  /** The /etc files, when writeEtcFilesAsync wrote them already (from the same `etc`); written here otherwise. */
  etcFiles?: Readonly<Record<string, string>>;
}

export interface ContainerBundle {
  id: string;
  dir: string;
  config: OciConfig;
  notes: string[];
  rootfs: PreparedRootfs;
  cgroupsPath: string;
}

/** Where the project's replicas share root-filesystem skeletons (removed with the project). */
export function sharedRootfsDir(home: string, project: string): string {
  return join(projectPaths(home, project).dir, 'rootfs');
}

export function containersDir(home: string, project: string): string {
  return join(projectPaths(home, project).dir, 'containers');
}

export function bundleDir(home: string, project: string, replica: string): string {
  return join(containersDir(home, project), replica);
}

/** The runtime's state directory (`--root`) for a project. */
export function runtimeRoot(home: string, project: string): string {
  return join(projectPaths(home, project).dir, 'runc');
}

function anonymousDir(home: string, spec: HostReplicaSpec, target: string, names?: Readonly<Record<string, string>>): string {
  const name = names?.[target];
  if (name !== undefined) return volumeDataDir(home, name);
  return join(anonDir(home, spec.project, spec.name), target.replace(/^\/+/, '').replace(/[^A-Za-z0-9._-]/g, '_') || 'root');
}

/** Where a bundle's generated /etc files are, by the path they are mounted at. */
export function etcFilePaths(dir: string): Record<'/etc/hostname' | '/etc/hosts' | '/etc/resolv.conf', string> {
  return {
    '/etc/hostname': join(dir, 'hostname'),
    '/etc/hosts': join(dir, 'hosts'),
    '/etc/resolv.conf': join(dir, 'resolv.conf'),
  };
}

const stringList = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : []);

/**
 * Docker's files for each network mode: on a project network, generated ones
 * naming the embedded server; sharing another replica's network, the files
 * tug wrote for that replica (never read through its root: an image whose
 * /etc is an absolute symlink would resolve there on the host); on the host's
 * network, the host's with the service's settings applied; with none, the
 * `dns` servers themselves (no embedded server is reachable).
 */
function etcFileContents(spec: HostReplicaSpec, etc: EtcInput): Record<keyof ReturnType<typeof etcFilePaths>, string> {
  const svc = spec.service_spec;
  if (etc.kind === 'joined') {
    const theirs = etcFilePaths(etc.bundle);
    return {
      '/etc/hostname': readTextFile(theirs['/etc/hostname']) ?? '',
      '/etc/hosts': readTextFile(theirs['/etc/hosts']) ?? '',
      '/etc/resolv.conf': readTextFile(theirs['/etc/resolv.conf']) ?? '',
    };
  }
  const dns = { nameservers: stringList(svc.dns), search: stringList(svc.dns_search), options: stringList(svc.dns_opt) };
  const extraHosts = (typeof svc.extra_hosts === 'object' && svc.extra_hosts !== null ? svc.extra_hosts : {}) as Record<string, string[]>;
  if (etc.kind === 'host') {
    return {
      '/etc/hostname': readTextFile('/etc/hostname') ?? '',
      // The host itself is the gateway of the host's network.
      '/etc/hosts': hostHostsFile(readTextFile('/etc/hosts') ?? '', resolveHostGateway(extraHosts, '127.0.0.1')),
      '/etc/resolv.conf': hostResolvConf(readTextFile('/etc/resolv.conf') ?? '', dns),
    };
  }
  const hostname = hostnameOf(spec, []);
  // The embedded server listens on the gateway, which is the host's address on that network.
  const embedded = etc.nameservers[0];
  const resolv = embedded !== undefined
    ? { nameservers: etc.nameservers, search: dns.search, options: embeddedServerOptions(dns.options) }
    : { ...dns, nameservers: dns.nameservers.length > 0 ? dns.nameservers : upstreamNameservers(readTextFile('/etc/resolv.conf') ?? '') };
  return {
    '/etc/hostname': hostnameFile(hostname),
    '/etc/hosts': hostsFile({ hostname, domainname: typeof svc.domainname === 'string' ? svc.domainname : undefined, addresses: etc.addresses, extraHosts: resolveHostGateway(extraHosts, embedded) }),
    '/etc/resolv.conf': resolvConf(resolv),
  };
}

function writeEtcFiles(dir: string, spec: HostReplicaSpec, etc: EtcInput): Record<string, string> {
  const files = etcFilePaths(dir);
  for (const [target, content] of Object.entries(etcFileContents(spec, etc))) writeFileSync(files[target as keyof typeof files], content);
  return files;
}

/**
 * The bundle's /etc files, written off the event loop (with 100 replicas
 * starting, three small synchronous writes each held it ~2 ms apiece on a
 * busy disk); `writeBundle` given them as `etcFiles` leaves them as they are.
 * The caller has recorded the bundle directory.
 */
export async function writeEtcFilesAsync(home: string, spec: HostReplicaSpec, etc: EtcInput): Promise<Record<string, string>> {
  const dir = bundleDir(home, spec.project, spec.name);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const files = etcFilePaths(dir);
  await Promise.all(Object.entries(etcFileContents(spec, etc)).map(([target, content]) => writeFile(files[target as keyof typeof files], content)));
  return files;
}

/** Host files for the grants: the object's own file when it needs no change, else a private copy. */
function materializeGrants(dir: string, grants: readonly FileGrant[]): Record<string, string> {
  const out: Record<string, string> = {};
  grants.forEach((g, i) => {
    if (g.file !== undefined && g.mode === undefined && g.uid === undefined && g.gid === undefined) {
      out[g.target] = g.file;
      return;
    }
    const path = join(dir, 'grants', String(i));
    mkdirSync(join(dir, 'grants'), { recursive: true, mode: 0o700 });
    if (g.file !== undefined) copyFileSync(g.file, path);
    else writeFileSync(path, g.content ?? '');
    chmodSync(path, g.mode ?? 0o444);
    if (g.uid !== undefined || g.gid !== undefined) chownSync(path, Number(g.uid ?? 0), Number(g.gid ?? 0));
    out[g.target] = path;
  });
  return out;
}

/** Named and anonymous volume directories exist; bind sources exist (or are created when allowed). */
function prepareVolumes(home: string, spec: HostReplicaSpec, sink: TugError[], names?: Readonly<Record<string, string>>): void {
  (spec.service_spec.volumes ?? []).forEach((m, i) => {
    if (m.type === 'volume') {
      mkdirSync(m.source ? volumeDataDir(home, spec.volumeNames[m.source] ?? m.source) : anonymousDir(home, spec, m.target, names), { recursive: true });
    } else if (m.type === 'bind' && m.source && !existsSync(m.source)) {
      if (m.bind?.create_host_path === true) mkdirSync(m.source, { recursive: true });
      else {
        sink.push(new TugError({
          code: 'container.bind-source',
          message: `service ${spec.service}: bind source ${m.source} does not exist`,
          path: ['services', spec.service, 'volumes', i],
          hint: 'create it, or use the short syntax ("./dir:/target"), which creates a missing directory',
        }));
      }
    }
  });
}

function kindOf(mount: OciMount): MountTarget['kind'] {
  if (mount.type !== 'bind') return 'dir';
  try {
    return statSync(mount.source).isDirectory() ? 'dir' : 'file';
  } catch {
    return 'dir';
  }
}

/**
 * Writes the bundle; rejects with TugErrors (all at once) for what the user
 * can fix. The config.json write goes to libuv's threads: with 100 replicas
 * starting, its synchronous write held the engine's loop 3-4 ms apiece.
 */
export async function writeBundle(spec: HostReplicaSpec, inputs: BundleInputs): Promise<ContainerBundle> {
  const dir = bundleDir(inputs.home, spec.project, spec.name);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const sink: TugError[] = [];
  const grants = planFileGrants(spec, inputs.secrets ?? {}, inputs.configs ?? {}, sink);
  prepareVolumes(inputs.home, spec, sink, inputs.anonymousVolumes);
  throwIfAny(sink);
  const mountCtx: MountContext = {
    volumes: {
      named: (name) => volumeDataDir(inputs.home, name),
      anonymous: (target) => anonymousDir(inputs.home, spec, target, inputs.anonymousVolumes),
    },
    grantSources: materializeGrants(dir, grants),
    etcFiles: inputs.etcFiles ? { ...inputs.etcFiles } : writeEtcFiles(dir, spec, inputs.etc),
    inheritedMounts: inputs.inheritedMounts,
  };
  const targets: MountTarget[] = replicaMounts(spec, grants, mountCtx, sink).map((m) => ({ path: m.destination, kind: kindOf(m) }));
  throwIfAny(sink);
  if (spec.service_spec.init === true) targets.push({ path: INIT_TARGET, kind: 'file' });
  const rootfs = inputs.rootfs.prepare({ spec, dir, sharedDir: sharedRootfsDir(inputs.home, spec.project), targets });
  const svc = spec.service_spec;
  const user = resolveUser(
    typeof svc.user === 'string' ? svc.user : svc.user === undefined ? undefined : String(svc.user),
    { passwd: rootfs.readFile('/etc/passwd') ?? '', group: rootfs.readFile('/etc/group') ?? '' },
    {
      service: spec.service,
      groupAdd: Array.isArray(svc.group_add) ? svc.group_add.map(String) : [],
      hint: 'name a user or group of the replica\'s own /etc/passwd and /etc/group, or give numeric ids ("1000:1000")',
    },
  );
  const cgroupsPath = replicaCgroup(inputs.home, spec.project, spec.name);
  const { config, notes } = toOciConfig(spec, {
    rootfs,
    // Sharing a replica's network means sharing its host name too, as Docker does.
    hostname: inputs.etc.kind === 'joined' ? readTextFile(mountCtx.etcFiles['/etc/hostname']!)?.trim() || undefined : undefined,
    user,
    mounts: mountCtx,
    grants,
    network: inputs.network,
    join: inputs.join,
    cgroupsPath,
    initPath: inputs.initPath,
    resources: { swapAccounting: swapAccounting(inputs.cgroups) },
  });
  await writeFile(join(dir, 'config.json'), serializeOciConfig(config), { mode: 0o600 });
  return { id: spec.name, dir, config, notes, rootfs, cgroupsPath };
}

/** Removes the bundle directory and what its root filesystem source made. */
export function removeBundle(dir: string, rootfs: RootfsSource, hostMounts: readonly string[] = []): void {
  rootfs.cleanup(dir, hostMounts);
  rmSync(dir, { recursive: true, force: true });
}
