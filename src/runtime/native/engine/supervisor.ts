// The set of replicas one engine supervises. It owns the name → Replica map,
// turns every replica change into a state write and a ReplicaEvent, and
// answers the engine's questions ("is anything running?"). Per-replica
// behaviour lives in replica.ts.
import { TugError } from '../../../core/errors.js';
import type { ObservedReplica } from '../../../core/reconcile/observed.js';
import type { HostReplicaSpec } from '../host-env.js';
import type { ReplicaEvent, ReplicaEventAction } from '../../backend.js';
import type { StatsSample } from '../protocol.js';
import { Replica, type ReplicaHost } from './replica.js';
import { REPLICA_NAME, type ProcessGroupRecord, type ReplicaRecord } from '../state-format.js';
import type { ConnectionBudget } from './forward-budget.js';
import type { StateStore } from './state-store.js';
import { existsSync } from 'node:fs';
import { projectPaths } from '../home.js';
import type { ContainerHost } from './container-host.js';

export interface SupervisorOptions {
  home: string;
  project: string;
  store: StateStore;
  runningAsRoot: boolean;
  forwarding: ConnectionBudget;
  emit(event: ReplicaEvent): void;
  note(message: string): void;
  /** Called after any change, so the engine can re-check whether it may exit. */
  onActivity(): void;
}

export class Supervisor implements ReplicaHost {
  private readonly replicas = new Map<string, Replica>();
  readonly home: string;
  readonly runningAsRoot: boolean;
  readonly forwarding: ConnectionBudget;
  private containerHost?: ContainerHost;
  /** The container runtime's code, loaded by the first container replica: a process-mode engine never pays for it. */
  private containerCode?: typeof import('./container-host.js');

  constructor(private readonly opts: SupervisorOptions) {
    this.home = opts.home;
    this.runningAsRoot = opts.runningAsRoot;
    this.forwarding = opts.forwarding;
  }

  /** Restores replicas from a previous engine's (recovered) records, and makes them the saved state. */
  restore(records: ReplicaRecord[]): void {
    for (const record of records) {
      try {
        this.replicas.set(record.spec.name, new Replica(record.spec, this, record));
      } catch (err) {
        this.note(`dropping unreadable record ${record.spec.name}: ${(err as Error).message}`);
      }
    }
    this.opts.store.reset([...this.replicas.values()].map((r) => r.toRecord()));
  }

  changed(replica: Replica, action: ReplicaEventAction): void {
    // A replica removed meanwhile (events racing a remove) must not resurface.
    if (this.replicas.get(replica.name) === replica) {
      this.opts.store.write(replica.toRecord());
      this.opts.emit({ action, replica: replica.observe(), time: new Date().toISOString() });
    }
    this.opts.onActivity();
  }

  note(message: string): void {
    this.opts.note(message);
  }

  containers(): ContainerHost {
    if (!this.containerCode) throw new Error('the container runtime was not loaded'); // an engine bug: loadContainers() comes first
    this.containerHost ??= this.containerCode.ContainerHost.open(this.home, this.opts.project, this.forwarding, (m) => this.note(m));
    return this.containerHost;
  }

  private async loadContainers(): Promise<void> {
    this.containerCode ??= await import('./container-host.js');
  }

  /** Whether container mode left (or keeps) records here; loads its code when so. */
  private async hasContainerRecords(): Promise<boolean> {
    if (this.containerHost) return true;
    if (!existsSync(projectPaths(this.home, this.opts.project).isolationLedger)) return false;
    await this.loadContainers();
    return this.containerCode!.ContainerHost.hasRecords(this.home, this.opts.project);
  }

  /**
   * Removes what the container runtime recorded and no replica holds: at
   * start, everything a crashed engine left (its replicas died with it); at a
   * planned exit with no replica left (`down`), the networks and shared parts.
   */
  async sweepContainers(atStart: boolean): Promise<void> {
    if (!atStart && this.replicas.size > 0) return;
    if (!(await this.hasContainerRecords())) return;
    try {
      const problems = await this.containers().sweepAll();
      for (const p of problems) this.note(`cleanup: ${p}`);
    } catch (err) {
      this.note(`cleanup: ${(err as Error).message}`);
    }
  }

  /** A raw sample of each running container replica, for `tug stats`. */
  stats(): StatsSample[] {
    const out: StatsSample[] = [];
    if (!this.containerHost) return out;
    for (const replica of this.replicas.values()) {
      const slot = this.containerHost.slot(replica.name);
      if (!slot || slot.pid === undefined) continue;
      const { cgroup, network, at } = this.containerHost.driver.sample(slot.bundle, slot.pid);
      const { memoryLimit, oomKills: _oom, pidsLimit: _pl, ...rest } = cgroup;
      out.push({
        replica: replica.name,
        service: replica.spec.service,
        ...rest,
        ...(memoryLimit !== undefined && Number.isFinite(memoryLimit) ? { memoryLimit } : {}),
        rxBytes: network.rxBytes,
        txBytes: network.txBytes,
        atNanos: Number(at),
      });
    }
    return out;
  }

  /** A project network goes (`down`): its bridge, rules and DNS listener, when container mode made them. */
  async removeNetwork(name: string): Promise<void> {
    if (!(await this.hasContainerRecords())) return;
    const problems = await this.containers().removeNetwork(name);
    if (problems.length > 0) throw new TugError({ code: 'container.cleanup', message: `cannot remove network ${name}: ${problems.join('; ')}` });
  }

  /** The last write of an engine exiting on purpose. */
  saveFinal(): void {
    this.opts.store.close();
  }

  private get(id: string): Replica {
    const replica = this.replicas.get(id);
    if (!replica) {
      throw new TugError({ code: 'engine.not-found', message: `no replica ${JSON.stringify(id)} in project ${this.opts.project}` });
    }
    return replica;
  }

  async create(spec: HostReplicaSpec): Promise<ObservedReplica> {
    if (spec.isolation === 'container') await this.loadContainers();
    if (spec.project !== this.opts.project) {
      throw new TugError({
        code: 'engine.wrong-project',
        message: `replica ${spec.name} belongs to project ${spec.project}, this engine serves ${this.opts.project}`,
      });
    }
    if (!REPLICA_NAME.test(spec.name)) {
      throw new TugError({ code: 'engine.bad-name', message: `invalid replica name ${JSON.stringify(spec.name)}` });
    }
    if (this.replicas.has(spec.name)) {
      throw new TugError({
        code: 'engine.conflict',
        message: `a replica named ${spec.name} already exists in project ${spec.project}`,
        hint: 'remove it first, or let `up` recreate it',
      });
    }
    const replica = new Replica(spec, this);
    this.replicas.set(spec.name, replica);
    this.changed(replica, 'create');
    return replica.observe();
  }

  async start(id: string): Promise<ObservedReplica> {
    const replica = this.get(id);
    if (replica.isContainer) await this.loadContainers();
    await replica.start();
    return replica.observe();
  }

  async stop(id: string, timeoutMs?: number): Promise<ObservedReplica> {
    const replica = this.get(id);
    await replica.stop(timeoutMs);
    return replica.observe();
  }

  async kill(id: string, signal: string | undefined): Promise<ObservedReplica> {
    const replica = this.get(id);
    await replica.kill(signal);
    return replica.observe();
  }

  async remove(id: string, removeVolumes: boolean): Promise<void> {
    const replica = this.get(id);
    if (replica.isContainer) await this.loadContainers();
    await replica.remove(removeVolumes);
    const last = replica.observe();
    this.replicas.delete(id);
    this.opts.store.remove(id);
    this.opts.emit({ action: 'remove', replica: { ...last, state: 'removing' }, time: new Date().toISOString() });
    this.opts.onActivity();
  }

  adoptExec(id: string, group: ProcessGroupRecord): void {
    this.get(id).adoptExec(group);
  }

  /** Saves a change that is not an event (an exec adopted). */
  recorded(replica: Replica): void {
    if (this.replicas.get(replica.name) === replica) this.opts.store.write(replica.toRecord());
  }

  inspect(id: string): { replica: ObservedReplica; spec: HostReplicaSpec } {
    const replica = this.get(id);
    return { replica: replica.observe(), spec: replica.spec };
  }

  list(): ObservedReplica[] {
    return [...this.replicas.values()].map((r) => r.observe());
  }

  /** Whether any replica runs, restarts, or is being started or stopped. */
  busy(): boolean {
    for (const replica of this.replicas.values()) if (replica.active) return true;
    return false;
  }

  /** Stops every replica with its own grace period, in parallel. */
  async stopAll(): Promise<void> {
    await Promise.all([...this.replicas.values()].map((r) => r.stop().catch((err) => this.note(`stop ${r.name}: ${(err as Error).message}`))));
  }
}
