// The native runtime as a RuntimeBackend: replicas are host processes
// supervised by one engine process per project (started on demand, reached
// over its socket); networks, volumes and logs live in files under TUG_HOME,
// so `ps`, `logs` and `ls` work without an engine and never start one.
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { TugError } from '../../core/errors.js';
import { LABEL } from '../../core/model/labels.js';
import type { NetworkSpec, Project, VolumeSpec } from '../../core/model/types.js';
import type { ObservedReplica, ObservedState } from '../../core/reconcile/observed.js';
import type { Plan, ReplicaSpec } from '../../core/reconcile/operations.js';
import { externalResourcesOf } from '../../core/reconcile/resources.js';
import type {
  BackendCapabilities,
  EventOptions,
  ExecOptions,
  LogLine,
  LogOptions,
  ProjectSummary,
  RemoveReplicaOptions,
  ReplicaEvent,
  RuntimeBackend,
} from '../backend.js';
import type { RecoveredNotice } from './client.js';
import { EnginePool, isConnectionLoss } from './engine-pool.js';
import { execInReplica } from './exec.js';
import { isVolumeName, tugHome, volumeDataDir } from './home.js';
import { assertTrustedHome } from './home-trust.js';
import { withProjectLock } from './lock.js';
import { readLogs } from './logs.js';
import * as networks from './networks.js';
import { checkPorts, portRequests } from './ports.js';
import { asUnsupervised, readStateFile } from './state-file.js';
import * as volumes from './volumes.js';
import { hostEnvironment } from './host-env.js';

export interface NativeBackendOptions {
  /** TUG_HOME; defaults to tugHome() of the process environment. */
  home?: string;
  /** Told when an engine reports replicas it reaped after its predecessor crashed (the CLI prints it). */
  onNotice?: (notice: RecoveredNotice) => void;
  /** The invoking user's environment: host-process replicas inherit PATH, HOME and a few more from it. */
  env?: Readonly<Record<string, string | undefined>>;
}

export function createNativeBackend(opts: NativeBackendOptions = {}): NativeBackend {
  return new NativeBackend(opts);
}

export class NativeBackend implements RuntimeBackend {
  readonly name = 'native';
  readonly capabilities: BackendCapabilities = { images: false, build: false, isolatedNetwork: false, defaultParallelism: 16 };
  readonly home: string;
  /** What host-process replicas inherit from the invoking user's environment. */
  private readonly hostEnv: Record<string, string>;
  /** Recovery notices seen so far (also passed to onNotice). */
  readonly notices: RecoveredNotice[] = [];
  private readonly engines: EnginePool;
  /** Projects whose replicas this backend changed: their engine may be idle at close. */
  private readonly changed = new Set<string>();
  /** Projects seen in validate(): which of their volumes are external. */
  private readonly projects = new Map<string, Project>();

  constructor(opts: NativeBackendOptions = {}) {
    this.home = opts.home ?? tugHome();
    this.hostEnv = hostEnvironment(opts.env ?? process.env);
    this.engines = new EnginePool(this.home, (notice) => {
      this.notices.push(notice);
      opts.onNotice?.(notice);
    });
  }

  validate(project: Project): TugError[] {
    this.projects.set(project.name, project);
    const errors: TugError[] = [];
    for (const [name, svc] of Object.entries(project.services)) {
      const hasCommand = (svc.command?.length ?? 0) > 0 || (svc.entrypoint?.length ?? 0) > 0;
      if (hasCommand) continue;
      errors.push(
        new TugError({
          code: svc.image ? 'native.image-without-command' : 'native.no-command',
          message: svc.image
            ? `service "${name}" has an image but no command; the native backend runs host commands`
            : `service "${name}" has no command; the native backend runs host commands`,
          path: ['services', name],
          hint: svc.image ? 'add a command:, or use --backend docker' : 'add a command:',
        }),
      );
    }
    return errors;
  }

  async preflight(plan: Plan, observed: ObservedState): Promise<TugError[]> {
    return [...this.missingExternalVolumes(plan), ...(await this.portProblems(plan, observed))];
  }

  /** External volumes must exist already: the engine never makes one up (Compose: "external volume not found"). */
  private missingExternalVolumes(plan: Plan): TugError[] {
    const project = this.projects.get(plan.project);
    if (!project) return [];
    return externalResourcesOf(plan, project).volumes.flatMap((name) => {
      try {
        if (existsSync(volumeDataDir(this.home, name))) return [];
      } catch (err) {
        return [err as TugError]; // a name that cannot be a directory
      }
      return [
        new TugError({
          code: 'native.external-volume',
          message: `volume ${name} declared as external, but could not be found`,
          hint: `create it first (mkdir -p ${volumeDataDir(this.home, name)}), or remove external: true`,
        }),
      ];
    });
  }

  private async portProblems(plan: Plan, observed: ObservedState): Promise<TugError[]> {
    const created = new Map<string, ReplicaSpec>();
    const releasing = new Set<string>();
    for (const { op } of plan.steps) {
      if (op.kind === 'create-replica') created.set(op.replica.name, op.replica);
      if (op.kind === 'stop-replica' || op.kind === 'kill-replica' || op.kind === 'remove-replica') releasing.add(op.name);
    }
    const starting: ReplicaSpec[] = [];
    for (const { op } of plan.steps) {
      if (op.kind !== 'start-replica') continue;
      const spec = created.get(op.name) ?? (await this.specOf(plan.project, op.name));
      if (spec) starting.push(spec);
    }
    const requests = portRequests(starting);
    if (requests.length === 0) return [];
    const running = observed.replicas.filter((r) => r.state === 'running' || r.state === 'restarting');
    const ownedBy: ObservedReplica[] = [];
    const freed = new Set<string>();
    for (const r of running) {
      // Ports the engine did not report are known from the replica's spec.
      const ports = r.ports.length > 0 ? r.ports : await this.specPorts(plan.project, r.name);
      if (releasing.has(r.name)) for (const p of ports) freed.add(`${p.protocol}/${p.published}`);
      else ownedBy.push({ ...r, ports });
    }
    return checkPorts(requests, ownedBy, { freed });
  }

  withLock<T>(project: string, fn: () => Promise<T>, onWait?: (message: string) => void): Promise<T> {
    return withProjectLock(this.home, project, fn, { onWait: onWait && ((message) => onWait(message)) });
  }

  async observe(project: string): Promise<ObservedState> {
    assertTrustedHome(this.home, project);
    const [replicas, nets, vols] = await Promise.all([
      this.observeReplicas(project),
      networks.listNetworks(this.home, project),
      volumes.listVolumes(this.home, project),
    ]);
    return { project, replicas, networks: nets, volumes: vols };
  }

  async listProjects(): Promise<ProjectSummary[]> {
    assertTrustedHome(this.home);
    const names = await readdir(join(this.home, 'projects')).catch(() => [] as string[]);
    const out: ProjectSummary[] = [];
    for (const name of names.sort()) {
      if (!isVolumeName(name)) continue; // not a project tug made
      const replicas = await this.observeReplicas(name);
      if (replicas.length === 0) continue;
      const counts = new Map<string, number>();
      for (const r of replicas) counts.set(r.state, (counts.get(r.state) ?? 0) + 1);
      const status = [...counts].sort(([a], [b]) => a.localeCompare(b)).map(([s, n]) => `${s}(${n})`).join(', ');
      const labels = replicas.find((r) => r.labels[LABEL.configFiles])?.labels ?? replicas[0]!.labels;
      const configFiles = labels[LABEL.configFiles]?.split(',').filter((f) => f !== '') ?? [];
      out.push({ name, status, configFiles, workingDir: labels[LABEL.workingDir] });
    }
    return out;
  }

  async createNetwork(project: string, key: string, name: string, spec: NetworkSpec): Promise<void> {
    assertTrustedHome(this.home, project);
    return networks.createNetwork(this.home, project, key, name, spec);
  }

  async removeNetwork(project: string, name: string): Promise<void> {
    assertTrustedHome(this.home, project);
    return networks.removeNetwork(this.home, project, name);
  }

  async createVolume(project: string, key: string, name: string, spec: VolumeSpec): Promise<void> {
    assertTrustedHome(this.home, project);
    return volumes.createVolume(this.home, project, key, name, spec);
  }

  async removeVolume(project: string, name: string): Promise<void> {
    assertTrustedHome(this.home, project);
    return volumes.removeVolume(this.home, project, name);
  }

  createReplica(spec: ReplicaSpec): Promise<ObservedReplica> {
    this.changed.add(spec.project);
    return this.engines.change(spec.project, 'create', { spec: { ...spec, hostEnv: this.hostEnv } });
  }

  async startReplica(project: string, id: string): Promise<void> {
    this.changed.add(project);
    await this.engines.change(project, 'start', { id });
  }

  async stopReplica(project: string, id: string, timeoutMs: number): Promise<void> {
    this.changed.add(project);
    await this.engines.change(project, 'stop', { id, timeoutMs });
  }

  async killReplica(project: string, id: string, signal: string): Promise<void> {
    this.changed.add(project);
    await this.engines.change(project, 'kill', { id, signal });
  }

  async removeReplica(project: string, id: string, opts: RemoveReplicaOptions): Promise<void> {
    this.changed.add(project);
    await this.engines.change(project, 'remove', { id, removeVolumes: opts.removeVolumes });
  }

  /** Nothing to replay (`since` is not needed): the engine's list is never behind its events, and observe() waits for the subscription. */
  events(project: string, signal: AbortSignal, _opts?: EventOptions): AsyncIterable<ReplicaEvent> {
    return this.engines.events(project, signal);
  }

  logs(project: string, opts: LogOptions): AsyncIterable<LogLine> {
    assertTrustedHome(this.home, project);
    return readLogs(this.home, project, { ...opts, replicas: async () => (await this.observeReplicas(project)) });
  }

  async exec(project: string, id: string, opts: ExecOptions): Promise<number> {
    const client = await this.engines.get(project, false);
    const found = client ? await client.call('inspect', { id }) : undefined;
    if (!found || found.replica.state !== 'running') {
      throw new TugError({
        code: 'native.not-running',
        message: `replica ${id} of project ${project} is not running`,
        hint: 'start it with tug up or tug start',
      });
    }
    return execInReplica(this.home, found.spec, opts, found.replica.anonymousVolumes ?? {}, async (pid, procStart) => {
      await client!.call('adoptExec', { id, pid, procStart });
    });
  }

  /** Stops every replica of the project and its engine (tests, and cleanup). */
  async shutdownEngine(project: string): Promise<void> {
    const client = await this.engines.get(project, false);
    if (!client) return;
    await client.call('shutdown', {}).catch(() => undefined);
    this.engines.drop(project);
  }

  /** Closes connections; an engine left with no replica by this backend's changes is shut down. */
  async close(): Promise<void> {
    for (const project of this.changed) {
      // Closing must not fail the command: an engine that went silent is left as it is.
      const client = await this.engines.get(project, false).catch(() => undefined);
      if (!client) continue;
      const left = await client.call('list', {}, { timeoutMs: 2_000 }).catch(() => undefined);
      if (left && left.length === 0) await client.call('shutdown', {}, { timeoutMs: 10_000 }).catch(() => undefined);
    }
    this.changed.clear();
    this.engines.closeAll();
  }

  private async observeReplicas(project: string): Promise<ObservedReplica[]> {
    // Subscribe-then-observe must see everything: answer only once a stream begun before is live.
    await this.engines.subscriptionsSettled(project);
    const client = await this.engines.get(project, false);
    if (client) {
      try {
        return await client.call('list', {});
      } catch (err) {
        if (!isConnectionLoss(err)) throw err;
        this.engines.forget(project, client);
      }
    }
    return (await readStateFile(this.home, project)).map((s) => asUnsupervised(s.replica));
  }

  private async specOf(project: string, name: string): Promise<ReplicaSpec | undefined> {
    const client = await this.engines.get(project, false);
    if (client) {
      const found = await client.call('inspect', { id: name }).catch(() => undefined);
      if (found) return found.spec;
    }
    return (await readStateFile(this.home, project)).find((s) => s.replica.name === name || s.replica.id === name)?.spec;
  }

  private async specPorts(project: string, name: string): Promise<ObservedReplica['ports']> {
    const spec = await this.specOf(project, name);
    return spec ? portRequests([spec]).map((r) => ({ hostIp: r.hostIp, published: r.port, target: 0, protocol: r.protocol })) : [];
  }
}
