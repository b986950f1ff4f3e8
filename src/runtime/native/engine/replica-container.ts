// The container side of one replica (replica.ts keeps the state machine): the
// slot it holds while it runs or restarts (bundle, addresses, from a fresh
// start until the final exit), its release (container, namespace, veths,
// cgroup and bundle, batched with the replicas going together), its place in
// its service's published ports, and, when it is removed, its image root.
import type { PublishedPort } from '../../../core/reconcile/observed.js';
import type { HostReplicaSpec } from '../host-env.js';
import type { ContainerHost, ContainerSlot } from './container-host.js';
import { startContainerRun } from './container-workload.js';
import type { LogWriter } from './log-writer.js';
import type { ExitListener, Run } from './run.js';

/** What the container side needs of the engine (a subset of ReplicaHost). */
export interface ContainerSideHost {
  note(message: string): void;
  containers(): ContainerHost;
}

/** Numbers each replica's container side, for keys that outlive a name's reuse. */
let portKeys = 0;

export class ReplicaContainer {
  private slot?: ContainerSlot;
  private releasing?: Promise<void>;
  /**
   * This replica's membership in its service's ports. Not its name: a
   * recreated replica has the same name, and the old one's late "gone" (its
   * release is batched) must not take the new one's traffic away.
   */
  private readonly portKey: string;

  constructor(
    private readonly spec: HostReplicaSpec,
    private readonly host: ContainerSideHost,
  ) {
    this.portKey = `${spec.name}#${++portKeys}`;
  }

  /** Its addresses per network while it holds a slot. */
  get addresses(): ContainerSlot['addresses'] | undefined {
    return this.slot?.addresses;
  }

  /** Before a fresh start: what a previous release still does is finished, and the service's ports are open. */
  async beforeStart(): Promise<void> {
    if (this.releasing) await this.releasing;
    await this.host.containers().ports.open(this.spec, this.portKey);
  }

  /** Starts a run in its slot (prepared on a fresh start, kept across restarts). */
  async startRun(anonymousVolumes: Readonly<Record<string, string>>, logs: LogWriter, onExit: ExitListener): Promise<Run> {
    const containers = this.host.containers();
    const note = (m: string) => this.host.note(m);
    this.slot ??= await containers.prepare(this.spec, anonymousVolumes);
    for (const n of this.slot.bundle.notes) note(`${this.spec.name}: ${n}`);
    return startContainerRun(this.slot, { containers, logs, onExit, note });
  }

  /** Whether the service's published ports send this replica traffic now: while it runs (and is healthy, with a check). */
  servePorts(run: Run | undefined, restarting: boolean): void {
    const address = this.slot?.addresses[0]?.address;
    const ready = run !== undefined && address !== undefined && (run.health === undefined || run.health.status === 'healthy');
    const value = ready ? address : run || restarting ? null : undefined;
    void this.host.containers().ports.set(this.spec.service, this.portKey, value).catch((err: Error) => this.host.note(`${this.spec.name}: ports: ${err.message}`));
  }

  /** The service's published ports, while the replica runs or restarts. */
  published(active: boolean): PublishedPort[] {
    return active ? this.host.containers().ports.published(this.spec.service, this.portKey) : [];
  }

  /** Its container, namespace, veths, cgroup and bundle go (at the final exit, and on remove). */
  release(): Promise<void> {
    this.slot = undefined;
    // A container runtime that cannot be built (a record from another machine) has nothing of this replica to remove.
    const releasing = Promise.resolve()
      .then(() => this.host.containers().release(this.spec.name))
      .catch((err: Error) => this.host.note(`${this.spec.name}: ${err.message}`))
      .finally(() => {
        if (this.releasing === releasing) this.releasing = undefined;
      });
    this.releasing = releasing;
    return releasing;
  }

  /** The replica is removed: its release is over, and its image root (what it wrote) goes too. */
  async remove(): Promise<void> {
    await (this.releasing ?? this.release());
    if (this.spec.image) await this.host.containers().removeRoot(this.spec.name);
  }
}
