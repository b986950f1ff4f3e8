// The container lifecycle of one project's replicas, in the shape the engine's
// Replica needs: create (write the bundle) → start (→ pid, exit, stdout,
// stderr) → finish (exit status, OOM) → start again on restart → remove. Every
// object is recorded in the ledger before it exists, so `recover()` in the next
// engine removes exactly what a crashed one left.
import type { HostReplicaSpec } from '../host-env.js';
import type { CgroupMounts } from './cgroups/cgroup-layout.js';
import { readCgroupSample } from './cgroups/cgroup-files.js';
import { parseNetDev, type CgroupSample, type NetworkCounters } from './cgroups/cgroup-stats.js';
import { bundleDir, containersDir, sharedRootfsDir, writeBundle, writeEtcFilesAsync, type BundleInputs, type ContainerBundle, type EtcInput } from './container-bundle.js';
import { startContainer, type ContainerExit, type ContainerRun, type Supervision } from './container-run.js';
import type { Ledger } from './ledger.js';
import { replicaCgroup } from './names.js';
import { execProcess, type ExecRequest } from './oci-config.js';
import { readTextFile } from './read-file.js';
import type { ExecHandle, OciRuntime } from './oci-runtime.js';
import type { RootfsSource } from './rootfs/rootfs-source.js';
import { sweep, sweepOwners, type SweepContext } from './sweep.js';
import { ShimLauncher } from './shim/shim-launcher.js';
import { ensureSpreadDirs } from './spread-dirs.js';

export interface ContainerDriverOptions {
  home: string;
  project: string;
  runtime: OciRuntime;
  supervision: Supervision;
  rootfs: RootfsSource;
  /** The root filesystem source of one replica (the image source for a spec with an image); `rootfs` otherwise. */
  rootfsFor?: (spec: HostReplicaSpec) => RootfsSource;
  cgroups: CgroupMounts;
  ledger: Ledger;
  sweep: SweepContext;
  initPath?: string;
}

export interface FinishedRun {
  exitCode: number;
  /** The kernel killed a process of the container for lack of memory. */
  oomKilled: boolean;
}

export interface ContainerStatsSample {
  cgroup: CgroupSample;
  network: NetworkCounters;
  /** When it was taken (process.hrtime.bigint), for CPU %. */
  at: bigint;
}

export type ReplicaBundleInputs = Omit<BundleInputs, 'home' | 'rootfs' | 'cgroups' | 'initPath'>;

export class ContainerDriver {
  /** Replicas started by this driver, whose runtime state a restart must delete first. */
  private readonly started = new Set<string>();
  /** Shims of containers starting together come from one spawn. */
  private readonly launcher: ShimLauncher | undefined;

  constructor(readonly opts: ContainerDriverOptions) {
    this.launcher = opts.supervision.kind === 'shim' ? new ShimLauncher(opts.supervision.path) : undefined;
  }

  /** Writes the replica's bundle; a TugError (all problems at once) for what the user can fix. */
  async create(spec: HostReplicaSpec, inputs: ReplicaBundleInputs): Promise<ContainerBundle> {
    const { ledger, home, cgroups, initPath, runtime } = this.opts;
    const rootfs = this.rootfsOf(spec);
    // Made with a flag the first time (spread-dirs.ts): each replica's bundle and runtime state in a block group of its own.
    await ensureSpreadDirs([
      { path: containersDir(home, spec.project), mode: 0o700 },
      { path: runtime.root, mode: 0o700 },
    ]);
    const bundle = await writeBundleRecorded(spec, { ...inputs, home, rootfs, cgroups, initPath }, ledger);
    ledger.add([{ owner: spec.name, kind: 'container', id: bundle.id, runtime: runtime.binary.path, root: runtime.root }]);
    return bundle;
  }

  /** The bundle's /etc files, off the event loop, for `create` (as `etcFiles`) to leave as they are. */
  writeEtc(spec: HostReplicaSpec, etc: EtcInput): Promise<Record<string, string>> {
    this.opts.ledger.add([{ owner: spec.name, kind: 'dir', path: bundleDir(this.opts.home, spec.project, spec.name) }]);
    return writeEtcFilesAsync(this.opts.home, spec, etc);
  }

  rootfsOf(spec: HostReplicaSpec): RootfsSource {
    return this.opts.rootfsFor?.(spec) ?? this.opts.rootfs;
  }

  /**
   * Starts the container. On a restart, the previous run's runtime state is
   * deleted first (`finish` normally did that already); a fresh create has none.
   */
  async start(bundle: ContainerBundle): Promise<ContainerRun> {
    const again = this.started.has(bundle.id);
    if (again) await this.opts.runtime.remove(bundle.id);
    this.started.add(bundle.id);
    return startContainer({ runtime: this.opts.runtime, supervision: this.opts.supervision, launcher: this.launcher, id: bundle.id, bundle: bundle.dir, fresh: !again });
  }

  /** After `run.exited`: the status, OOM included (read before the runtime removes the cgroup), and the runtime state gone. */
  async finish(bundle: ContainerBundle, exit: ContainerExit): Promise<FinishedRun> {
    const outcome = this.outcome(bundle, exit);
    await this.opts.runtime.remove(bundle.id);
    return outcome;
  }

  /**
   * After `run.exited`, the status alone: the runtime state stays for the next
   * `start` (which deletes it first) or `remove` (which deletes many at once),
   * so a replica that exits costs no runtime process of its own.
   */
  outcome(bundle: ContainerBundle, exit: ContainerExit): FinishedRun {
    const oomKilled = (readCgroupSample(this.opts.cgroups, bundle.cgroupsPath).oomKills ?? 0) > 0;
    return { exitCode: exit.code, oomKilled };
  }

  /** Runs a command inside the running container (exec, health probes), as its user, in its directory, with its environment. */
  exec(bundle: ContainerBundle, req: ExecRequest, stdin: 'ignore' | 'pipe' = 'ignore'): ExecHandle {
    return this.opts.runtime.exec(bundle.id, bundle.dir, execProcess(bundle.config.process, req), stdin);
  }

  /** `pid`: the running init, whose /proc/<pid>/net/dev lists the container's own namespace. */
  sample(bundle: ContainerBundle, pid: number | undefined): ContainerStatsSample {
    const netDev = pid !== undefined ? readTextFile(`/proc/${pid}/net/dev`) : undefined;
    const network: NetworkCounters = netDev ? parseNetDev(netDev) : { rxBytes: 0, txBytes: 0 };
    return { cgroup: readCgroupSample(this.opts.cgroups, bundle.cgroupsPath), network, at: process.hrtime.bigint() };
  }

  /**
   * Removes everything recorded for the replicas (container, cgroup, bundle,
   * namespace, veths), batched across them; returns what could not go.
   */
  async remove(replicas: string | readonly string[]): Promise<string[]> {
    const names = typeof replicas === 'string' ? [replicas] : replicas;
    return [...(await this.removeEach(names)).values()].flat();
  }

  /** remove, with what could not go listed per replica (one replica's leftover is never another's error). */
  async removeEach(replicas: readonly string[]): Promise<Map<string, string[]>> {
    for (const r of replicas) this.started.delete(r);
    const byOwner = new Map(replicas.map((r) => [r, [] as string[]]));
    for (const p of await sweepOwners(this.opts.ledger, this.opts.sweep, replicas)) byOwner.get(p.owner)?.push(p.message);
    return byOwner;
  }

  /**
   * Everything the project has (replicas, networks, shared skeletons): at
   * engine start, what a previous engine left; at `down`, what is left after
   * the replicas and networks were removed.
   */
  recover(): Promise<string[]> {
    return sweep(this.opts.ledger, this.opts.sweep);
  }
}

function writeBundleRecorded(spec: HostReplicaSpec, inputs: BundleInputs, ledger: Ledger): Promise<ContainerBundle> {
  // Recorded before they exist: the project's shared skeletons (owned by the
  // project, so they go with it), the bundle directory, the cgroup runc will make.
  ledger.add([
    { owner: spec.project, kind: 'dir', path: sharedRootfsDir(inputs.home, spec.project) },
    { owner: spec.name, kind: 'dir', path: bundleDir(inputs.home, spec.project, spec.name) },
    { owner: spec.name, kind: 'cgroup', path: replicaCgroup(inputs.home, spec.project, spec.name) },
  ]);
  return writeBundle(spec, inputs);
}
