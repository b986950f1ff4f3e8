// One replica's life as a state machine:
//
//   created ──start──▶ running ──exit──▶ exited ──start──▶ running …
//                         │  ▲
//                    exit │  │ back-off elapsed (restart policy)
//                         ▼  │
//                       restarting
//
// A run is one process group whose leader we spawned (run.ts) or, in
// container mode, one container (container-workload.ts). Like PID 1 of a
// container, the leader's exit ends the run: what is left of its group is
// killed. `stop` and `kill` with the stop signal or SIGKILL mark the replica
// as stopped by a user, which no restart policy overrides. What only a
// container replica holds (its slot, release, ports, image root) is
// replica-container.ts's; its exec'd groups are exec-groups.ts's.
import { rmSync } from 'node:fs';
import { TugError } from '../../../core/errors.js';
import { parseSignal, stopSignalOf, type SignalName } from '../../../core/model/signals.js';
import { stopGraceMs } from '../../../core/model/timing.js';
import { restartPolicyOf, shouldRestart, type RestartPolicy } from '../../../core/model/restart-policy.js';
import type { HealthState, ObservedReplica, PublishedPort, ReplicaState } from '../../../core/reconcile/observed.js';
import { snapshotOf } from '../../../core/reconcile/snapshot.js';
import type { HostReplicaSpec } from '../host-env.js';
import { anonymousVolumeTargets } from '../../../core/reconcile/replica-spec.js';
import type { ReplicaEventAction } from '../../backend.js';
import { replicaLogFile } from '../home.js';
import { allocateAnonymousVolumes, removeAnonymousVolumes } from '../volumes.js';
import { HealthMonitor, healthConfigOf, type HealthConfig } from './health.js';
import { exposedOnly } from '../../../core/model/exposed-ports.js';
import { planLaunch, type LaunchPlan } from './launch.js';
import { LogWriter } from './log-writer.js';
import { anonDir } from './mounts.js';
import type { ConnectionBudget } from './forward-budget.js';
import { openForwarders, type PortForwarder } from './port-forward.js';
import { reapGroup } from './proc.js';
import { ExecGroups } from './exec-groups.js';
import { Backoff } from './restart-backoff.js';
import { spawnRun, type Run } from './run.js';
import type { ContainerHost } from './container-host.js';
import { ReplicaContainer } from './replica-container.js';
import { KILLED_WITH_ENGINE, OOM_KILLED, type ProcessGroupRecord, type ReplicaRecord } from '../state-format.js';
import { after, type Timer } from '../../../timers.js';

export interface ReplicaHost {
  readonly home: string;
  readonly runningAsRoot: boolean;
  /** The engine-wide cap on forwarded connections. */
  readonly forwarding: ConnectionBudget;
  /** Something observable changed: persist, and emit `action` when given. */
  changed(replica: Replica, action: ReplicaEventAction): void;
  /** Something worth saving but not an event changed. */
  recorded(replica: Replica): void;
  /** A line for engine.log. */
  note(message: string): void;
  /** The engine's container runtime, built on first use (a TugError where the machine has none). */
  containers(): ContainerHost;
}

/** How long 'die' waits for output still in the pipes (a descendant may hold them open). */
const LAST_OUTPUT_MS = 500;

export class Replica {
  state: ReplicaState = 'created';
  restartCount = 0;
  exitCode?: number;
  createdAt = new Date().toISOString();
  startedAt?: string;
  finishedAt?: string;
  /** Recovered after its engine died while it ran: it died then, at an unknown time. */
  private killedWithEngine = false;
  private pgid?: number;
  private procStart?: number;
  private lastHealth?: HealthState;
  /** The last run ended by the kernel's OOM killer (container mode). */
  private oomKilled = false;
  /** Container mode: its slot, release, ports and image root. */
  private readonly container: ReplicaContainer | undefined;
  private plan: LaunchPlan | undefined;
  private readonly policy: RestartPolicy;
  private readonly healthConfig: HealthConfig | undefined;
  private readonly logs: LogWriter;
  private readonly backoff: Backoff;
  private readonly stopSignal: SignalName;
  private readonly graceMs: number;
  private run?: Run;
  private forwarders: PortForwarder[] = [];
  /** Process groups of `tug exec` commands run in this replica: they end when its run ends. */
  private readonly execs = new ExecGroups();
  private restartTimer?: Timer;
  private stopRequested = false;
  private stopping?: Promise<void>;
  private spawning?: Promise<void>;
  /** The replica's own anonymous volumes by target; they outlive it unless removed with it. */
  readonly anonymousVolumes: Record<string, string>;

  /** Validates the spec (throws a TugError a user can act on); `record` restores a known replica. */
  constructor(
    readonly spec: HostReplicaSpec,
    private readonly host: ReplicaHost,
    record?: ReplicaRecord,
  ) {
    this.container = spec.isolation === 'container' ? new ReplicaContainer(spec, host) : undefined;
    this.policy = restartPolicyOf(spec.service, spec.service_spec);
    this.healthConfig = healthConfigOf(spec.service_spec.healthcheck);
    this.backoff = new Backoff(this.policy.delayMs);
    this.stopSignal = stopSignalOf(spec.service_spec.stop_signal) ?? 'SIGTERM';
    this.graceMs = stopGraceMs(spec.service_spec);
    this.logs = new LogWriter(replicaLogFile(host.home, spec.project, spec.name), (message) => host.note(message));
    const targets = anonymousVolumeTargets(spec.service_spec);
    if (record) {
      // A record from before anonymous volumes had names of their own gets them now.
      this.anonymousVolumes = record.anonymousVolumes ?? allocateAnonymousVolumes(host.home, targets);
      // A restored replica whose spec no longer plans (a bind source vanished)
      // stays listed and removable; starting it reports the problem.
      this.plan = tryPlan(spec, host, this.anonymousVolumes);
      const { state, restartCount, exitCode, createdAt, startedAt, finishedAt, health, pgid, procStart } = record;
      Object.assign(this, { state, restartCount, exitCode, createdAt, startedAt, finishedAt, lastHealth: health, pgid, procStart });
      this.killedWithEngine = record.killedWithEngine === true;
      this.oomKilled = record.oomKilled === true;
    } else {
      this.anonymousVolumes = allocateAnonymousVolumes(host.home, targets, spec.inheritedVolumes);
      try {
        this.plan = planLaunch(spec, host, this.anonymousVolumes);
      } catch (err) {
        // Refused at create: the volumes made just now go, inherited ones stay for the next try.
        const inherited = new Set(Object.values(spec.inheritedVolumes ?? {}));
        removeAnonymousVolumes(host.home, Object.values(this.anonymousVolumes).filter((v) => !inherited.has(v)));
        throw err;
      }
      for (const note of this.plan.notes) host.note(note);
    }
  }

  get name(): string {
    return this.spec.name;
  }

  get isContainer(): boolean {
    return this.spec.isolation === 'container';
  }

  /** Running or about to run again: the engine must stay up for it. */
  get active(): boolean {
    return this.run !== undefined || this.restartTimer !== undefined || this.spawning !== undefined || this.stopping !== undefined;
  }

  async start(): Promise<void> {
    if (this.stopping) await this.stopping;
    if (this.spawning) return this.spawning;
    if (this.run || this.restartTimer) return;
    this.stopRequested = false;
    this.restartCount = 0;
    this.backoff.reset();
    const plan = planLaunch(this.spec, this.host, this.anonymousVolumes);
    this.plan = plan;
    if (this.container) await this.container.beforeStart();
    else this.forwarders = await openForwarders(plan.ports.forwards, this.spec.service, this.host.forwarding);
    try {
      await this.spawnTracked(plan);
    } catch (err) {
      await this.closeForwarders();
      this.servePorts();
      await this.container?.release();
      throw err;
    }
    this.host.changed(this, 'start');
  }

  private async spawnTracked(plan: LaunchPlan): Promise<void> {
    this.spawning = this.beginRun(plan);
    try {
      await this.spawning;
    } finally {
      this.spawning = undefined;
    }
  }

  private async beginRun(plan: LaunchPlan): Promise<void> {
    const onExit = (r: Run, status: number, oom: boolean) => this.onExit(r, status, oom);
    let run: Run;
    if (this.container) run = await this.container.startRun(this.anonymousVolumes, this.logs, onExit);
    else {
      run = await spawnRun(this.name, plan, this.logs, onExit, (m) => this.host.note(m));
      this.pgid = run.pid;
      this.procStart = run.procStart;
    }
    this.run = run;
    this.oomKilled = false;
    this.state = 'running';
    this.startedAt = new Date().toISOString();
    this.exitCode = undefined;
    this.killedWithEngine = false;
    if (this.healthConfig) {
      run.health = new HealthMonitor(this.healthConfig, run.prober, (status) => {
        this.lastHealth = status;
        this.servePorts();
        this.host.changed(this, 'health');
      });
      run.health.start();
    }
    this.servePorts();
  }

  /** Container mode: whether the service's published ports send this replica traffic now. */
  private servePorts(): void {
    this.container?.servePorts(this.run, this.restartTimer !== undefined);
  }

  private releaseContainer(): Promise<void> {
    return this.container?.release() ?? Promise.resolve();
  }

  private onExit(run: Run, status: number, oomKilled: boolean): void {
    if (this.run !== run) return;
    run.health?.stop();
    this.lastHealth = run.health?.status;
    this.run = undefined;
    this.exitCode = status;
    this.oomKilled = oomKilled;
    if (oomKilled) {
      this.host.note(`${this.name}: killed by the kernel for lack of memory (OOM), exit ${status}`);
      this.host.changed(this, 'oom'); // its own event before 'die', as Docker sends it
    }
    this.finishedAt = new Date().toISOString();
    // During a stop, terminate() gives the rest of the group its grace period.
    if (!this.stopping) run.signalAll('SIGKILL');
    // As with a container, what was exec'd in it ends with it.
    this.execs.endAll();
    if (!this.stopRequested && shouldRestart(this.policy, this.exitCode, this.restartCount)) {
      const delay = this.backoff.next(Date.now() - run.startedMs);
      this.state = 'restarting';
      this.restartTimer = after(delay, () => void this.restartNow());
      this.servePorts();
      this.host.changed(this, 'die');
      return;
    }
    this.state = 'exited';
    this.servePorts();
    void this.releaseContainer();
    void this.closeForwarders();
    // 'exit' can come before the last output is read off the pipes; whoever
    // stops reading logs at 'die' (run, attach) must find those lines written.
    void this.logs.drain(LAST_OUTPUT_MS).then(() => this.host.changed(this, 'die'));
  }

  private async restartNow(): Promise<void> {
    this.restartTimer = undefined;
    if (this.stopRequested || this.state !== 'restarting') return;
    this.restartCount++;
    try {
      await this.spawnTracked(planLaunch(this.spec, this.host, this.anonymousVolumes));
    } catch (err) {
      this.host.note(`${this.name}: restart failed: ${(err as Error).message}`);
      this.state = 'exited';
      this.exitCode = 127;
      await this.closeForwarders();
      this.servePorts();
      await this.releaseContainer();
      this.host.changed(this, 'die');
      return;
    }
    this.host.changed(this, 'restart');
    this.host.changed(this, 'start');
  }

  /** Stop signal to the group, SIGKILL after the grace period; resolves when the group is empty. */
  async stop(timeoutMs?: number): Promise<void> {
    this.stopRequested = true;
    if (this.spawning) await this.spawning.catch(() => undefined);
    if (this.restartTimer) {
      this.restartTimer.cancel();
      this.restartTimer = undefined;
      this.state = 'exited';
      await this.closeForwarders();
      this.servePorts();
      await this.releaseContainer();
      this.host.changed(this, 'stop');
      return;
    }
    if (this.stopping) return this.stopping;
    const run = this.run;
    if (!run) return;
    this.stopping = this.terminate(run, timeoutMs ?? this.graceMs);
    try {
      await this.stopping;
    } finally {
      this.stopping = undefined;
    }
    this.host.changed(this, 'stop');
  }

  private async terminate(run: Run, graceMs: number): Promise<void> {
    await run.terminate(this.stopSignal, graceMs);
    await this.closeForwarders();
    await this.logs.drain(1_000);
  }

  /**
   * Delivers a signal. SIGKILL and the stop signal end the replica (whole group,
   * no restart); any other signal goes to the leader only, as Docker sends it
   * to a container's PID 1 (e.g. SIGHUP to reload).
   */
  async kill(signalName: string | undefined): Promise<void> {
    const signal = signalName ? parseSignal(signalName) : 'SIGKILL';
    if (!signal) throw new TugError({ code: 'engine.bad-signal', message: `unknown signal ${JSON.stringify(signalName)}` });
    const ending = signal === 'SIGKILL' || signal === this.stopSignal;
    if (ending && this.restartTimer) return this.stop(0);
    const run = this.run;
    if (!run) throw new TugError({ code: 'engine.not-running', message: `replica ${this.name} is not running` });
    if (ending) {
      this.stopRequested = true;
      run.signalAll(signal);
    } else {
      run.signalLeader(signal);
    }
    this.host.changed(this, 'kill');
    if (signal === 'SIGKILL') await run.awaitKilled(2_000);
  }

  /** Ends any run (without grace) and deletes logs and tmpfs stand-ins; its anonymous volumes only with `removeVolumes`. */
  async remove(removeVolumes: boolean): Promise<void> {
    if (this.active) await this.stop(0);
    await this.closeForwarders();
    await this.container?.remove();
    await this.logs.drain(500);
    this.logs.removeFiles();
    rmSync(anonDir(this.host.home, this.spec.project, this.name), { recursive: true, force: true });
    if (removeVolumes) removeAnonymousVolumes(this.host.home, Object.values(this.anonymousVolumes));
  }

  /** Takes a `tug exec` command's group; one started after the replica stopped is killed at once. */
  adoptExec(group: ProcessGroupRecord): void {
    if (!this.run) {
      void reapGroup(group.pgid, group.procStart);
      throw new TugError({ code: 'engine.not-running', message: `replica ${this.name} is not running` });
    }
    this.execs.adopt(group);
    this.host.recorded(this);
  }

  private async closeForwarders(): Promise<void> {
    const open = this.forwarders;
    this.forwarders = [];
    await Promise.all(open.map((f) => f.close()));
  }

  private ports(): PublishedPort[] {
    if (this.container) return this.container.published(this.run !== undefined || this.restartTimer !== undefined);
    const planned = this.plan?.ports.published ?? [];
    if (this.forwarders.length === 0) return planned;
    return [...planned.filter((p) => p.published === p.target), ...this.forwarders.map((f) => f.port)];
  }

  observe(): ObservedReplica {
    const notes: string[] = [];
    if (this.killedWithEngine) notes.push(KILLED_WITH_ENGINE);
    const notKept = this.logs.notKept;
    if (notKept !== undefined) notes.push(`logs not kept: ${notKept}`);
    if (this.oomKilled && this.state !== 'running') notes.push(OOM_KILLED);
    return snapshotOf(this.spec, {
      state: this.state,
      restartCount: this.restartCount,
      createdAt: this.createdAt,
      startedAt: this.startedAt,
      finishedAt: this.finishedAt,
      exitCode: this.state === 'running' ? undefined : this.exitCode,
      pid: this.run?.pid,
      health: this.healthConfig ? (this.run?.health?.status ?? this.lastHealth ?? 'starting') : undefined,
      ports: this.ports(),
      exposed: this.isContainer && this.run ? exposedOnly(this.spec.service_spec.expose, this.ports()) : undefined,
      image: null,
      command: this.plan?.display ?? '',
      anonymousVolumes: this.anonymousVolumes,
      notes,
      addresses: this.run ? this.container?.addresses?.map((a) => ({ network: a.network, address: a.address })) : undefined,
    });
  }

  toRecord(): ReplicaRecord {
    return {
      spec: this.spec,
      state: this.state,
      pid: this.run?.pid,
      pgid: this.pgid,
      procStart: this.procStart,
      exitCode: this.exitCode,
      restartCount: this.restartCount,
      health: this.run?.health?.status ?? this.lastHealth,
      createdAt: this.createdAt,
      startedAt: this.startedAt,
      finishedAt: this.finishedAt,
      anonymousVolumes: this.anonymousVolumes,
      ...(this.killedWithEngine ? { killedWithEngine: true } : {}),
      ...(this.oomKilled ? { oomKilled: true } : {}),
      ...this.execs.record(),
    };
  }
}

function tryPlan(spec: HostReplicaSpec, host: ReplicaHost, anonymousVolumes: Record<string, string>): LaunchPlan | undefined {
  try {
    return planLaunch(spec, host, anonymousVolumes);
  } catch {
    return undefined;
  }
}
