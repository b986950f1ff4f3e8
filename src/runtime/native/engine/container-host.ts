// Everything one engine holds for its container replicas: the ContainerDriver
// (bundles, runs, the ledger), the project's networks (bridges, addresses,
// veths), the embedded DNS server on each gateway and its name table, and the
// published ports' proxies (service-ports.ts). Built on first use, so an
// engine of a process-mode project never probes for runc or touches the
// kernel. A replica's objects exist only while it runs or restarts: each
// fresh start prepares them (`prepare`) and the final exit removes them
// (`release`), so a new engine may sweep everything the ledger names at start.
import { rmdirSync, rmSync } from 'node:fs';
import { readTextFile } from '../container/read-file.js';
import { join } from 'node:path';
import { TugError } from '../../../core/errors.js';
import type { NetworkSpec } from '../../../core/model/types.js';
import { projectPaths, volumeDataDir } from '../home.js';
import { volumesFromMounts } from '../container/oci-mounts.js';
import type { OciMount } from '../container/oci-spec.js';
import type { HostReplicaSpec } from '../host-env.js';
import { parseCgroupMounts, type CgroupMounts } from '../container/cgroups/cgroup-layout.js';
import { containersDir, runtimeRoot, type ContainerBundle, type EtcInput } from '../container/container-bundle.js';
import { ContainerDriver } from '../container/container-driver.js';
import type { Supervision } from '../container/container-run.js';
import { DnsServer } from '../container/dns/dns-server.js';
import { replicaEndpoints } from '../container/dns/endpoints.js';
import { NameTable } from '../container/dns/name-table.js';
import { upstreamNameservers } from '../container/etc-files.js';
import { findExecutable } from '../container/executables.js';
import { findInit } from '../container/init-binary.js';
import { Ledger } from '../container/ledger.js';
import { isolatedNamespace, netnsPath, type AttachRequest } from '../container/network/attach.js';
import { Batcher } from '../batcher.js';
import { netnsName } from '../container/names.js';
import { gatewayOf } from '../container/network/bridges.js';
import { ProjectNetworks, type ReplicaAddress } from '../container/network/project-networks.js';
import type { NetworkNamespace } from '../container/oci-config.js';
import { findOciRuntime, OciRuntime } from '../container/oci-runtime.js';
import { HostRootSource } from '../container/rootfs/host-root.js';
import { imageRootDir, imageRootDirs, imageRootsDir, imageRootSource, removeImageRootsAsync } from '../container/rootfs/image-root.js';
import { mountOverlays } from '../container/rootfs/overlay-batch.js';
import { ImageStore } from '../../images/store/image-store.js';
import { unmountOverlays, unmountOverlaysAsync, type OverlayRequest } from '../../images/rootfs/overlay.js';
import type { RootfsSource } from '../container/rootfs/rootfs-source.js';
import { ensureShim } from '../container/shim/shim-binary.js';
import { VethTeardowns, type SweepContext } from '../container/sweep.js';
import { ServicePorts } from './service-ports.js';
import { kernelForwarding } from './kernel-forwarding.js';
import type { ConnectionBudget } from './forward-budget.js';

/** What a replica holds while it runs: its bundle, and its addresses per network. */
export interface ContainerSlot {
  spec: HostReplicaSpec;
  bundle: ContainerBundle;
  addresses: ReplicaAddress[];
  /** Its anonymous volumes by target, for the `volumes_from` of others. */
  anonymousVolumes: Readonly<Record<string, string>>;
  /** The init's pid while a run is up (for `pid:`/`ipc: service:X` of others). */
  pid?: number;
}

/**
 * How long a batch of attachments or mounts waits for the replicas starting
 * alongside (they arrive a few milliseconds apart): fewer, larger batches, each
 * one process the engine spawns.
 */
const GATHER_MS = 5;
/**
 * Most replicas in one of those batches: with 100 starting at once, the first
 * quarter mounts while the next is attached, and so on, where one batch each
 * made every stage wait for all of the one before (two cores, both busy).
 */
const MOST_PER_BATCH = 25;

export function ledgerPath(home: string, project: string): string {
  return projectPaths(home, project).isolationLedger;
}

/**
 * The root filesystem of a replica: its image's (mounted by prepare, before
 * the bundle is written) when the service has one, else the host's root,
 * read-only.
 */
export function rootfsFor(spec: HostReplicaSpec, hostRoot: RootfsSource, imageRoots: ReadonlyMap<string, RootfsSource>): RootfsSource {
  return imageRoots.get(spec.name) ?? hostRoot;
}

function readText(path: string): string {
  return readTextFile(path) ?? '';
}

export class ContainerHost {
  readonly driver: ContainerDriver;
  readonly networks: ProjectNetworks;
  readonly table = new NameTable();
  readonly dns: DnsServer;
  readonly ports: ServicePorts;
  readonly cgroups: CgroupMounts;
  private readonly slots = new Map<string, ContainerSlot>();
  /** The mounted image roots of replicas with an image, by replica name. */
  private readonly imageRoots = new Map<string, RootfsSource>();
  private creating: Promise<void> = Promise.resolve();
  /** Replicas starting together get their namespaces and veths in one `ip -batch`... */
  private readonly attacher = new Batcher<AttachRequest, Error | undefined>(async (reqs) => {
    try {
      await this.networks.attach(reqs);
      return reqs.map(() => undefined);
    } catch (err) {
      if (reqs.length === 1) return [err as Error];
      // One bad request must not fail the others: each alone (the batch was swept), so the failure is its own.
      const outcomes: (Error | undefined)[] = [];
      for (const req of reqs) {
        await this.teardowns.settled(req.owner);
        outcomes.push(await this.networks.attach([req]).then(() => undefined, (e: Error) => e));
      }
      return outcomes;
    }
  }, { gatherMs: GATHER_MS, maxItems: MOST_PER_BATCH });
  /** ...their image roots mounted with one `mount -a`... */
  private readonly mounter = new Batcher<OverlayRequest, TugError | undefined>((reqs) => {
    this.ledgerOf().add([{ owner: this.project, kind: 'dir', path: this.scratch() }]);
    return mountOverlays(reqs, this.scratch());
  }, { gatherMs: GATHER_MS, maxItems: MOST_PER_BATCH });
  /** ...and replicas going together are removed in one sweep, their image roots unmounted with one umount... */
  private readonly remover = new Batcher<string, string[]>(async (names) => {
    // The image root is unmounted with the container; what the replica wrote stays until it is removed.
    const roots = names.filter((n) => this.imageRoots.delete(n));
    const problems = await this.driver.removeEach(names);
    await unmountOverlaysAsync(roots.map((n) => imageRootDir(this.home, this.project, n)));
    return names.map((n) => problems.get(n) ?? []);
  });
  /** ...and the roots of replicas removed together go in one pass. */
  private readonly rootRemover = new Batcher<string, boolean>(async (names) => {
    const busy = new Set(await removeImageRootsAsync(this.home, this.project, names));
    return names.map((n) => !busy.has(n));
  });
  /** Veths of deleted namespaces, gone in the kernel's own time. */
  private readonly teardowns = new VethTeardowns();

  private constructor(
    private readonly home: string,
    private readonly project: string,
    budget: ConnectionBudget,
    note: (m: string) => void,
  ) {
    const runtime = new OciRuntime(findOciRuntime(), runtimeRoot(home, project));
    this.cgroups = parseCgroupMounts(readText('/proc/self/mountinfo'));
    const ip = findExecutable('ip');
    const iptables = findExecutable('iptables');
    if (!ip || !iptables) {
      throw new TugError({ code: 'container.no-network-tools', message: `container networking needs ${!ip ? 'ip (iproute2)' : 'iptables'}, which this machine lacks`, hint: 'apt-get install iproute2 iptables' });
    }
    const nft = findExecutable('nft');
    const sweep: SweepContext = { home, cgroups: this.cgroups, ip, iptables, iptablesRestore: findExecutable('iptables-restore'), nft, xargs: findExecutable('xargs'), teardowns: this.teardowns };
    const ledger = new Ledger(ledgerPath(home, project));
    const hostRoot = new HostRootSource({ overlayfs: /\toverlay$/m.test(readText('/proc/filesystems')) });
    this.driver = new ContainerDriver({
      home,
      project,
      runtime,
      supervision: supervision(home, note),
      rootfs: hostRoot,
      rootfsFor: (spec) => rootfsFor(spec, hostRoot, this.imageRoots),
      cgroups: this.cgroups,
      ledger,
      sweep,
      initPath: findInit()?.path,
    });
    this.networks = new ProjectNetworks({ home, project, ledger, tools: { ip, iptables, iptablesRestore: sweep.iptablesRestore }, sweep });
    const upstreams = upstreamNameservers(readText('/etc/resolv.conf')).map((host) => ({ host, port: 53 }));
    this.dns = new DnsServer({ table: this.table, upstreams });
    this.ports = new ServicePorts(budget, kernelForwarding({ nft, home, project, ledger, note, bridgeOf: (address) => this.bridgeOf(address) }));
  }

  static open(home: string, project: string, budget: ConnectionBudget, note: (m: string) => void): ContainerHost {
    return new ContainerHost(home, project, budget, note);
  }

  /** Whether a previous engine left records (then it must be built, to sweep them). */
  static hasRecords(home: string, project: string): boolean {
    return Ledger.read(ledgerPath(home, project)).length > 0;
  }

  slot(name: string): ContainerSlot | undefined {
    return this.slots.get(name);
  }

  /** The bridge a running replica's address is on. */
  private bridgeOf(address: string): string | undefined {
    for (const slot of this.slots.values()) {
      const a = slot.addresses.find((x) => x.address === address);
      if (a) return this.networks.plan(a.network)?.bridge;
    }
    return undefined;
  }

  /** The replica's networks (created on first use), its namespace, and its bundle. */
  async prepare(spec: HostReplicaSpec, anonymousVolumes: Readonly<Record<string, string>>): Promise<ContainerSlot> {
    // What a failed start may have left (nothing, usually: then no sweep holds up the batch).
    if (this.slots.has(spec.name) || this.ledgerOf().entries(spec.name).length > 0) await this.release(spec.name);
    const mode = spec.service_spec.network_mode;
    let network: NetworkNamespace;
    let addresses: ReplicaAddress[] = [];
    let nameservers: string[] = [];
    let joinedBundle: string | undefined;
    if (mode === 'host') network = { kind: 'host' };
    else if (typeof mode === 'string' && /^(service|container):/.test(mode)) {
      const target = this.joined(spec, mode, 'network_mode');
      network = { kind: 'path', path: `/proc/${target.pid}/ns/net` };
      joinedBundle = target.bundle.dir;
    } else if (mode === 'none') {
      const netns = netnsName(this.home, this.project, spec.name);
      this.ledgerOf().add([{ owner: this.project, kind: 'dir', path: this.scratch() }]);
      await isolatedNamespace(spec.name, netns, this.ledgerOf(), this.tools(), this.scratch());
      network = { kind: 'path', path: netnsPath(netns) };
    } else {
      await this.ensureNetworks(spec);
      // A replica of this name that went just now may still have its veths (the new ones get their names).
      await this.teardowns.settled(spec.name);
      const req = this.networks.planAttachment(spec);
      const failure = await this.attacher.submit(req);
      if (failure) throw failure;
      addresses = this.networks.addresses(req);
      // The DNS server answers for every network of the replica on any gateway; one with a way out also forwards other names.
      const asked = req.links.find((l) => !l.network.internal) ?? req.links[0];
      if (asked) nameservers = [gatewayOf(asked.network)];
      network = { kind: 'path', path: netnsPath(req.netns) };
    }
    const join = {
      pid: typeof spec.service_spec.pid === 'string' && spec.service_spec.pid.startsWith('service:') ? `/proc/${this.joined(spec, spec.service_spec.pid, 'pid').pid}/ns/pid` : undefined,
      ipc: typeof spec.service_spec.ipc === 'string' && spec.service_spec.ipc.startsWith('service:') ? `/proc/${this.joined(spec, spec.service_spec.ipc, 'ipc').pid}/ns/ipc` : undefined,
    };
    try {
      if (spec.image) await this.mountImage(spec, anonymousVolumes);
      await this.driver.rootfsOf(spec).prepareAsync?.({ spec });
      const etc: EtcInput = mode === 'host' ? { kind: 'host' } : joinedBundle !== undefined ? { kind: 'joined', bundle: joinedBundle } : { kind: 'generated', addresses: addresses.map((a) => a.address), nameservers };
      const bundle = await this.driver.create(spec, {
        network,
        etc,
        etcFiles: await this.driver.writeEtc(spec, etc),
        secrets: spec.secrets,
        configs: spec.configs,
        anonymousVolumes,
        join,
        inheritedMounts: this.volumesFrom(spec),
      });
      const slot: ContainerSlot = { spec, bundle, addresses, anonymousVolumes };
      this.slots.set(spec.name, slot);
      return slot;
    } catch (err) {
      await this.release(spec.name);
      throw err;
    }
  }

  /**
   * The replica's image root: an overlay of the image's layers with its own
   * upper directory (kept while the replica exists, across restarts), its
   * image VOLUMEs seeded into the anonymous volumes the engine allocated.
   */
  private async mountImage(spec: HostReplicaSpec, anonymousVolumes: Readonly<Record<string, string>>): Promise<void> {
    const volumeDirFor = (target: string): string => {
      const name = anonymousVolumes[target];
      if (!name) throw new TugError({ code: 'container.image-volume', message: `service ${spec.service}: the image's volume ${target} has no volume of its own`, hint: 'run `tug up` again to recreate the replica' });
      return volumeDataDir(this.home, name);
    };
    const mountWith = async (req: OverlayRequest): Promise<void> => {
      const failure = await this.mounter.submit(req);
      if (failure) throw failure;
    };
    this.imageRoots.set(spec.name, await imageRootSource({ store: new ImageStore(this.home), home: this.home, spec, volumeDirFor, mountWith }));
  }

  /** `volumes_from: [svc, "svc:ro", "container:name"]`: the volumes and binds of a replica of it, at their targets. */
  private volumesFrom(spec: HostReplicaSpec): OciMount[] {
    const out: OciMount[] = [];
    (spec.service_spec.volumes_from ?? []).forEach((entry, i) => {
      const parts = String(entry).split(':');
      const [target, mode] = parts[0] === 'container' ? [parts[1] ?? '', parts[2]] : [parts[0] ?? '', parts[1]];
      const other = [...this.slots.values()].find((s) => s.spec.service === target || s.spec.name === target);
      if (!other) {
        throw new TugError({
          code: 'container.volumes-from',
          message: `service ${spec.service}: volumes_from ${entry} names no container replica that has started`,
          path: ['services', spec.service, 'volumes_from', i],
          hint: `start ${target} first (depends_on), and run it as a container too`,
        });
      }
      const volumes = { named: (name: string) => volumeDataDir(this.home, name), anonymous: (t: string) => volumeDataDir(this.home, other.anonymousVolumes[t] ?? '') };
      out.push(...volumesFromMounts(other.spec, volumes, mode === 'ro'));
    });
    return out;
  }

  /** The running replica whose namespaces `service:X` (or `container:NAME`) names. */
  private joined(spec: HostReplicaSpec, value: string, field: string): ContainerSlot & { pid: number } {
    const target = value.slice(value.indexOf(':') + 1);
    const running = [...this.slots.values()].find((s) => s.pid !== undefined && (s.spec.service === target || s.spec.name === target));
    if (!running) {
      throw new TugError({
        code: 'container.join-target',
        message: `service ${spec.service}: ${field}: ${value} names ${value.startsWith('service:') ? 'a service' : 'a container'} without a running container replica`,
        path: ['services', spec.service, field],
        hint: `start ${target} first (depends_on: [${target}]), and run it with --isolation container`,
      });
    }
    return running as ContainerSlot & { pid: number };
  }

  /** One network creation at a time: replicas starting in parallel must not both make (and on failure sweep) one bridge. */
  private ensureNetworks(spec: HostReplicaSpec): Promise<void> {
    const next = this.creating.then(() => this.createNetworks(spec));
    this.creating = next.catch(() => undefined);
    return next;
  }

  private async createNetworks(spec: HostReplicaSpec): Promise<void> {
    const defs = Object.keys(spec.service_spec.networks ?? {}).map((key) => ({ key, name: spec.networkNames[key] ?? `${spec.project}_${key}`, spec: (spec.networkSpecs?.[key] ?? {}) as NetworkSpec }));
    const made = await this.networks.create(defs);
    for (const p of made) await this.dns.listen({ name: p.name, gateway: gatewayOf(p), subnet: p.allocation.subnet, internal: p.internal });
  }

  /** The run started: its names resolve from now on. */
  started(slot: ContainerSlot, pid: number): void {
    slot.pid = pid;
    for (const e of replicaEndpoints(slot.spec, slot.addresses)) this.table.set(e);
  }

  /** The run ended: its names stop resolving at once. */
  stopped(slot: ContainerSlot): void {
    slot.pid = undefined;
    this.table.removeReplica(slot.spec.name);
  }

  /** Removes everything recorded for the replica (container, cgroup, bundle, namespace, veths). */
  async release(name: string): Promise<void> {
    const slot = this.slots.get(name);
    if (slot) this.stopped(slot);
    this.slots.delete(name);
    this.networks.release(name);
    const problems = await this.remover.submit(name);
    if (problems.length > 0) throw new TugError({ code: 'container.cleanup', message: `cannot remove all of ${name}: ${problems.join('; ')}` });
  }

  /** The replica is removed: its image root's upper directory and its lease on the image go too. */
  async removeRoot(name: string): Promise<void> {
    if (!(await this.rootRemover.submit(name))) {
      throw new TugError({ code: 'rootfs.busy', message: `cannot remove the root filesystem of ${name}: ${imageRootDir(this.home, this.project, name)} is still in use` });
    }
    // The last one takes the project's image-roots directory with it (rmdir refuses while others remain).
    try {
      rmdirSync(imageRootsDir(this.home, this.project));
    } catch {
      /* other replicas' roots remain */
    }
  }

  /** A project network goes (`down`): its DNS listener, bridge and firewall rules. */
  async removeNetwork(name: string): Promise<string[]> {
    await this.dns.unlisten(name);
    await this.teardowns.settled();
    return this.networks.remove(name);
  }

  /** At engine start (what a crashed engine left) and exit with no replica left (`down`): everything recorded. */
  async sweepAll(): Promise<string[]> {
    await this.ports.closeAll();
    await this.teardowns.settled();
    await this.dns.close();
    for (const name of [...this.slots.keys()]) this.slots.delete(name);
    for (const name of [...this.imageRoots.keys()]) this.imageRoots.delete(name);
    // Image roots: unmounted (a crashed engine's replicas died with it); their upper directories stay with the replicas.
    unmountOverlays(imageRootDirs(this.home, this.project));
    const problems = await this.driver.recover();
    if (problems.length === 0) {
      // Nothing recorded is left: the runtime's state directory and the bundles' parent are empty, and go too.
      for (const dir of [runtimeRoot(this.home, this.project), containersDir(this.home, this.project)]) rmSync(dir, { recursive: true, force: true });
      // The record itself, now that it names nothing (the next object recorded starts a new one).
      if (this.ledgerOf().entries().length === 0) rmSync(this.ledgerOf().file, { force: true });
    }
    return problems;
  }

  private ledgerOf(): Ledger {
    return this.driver.opts.ledger;
  }

  private tools() {
    const s = this.driver.opts.sweep;
    return { ip: s.ip!, iptables: s.iptables!, iptablesRestore: s.iptablesRestore };
  }

  private scratch(): string {
    return join(projectPaths(this.home, this.project).dir, 'netns-batch');
  }
}

/** tug-shim (~0.7 MB per replica) where a C compiler can build it; the foreground runtime (~10 MB) otherwise. */
function supervision(home: string, note: (m: string) => void): Supervision {
  try {
    return { kind: 'shim', path: ensureShim(home) };
  } catch (err) {
    note(`containers run under a foreground runc (about 10 MB each): ${(err as Error).message}`);
    return { kind: 'foreground' };
  }
}
