// A lab for container-runtime tests: a private TUG_HOME, project and project
// directory, a ContainerDriver over real runc with its ledger, helpers that
// start replicas and collect their output, and a check of what is left on the
// machine afterwards.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { NetworkSpec, ServiceSpec } from '../../src/core/model/types.js';
import type { ReplicaSpec } from '../../src/core/reconcile/operations.js';
import { projectPaths } from '../../src/runtime/native/home.js';
import { parseCgroupMounts, type CgroupMounts } from '../../src/runtime/native/container/cgroups/cgroup-layout.js';
import { hierarchyRoots } from '../../src/runtime/native/container/cgroups/cgroup-files.js';
import { containersDir, runtimeRoot, sharedRootfsDir, type ContainerBundle } from '../../src/runtime/native/container/container-bundle.js';
import { ContainerDriver, type ReplicaBundleInputs } from '../../src/runtime/native/container/container-driver.js';
import type { ContainerRun, Supervision } from '../../src/runtime/native/container/container-run.js';
import { findExecutable } from '../../src/runtime/native/container/executables.js';
import { findInit } from '../../src/runtime/native/container/init-binary.js';
import { Ledger } from '../../src/runtime/native/container/ledger.js';
import { projectCgroup } from '../../src/runtime/native/container/names.js';
import { findOciRuntime, OciRuntime } from '../../src/runtime/native/container/oci-runtime.js';
import { HostRootSource } from '../../src/runtime/native/container/rootfs/host-root.js';
import { ensureShim } from '../../src/runtime/native/container/shim/shim-binary.js';
import { DnsServer, type Upstream } from '../../src/runtime/native/container/dns/dns-server.js';
import { replicaEndpoints } from '../../src/runtime/native/container/dns/endpoints.js';
import { NameTable } from '../../src/runtime/native/container/dns/name-table.js';
import { netnsPath, type AttachRequest } from '../../src/runtime/native/container/network/attach.js';
import { gatewayOf, type NetworkPlan } from '../../src/runtime/native/container/network/bridges.js';
import { ProjectNetworks } from '../../src/runtime/native/container/network/project-networks.js';
import type { SweepContext } from '../../src/runtime/native/container/sweep.js';
import { tempHome, uniqueProject } from './native-env.js';
import { specLiteral } from './replica-spec.js';
import type { HostReplicaSpec } from '../../src/runtime/native/host-env.js';

export function cgroupMounts(): CgroupMounts {
  return parseCgroupMounts(readFileSync('/proc/self/mountinfo', 'utf8'));
}

/** Collects a stream's text; `.ended` resolves once it has all of it. */
export function collect(stream: Readable): (() => string) & { ended: Promise<void> } {
  const chunks: Buffer[] = [];
  stream.on('data', (b: Buffer) => chunks.push(b));
  const ended = new Promise<void>((resolve) => {
    stream.once('end', resolve);
    stream.once('error', () => resolve());
  });
  return Object.assign(() => Buffer.concat(chunks).toString('utf8'), { ended });
}

export interface Started {
  spec: ReplicaSpec;
  bundle: ContainerBundle;
  run: ContainerRun;
  stdout: () => string;
  stderr: () => string;
  /** Resolves when the container exited and all its output was read. */
  finished: Promise<void>;
}

export function ledgerFile(home: string, project: string): string {
  return join(projectPaths(home, project).dir, 'isolation.jsonl');
}

export class ContainerLab {
  readonly home = tempHome();
  readonly project = uniqueProject('c');
  readonly projectDir = mkdtempSync(join(tmpdir(), 'tug-ctr-project-'));
  readonly cgroups = cgroupMounts();
  readonly runtime = new OciRuntime(findOciRuntime(), runtimeRoot(this.home, this.project));
  readonly rootfs = new HostRootSource({ overlayfs: true });
  readonly ledger = new Ledger(ledgerFile(this.home, this.project));
  readonly sweepContext: SweepContext = { home: this.home, cgroups: this.cgroups, ip: findExecutable('ip'), iptables: findExecutable('iptables'), iptablesRestore: findExecutable('iptables-restore'), xargs: findExecutable('xargs') };
  private readonly drivers = new Map<string, ContainerDriver>();

  supervision(kind: 'shim' | 'foreground' = 'shim'): Supervision {
    return kind === 'shim' ? { kind: 'shim', path: ensureShim(this.home) } : { kind: 'foreground' };
  }

  driver(kind: 'shim' | 'foreground' = 'shim'): ContainerDriver {
    let driver = this.drivers.get(kind);
    if (!driver) {
      driver = new ContainerDriver({
        home: this.home,
        project: this.project,
        runtime: this.runtime,
        supervision: this.supervision(kind),
        rootfs: this.rootfs,
        cgroups: this.cgroups,
        ledger: this.ledger,
        sweep: this.sweepContext,
        initPath: findInit()?.path,
      });
      this.drivers.set(kind, driver);
    }
    return driver;
  }

  spec(service: string, svc: ServiceSpec, number = 1, extra: Partial<ReplicaSpec> = {}): HostReplicaSpec {
    return {
      ...specLiteral({ project: this.project, service, number, service_spec: svc, projectDir: this.projectDir, ...extra }),
      hostEnv: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' },
    };
  }

  create(spec: HostReplicaSpec, inputs: Partial<ReplicaBundleInputs> = {}, kind: 'shim' | 'foreground' = 'shim'): Promise<ContainerBundle> {
    return this.driver(kind).create(spec, { network: { kind: 'new' }, etc: { kind: 'generated', addresses: [], nameservers: [] }, ...inputs });
  }

  async start(spec: HostReplicaSpec, inputs: Partial<ReplicaBundleInputs> = {}, kind: 'shim' | 'foreground' = 'shim'): Promise<Started> {
    const bundle = await this.create(spec, inputs, kind);
    const run = await this.driver(kind).start(bundle);
    const stdout = collect(run.stdout);
    const stderr = collect(run.stderr);
    const finished = Promise.all([run.exited, stdout.ended, stderr.ended]).then(() => undefined);
    return { spec, bundle, run, stdout, stderr, finished };
  }

  /** Removes one replica completely; fails the test if anything could not be removed. */
  async remove(s: Started | string): Promise<void> {
    const problems = await this.driver().remove(typeof s === 'string' ? s : s.spec.name);
    if (problems.length > 0) throw new Error(problems.join('\n'));
  }

  /** Runs a busybox shell `script` inside a running replica: its exit status and combined output. */
  async inside(s: Started, script: string): Promise<{ code: number; out: string }> {
    const exec = this.driver().exec(s.bundle, { args: ['/bin/busybox', 'sh', '-c', `(${script}) 2>&1`] });
    const out = collect(exec.stdout);
    const code = await exec.exited;
    await out.ended;
    return { code, out: out() };
  }

  /** The last step of `down`: what the project itself owns (shared root-filesystem skeletons, scratch). */
  async removeProject(): Promise<void> {
    const problems = await this.driver().remove(this.project);
    if (problems.length > 0) throw new Error(problems.join('\n'));
  }

  /** What is left of the project on the machine: runtime state, cgroups, bundles, namespaces, records. */
  async leftovers(): Promise<string[]> {
    const left: string[] = [];
    for (const c of await this.runtime.list()) left.push(`container ${c.id}`);
    for (const root of hierarchyRoots(this.cgroups)) {
      const dir = `${root}${projectCgroup(this.home, this.project)}`;
      if (existsSync(dir)) left.push(`cgroup ${dir}`);
    }
    for (const name of dirEntries(containersDir(this.home, this.project))) left.push(`bundle ${name}`);
    if (existsSync(sharedRootfsDir(this.home, this.project))) left.push('shared root filesystem skeletons');
    for (const e of Ledger.read(this.ledger.file)) left.push(`record ${e.kind} ${JSON.stringify(e)}`);
    return left;
  }

  async destroy(): Promise<void> {
    await this.driver().recover();
    rmSync(this.home, { recursive: true, force: true });
    rmSync(this.projectDir, { recursive: true, force: true });
  }
}

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');
  } catch {
    return false;
  }
}

export function dirEntries(path: string): string[] {
  try {
    return readdirSync(path);
  } catch {
    return [];
  }
}

/** A lab whose replicas get addresses on real bridges and names from a real embedded DNS server. */
export class NetworkLab extends ContainerLab {
  readonly tools = { ip: findExecutable('ip')!, iptables: findExecutable('iptables')!, iptablesRestore: findExecutable('iptables-restore') };
  readonly networks = new ProjectNetworks({ home: this.home, project: this.project, ledger: this.ledger, tools: this.tools, sweep: this.sweepContext });
  readonly table = new NameTable();
  dns: DnsServer;
  readonly attachments = new Map<string, AttachRequest>();

  constructor(upstreams: Upstream[] = []) {
    super();
    this.dns = new DnsServer({ table: this.table, upstreams });
  }

  networkName(key: string): string {
    return `${this.project}_${key}`;
  }

  /** Creates the networks and starts the DNS server on each gateway. */
  async createNetworks(defs: Record<string, NetworkSpec>): Promise<NetworkPlan[]> {
    const plans = await this.networks.create(Object.entries(defs).map(([key, spec]) => ({ key, name: this.networkName(key), spec })));
    for (const p of plans) await this.dns.listen({ name: p.name, gateway: gatewayOf(p), subnet: p.allocation.subnet, internal: p.internal });
    return plans;
  }

  /** A replica on its networks (spec.networkNames filled from its networks), registered in DNS once started. */
  netSpec(service: string, svc: ServiceSpec, number = 1): HostReplicaSpec {
    const networkNames = Object.fromEntries(Object.keys(svc.networks ?? {}).map((k) => [k, this.networkName(k)]));
    return this.spec(service, svc, number, { networkNames });
  }

  async startOn(spec: HostReplicaSpec): Promise<Started> {
    const req = this.networks.planAttachment(spec);
    await this.networks.attach([req]);
    this.attachments.set(spec.name, req);
    const first = req.links[0];
    const started = await this.start(spec, {
      network: { kind: 'path', path: netnsPath(req.netns) },
      etc: { kind: 'generated', addresses: req.links.map((l) => l.address), nameservers: first ? [gatewayOf(first.network)] : [] },
    });
    for (const e of replicaEndpoints(spec, this.networks.addresses(req))) this.table.set(e);
    return started;
  }

  /** Stops serving its names and removes it with its namespace and veths. */
  async removeReplica(s: Started): Promise<void> {
    this.table.removeReplica(s.spec.name);
    s.run.signal('SIGKILL');
    await s.run.exited;
    this.networks.release(s.spec.name);
    await this.remove(s);
  }

  async removeNetworks(): Promise<void> {
    await this.dns.close();
    for (const key of Object.keys(this.projectNetworkKeys())) {
      const problems = await this.networks.remove(this.networkName(key));
      if (problems.length > 0) throw new Error(problems.join('\n'));
    }
  }

  private projectNetworkKeys(): Record<string, true> {
    const out: Record<string, true> = {};
    for (const e of this.ledger.entries()) if (e.owner.startsWith(`${this.project}_`)) out[e.owner.slice(this.project.length + 1)] = true;
    return out;
  }

  /** Interfaces, namespaces and firewall rules of this lab still on the machine, besides the base leftovers. */
  override async leftovers(): Promise<string[]> {
    const left = await super.leftovers();
    const links = readdirSync('/sys/class/net');
    for (const req of this.attachments.values()) {
      if (existsSync(netnsPath(req.netns))) left.push(`netns ${req.netns}`);
      for (const l of req.links) {
        if (links.includes(l.veth)) left.push(`veth ${l.veth}`);
        if (links.includes(l.network.bridge)) left.push(`bridge ${l.network.bridge}`);
      }
    }
    const bridges = new Set([...this.attachments.values()].flatMap((r) => r.links.map((l) => l.network.bridge)));
    for (const table of ['filter', 'nat']) {
      const rules = execFileSync(this.tools.iptables, ['-w', '-t', table, '-S'], { encoding: 'utf8' });
      for (const bridge of bridges) if (rules.includes(`tug ${bridge}`)) left.push(`iptables ${table} rules of ${bridge}`);
    }
    return [...new Set(left)];
  }

  override async destroy(): Promise<void> {
    await this.dns.close();
    await super.destroy();
  }
}
