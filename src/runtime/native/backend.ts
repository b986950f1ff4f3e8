// The native runtime as a RuntimeBackend: replicas are host processes or
// containers (--isolation, container-mode.ts) supervised by one engine process
// per project (started on demand, reached over its socket); networks, volumes
// and logs live in files under TUG_HOME, so `ps`, `logs` and `ls` work without
// an engine and never start one.
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { TugError } from '../../core/errors.js';
import { LABEL } from '../../core/model/labels.js';
import type { Project, ServiceSpec } from '../../core/model/types.js';
import type { ObservedReplica, ObservedState } from '../../core/reconcile/observed.js';
import type { Plan, ReplicaSpec } from '../../core/reconcile/operations.js';
// What only `up`, `logs` and `exec` need is loaded when they run, so `ps` starts light:
// see preflight, withLock, logs and exec below.
import type {
  BackendCapabilities,
  ExecOptions,
  FileSyncFacet,
  ImageFacet,
  LogLine,
  LogOptions,
  ProjectSummary,
  ReplicaFacet,
  ReplicaIOFacet,
  ResourceFacet,
  ReplicaStatsRow,
  RuntimeBackend,
  StatsFacet,
} from '../backend.js';
import type { RecoveredNotice } from './client.js';
import type { EngineMethods } from './protocol.js';
import { EnginePool, isConnectionLoss } from './engine-pool.js';
import { isVolumeName, tugHome, volumeDataDir, volumeDir } from './home.js';
import { assertTrustedHome } from './home-trust.js';
import * as networks from './networks.js';
import * as volumes from './volumes.js';
import { hostEnvironment, type HostReplicaSpec } from './host-env.js';
import type { NativeImages } from './images.js';
import { globalIsolation, wantsContainer, type IsolationSetting } from './container/isolation-mode.js';
import { compareText } from '../../core/compare.js';

export interface NativeBackendOptions {
  /** TUG_HOME; defaults to tugHome() of the process environment. */
  home?: string;
  /** Told when an engine reports replicas it reaped after its predecessor crashed (the CLI prints it). */
  onNotice?: (notice: RecoveredNotice) => void;
  /** The invoking user's environment: host-process replicas inherit PATH, HOME and a few more from it. */
  env?: Readonly<Record<string, string | undefined>>;
  /** --isolation (auto, container, process); TUG_ISOLATION of `env` otherwise. */
  isolation?: string;
}

export function createNativeBackend(opts: NativeBackendOptions = {}): NativeBackend {
  return new NativeBackend(opts);
}

export class NativeBackend implements RuntimeBackend {
  readonly name = 'native';
  /**
   * No bound of its own: the engine batches what replicas starting or going
   * together need (one `ip -batch`, one `mount -a`, one launcher of shims)
   * and bounds that work itself. Sixteen at a time made 100 container starts
   * wait out ~30 small batches in turn (a spawn of the engine each).
   */
  readonly capabilities: BackendCapabilities = { images: true, runsImages: true, build: true, fileSync: true, defaultParallelism: Infinity };
  readonly home: string;
  /** What host-process replicas inherit from the invoking user's environment. */
  private readonly hostEnv: Record<string, string>;
  /** The invoking user's environment (registry settings and credentials for pulls). */
  private readonly env: Readonly<Record<string, string | undefined>>;
  /** The project-wide isolation setting; a service's x-tug.isolation overrides it. */
  readonly isolation: IsolationSetting;
  /** Recovery notices seen so far (also passed to onNotice). */
  readonly notices: RecoveredNotice[] = [];
  private readonly engines: EnginePool;
  /** Projects whose replicas this backend changed, or whose engine it started ahead of a change: their engine may be idle at close. */
  private readonly changed = new Set<string>();

  constructor(opts: NativeBackendOptions = {}) {
    this.home = opts.home ?? tugHome();
    this.env = opts.env ?? process.env;
    this.hostEnv = hostEnvironment(this.env);
    this.isolation = globalIsolation(opts.isolation, this.env.TUG_ISOLATION);
    this.engines = new EnginePool(this.home, (notice) => {
      this.notices.push(notice);
      opts.onNotice?.(notice);
    });
  }

  readonly replicas: ReplicaFacet = {
    observe: (project) => this.observe(project),
    /** Nothing to replay (`since` is not needed): the engine's list is never behind its events, and observe() waits for the subscription. */
    events: (project, signal) => this.engines.events(project, signal),
    create: async (spec) => this.change(spec.project, 'create', { spec: await this.hostSpec(spec) }),
    start: async (project, id) => void (await this.change(project, 'start', { id })),
    stop: async (project, id, timeoutMs) => void (await this.change(project, 'stop', { id, timeoutMs })),
    kill: async (project, id, signal) => void (await this.change(project, 'kill', { id, signal })),
    remove: async (project, id, opts) => void (await this.change(project, 'remove', { id, removeVolumes: opts.removeVolumes })),
    diskUsage: async (project, ids) => {
      assertTrustedHome(this.home, project);
      const { imageRootDiskUsage } = await import('./container/rootfs/image-root.js');
      return Object.fromEntries(await Promise.all(ids.map(async (id) => [id, await imageRootDiskUsage(this.home, project, id)] as const)));
    },
  };

  /** The user's image store (TUG_HOME/images); its code loads on first use, so `ps` stays light. */
  readonly images: ImageFacet = {
    prepare: async (project, services, opts) => (await this.nativeImages()).prepare(project, services, opts),
    pull: async (project, services, opts) => (await this.nativeImages()).pull(project, services, opts),
    list: async (project, services) => (await this.nativeImages()).list(project, services),
    remove: async (names) => (await this.nativeImages()).remove(names),
  };

  private async nativeImages(): Promise<NativeImages> {
    assertTrustedHome(this.home);
    const { NativeImages } = await import('./images.js');
    return new NativeImages(this.home, this.env);
  }

  /** The spec as the engine keeps it: the host variables, and the image the images facet resolved (its label). */


  /** Networks are bookkeeping in process mode; volumes are directories under TUG_HOME. */
  readonly resources: ResourceFacet = {
    createNetwork: async (project, key, name, spec) => networks.createNetwork(this.trusted(project), project, key, name, spec),
    removeNetwork: async (project, name) => {
      await this.removeBridge(project, name);
      await networks.removeNetwork(this.trusted(project), project, name);
    },
    createVolume: async (project, key, name, spec) => volumes.createVolume(this.trusted(project), project, key, name, spec),
    removeVolume: async (project, name) => volumes.removeVolume(this.trusted(project), project, name),
    findVolumes: (names) => volumes.findVolumes(this.home, names),
    volumeRemovalHint: (names) => `rm -r ${names.map((n) => volumeDir(this.home, n)).join(' ')}`,
  };

  readonly io: ReplicaIOFacet = {
    logs: (project, opts) => this.logs(project, opts),
    exec: (project, id, opts) => this.exec(project, id, opts),
  };

  /** Watch's syncs (file-sync.ts): onto the host for process-mode replicas, into each container replica's own file system. */
  readonly files: FileSyncFacet = {
    checkRule: async (project, rule) => (await import('./file-sync.js')).checkNativeRule(project, rule, this.isolation),
    sync: async (project, replicas, change) =>
      (await import('./file-sync.js')).syncNative(replicas, change, { home: this.trusted(project), isolation: this.isolation, specOf: (id) => this.specOf(project, id) }),
  };

  /** What the engine needs beyond the spec: host variables, and for a container its isolation and network definitions. */
  private async hostSpec(spec: ReplicaSpec): Promise<HostReplicaSpec> {
    // The image ID the images facet resolved (the replica's image label), so the engine can root a container in it.
    const imageId = spec.service_spec.image || spec.service_spec.build ? spec.labels[LABEL.image] : undefined;
    const host: HostReplicaSpec = { ...spec, hostEnv: this.hostEnv, ...(imageId?.startsWith('sha256:') && { image: { id: imageId } }) };
    if (!wantsContainer(spec.service, spec.service_spec, this.isolation)) return host;
    const networkSpecs = await networks.networkSpecs(this.trusted(spec.project), spec.project, spec.networkNames);
    if (!host.image) return { ...host, isolation: 'container', networkSpecs };
    const { withImageDefaults } = await import('./image-defaults.js');
    const service_spec = await withImageDefaults(this.home, spec.service, spec.service_spec, host.image.id);
    return { ...host, service_spec, isolation: 'container', networkSpecs };
  }

  /** A network's bridge, when container mode made one: the engine that owns its records removes it. */
  private async removeBridge(project: string, name: string): Promise<void> {
    const { Ledger } = await import('./container/ledger.js');
    const { ledgerPath } = await import('./engine/container-host.js');
    if (!Ledger.read(ledgerPath(this.home, project)).some((e) => e.owner === name)) return;
    const client = await this.engines.get(project, true);
    await client!.call('removeNetwork', { name });
  }

  readonly stats: StatsFacet = {
    stream: (project, opts) => this.statsStream(project, opts),
  };

  private async *statsStream(project: string, opts: { intervalMs: number; signal: AbortSignal }): AsyncGenerator<ReplicaStatsRow[]> {
    assertTrustedHome(this.home, project);
    const client = await this.engines.get(project, false);
    // No engine: nothing runs, so there is nothing to measure.
    if (!client) return;
    const { statsStream } = await import('./stats-stream.js');
    yield* statsStream(() => client.call('stats', {}), opts);
  }

  validate(project: Project): TugError[] {
    const errors: TugError[] = [];
    for (const [name, svc] of Object.entries(project.services)) {
      const hasCommand = (svc.command?.length ?? 0) > 0 || (svc.entrypoint?.length ?? 0) > 0;
      // A container rooted in its image runs what the image says when the service says nothing (checked once mounted).
      if (hasCommand || ((svc.image || svc.build) && wantsContainer(name, svc, this.isolation))) continue;
      errors.push(
        new TugError({
          code: svc.image ? 'native.image-without-command' : 'native.no-command',
          message: svc.image
            ? `service "${name}" has an image but no command, and runs as a host process (isolation "process"), which needs one`
            : `service "${name}" has no command; the native backend runs host commands`,
          path: ['services', name],
          hint: svc.image ? 'run it in a container rooted in its image (--isolation auto or container), add a command:, or use --backend docker' : 'add a command:',
        }),
      );
    }
    return errors;
  }

  /** Services with an image and a command that run as host processes (isolation "process"): their image is pulled, not run. */
  imagesNotRun(project: Project): string[] {
    return Object.entries(project.services)
      .filter(([name, svc]) => svc.image && (svc.command || svc.entrypoint) && !wantsContainer(name, svc, this.isolation))
      .map(([name]) => name);
  }

  async preflight(plan: Plan, observed: ObservedState): Promise<TugError[]> {
    const containers: Record<string, ServiceSpec> = {};
    const joined = new Set<string>();
    for (const { op } of plan.steps) {
      if (op.kind !== 'create-replica' || !wantsContainer(op.service, op.replica.service_spec, this.isolation)) continue;
      containers[op.service] = op.replica.service_spec;
      for (const key of Object.keys(op.replica.service_spec.networks ?? {})) joined.add(op.replica.networkNames[key] ?? key);
    }
    const { containerPreflight, hostRouteCollisions } = await import('./container-mode.js');
    const impossible = await containerPreflight(this.home, containers, this.isolation);
    if (impossible.length > 0) return impossible;
    const created = plan.steps.flatMap(({ op }) => (op.kind === 'create-network' && joined.has(op.name) ? [{ key: op.key, spec: op.spec }] : []));
    const collisions = created.length > 0 ? await hostRouteCollisions(created) : [];
    if (collisions.length > 0) return collisions;
    const problems = [...(await this.missingExternalVolumes(plan)), ...(await this.portProblems(plan, observed))];
    // The engine these replicas need boots (~80 ms) while the rest of the plan is worked out.
    // Should the change never come (a later step fails, the command is interrupted), close() stops it, as after any change that leaves it idle.
    if (problems.length === 0 && plan.steps.some(({ op }) => op.kind === 'create-replica')) {
      this.changed.add(plan.project);
      this.engines.prewarm(plan.project);
    }
    return problems;
  }

  /** External volumes must exist already: the engine never makes one up (Compose: "external volume not found"). */
  private async missingExternalVolumes(plan: Plan): Promise<TugError[]> {
    const { externalResourcesOf } = await import('../../core/reconcile/resources.js');
    return externalResourcesOf(plan).volumes.flatMap((name) => {
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
    const { checkPorts, portRequests } = await import('./ports.js');
    const requests = portRequests(this.oneListenerPerService(starting, observed));
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

  /**
   * A container service's published port is one proxy for all its replicas:
   * checked once per service, and not at all while one of them runs (its
   * proxy holds the port). Process replicas each bind their own.
   */
  private oneListenerPerService(specs: ReplicaSpec[], observed: ObservedState): ReplicaSpec[] {
    const served = new Set(observed.replicas.filter((r) => r.state === 'running' || r.state === 'restarting').map((r) => r.service));
    return specs.filter((spec) => {
      const container = (spec as Partial<HostReplicaSpec>).isolation === 'container' || wantsContainer(spec.service, spec.service_spec, this.isolation);
      if (!container) return true;
      if (served.has(spec.service)) return false;
      served.add(spec.service);
      return true;
    });
  }

  async withLock<T>(project: string, fn: () => Promise<T>, onWait?: (message: string) => void): Promise<T> {
    const { withProjectLock } = await import('./lock.js');
    return withProjectLock(this.home, project, fn, { onWait: onWait && ((message) => onWait(message)) });
  }

  private async observe(project: string): Promise<ObservedState> {
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
      const status = [...counts].sort(([a], [b]) => compareText(a, b)).map(([s, n]) => `${s}(${n})`).join(', ');
      const labels = replicas.find((r) => r.labels[LABEL.configFiles])?.labels ?? replicas[0]!.labels;
      const configFiles = labels[LABEL.configFiles]?.split(',').filter((f) => f !== '') ?? [];
      out.push({ name, status, configFiles, workingDir: labels[LABEL.workingDir] });
    }
    return out;
  }

  /** A request that changes replicas: this backend's engine may be idle at close. */
  private change<M extends 'create' | 'start' | 'stop' | 'kill' | 'remove'>(project: string, method: M, params: EngineMethods[M]['params']): Promise<EngineMethods[M]['result']> {
    this.changed.add(project);
    return this.engines.change(project, method, params);
  }

  /** TUG_HOME, once checked to be the user's own. */
  private trusted(project: string): string {
    assertTrustedHome(this.home, project);
    return this.home;
  }

  private async *logs(project: string, opts: LogOptions): AsyncGenerator<LogLine> {
    assertTrustedHome(this.home, project);
    const { readLogs } = await import('./logs.js');
    const known = async (): Promise<ObservedReplica[]> => this.observeReplicas(project);
    if (!opts.follow || !opts.untilExit) return yield* readLogs(this.home, project, { ...opts, known });
    // The reader stops (after one last read) once the replicas it follows have
    // exited: the engine reports an exit only after the replica's output is in its log.
    const exited = new AbortController();
    const signal = opts.signal ? AbortSignal.any([opts.signal, exited.signal]) : exited.signal;
    void this.whenExited(project, opts.replicas, signal).then(() => exited.abort(), () => exited.abort());
    yield* readLogs(this.home, project, { ...opts, signal, known });
  }

  /** Resolves once none of `names` (all of the project's replicas when absent) runs or restarts any more. */
  private async whenExited(project: string, names: readonly string[] | undefined, signal: AbortSignal): Promise<void> {
    const stream = new AbortController();
    const stop = (): void => stream.abort();
    signal.addEventListener('abort', stop, { once: true });
    const watched = (name: string): boolean => !names || names.includes(name);
    const active = (state: string): boolean => state === 'running' || state === 'restarting';
    try {
      const events = this.engines.events(project, stream.signal)[Symbol.asyncIterator]();
      const first = events.next();
      first.catch(() => undefined);
      const live = new Set((await this.observeReplicas(project)).filter((r) => watched(r.name) && active(r.state)).map((r) => r.name));
      for (let next = first; live.size > 0; next = events.next()) {
        const result = await next;
        if (result.done) return;
        const { replica } = result.value;
        if (!watched(replica.name)) continue;
        if (active(replica.state)) live.add(replica.name);
        else live.delete(replica.name);
      }
    } finally {
      signal.removeEventListener('abort', stop);
      stream.abort();
    }
  }

  private async exec(project: string, id: string, opts: ExecOptions): Promise<number> {
    const client = await this.engines.get(project, false);
    const found = client ? await client.call('inspect', { id }) : undefined;
    if (!found || found.replica.state !== 'running') {
      throw new TugError({
        code: 'native.not-running',
        message: `replica ${id} of project ${project} is not running`,
        hint: 'start it with tug up or tug start',
      });
    }
    if (found.spec.isolation === 'container') {
      const { execInContainer } = await import('./container-mode.js');
      return execInContainer(this.home, found.spec, opts);
    }
    const { execInReplica } = await import('./exec.js');
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
    // Without an engine, state.json says what it last knew (loaded only then).
    const { asUnsupervised, readStateFile } = await import('./state-file.js');
    return (await readStateFile(this.home, project)).map((s) => asUnsupervised(s.replica));
  }

  private async specOf(project: string, name: string): Promise<ReplicaSpec | undefined> {
    const client = await this.engines.get(project, false);
    if (client) {
      const found = await client.call('inspect', { id: name }).catch(() => undefined);
      if (found) return found.spec;
    }
    const { readStateFile } = await import('./state-file.js');
    return (await readStateFile(this.home, project)).find((s) => s.replica.name === name || s.replica.id === name)?.spec;
  }

  private async specPorts(project: string, name: string): Promise<ObservedReplica['ports']> {
    const spec = await this.specOf(project, name);
    const { portRequests } = await import('./ports.js');
    return spec ? portRequests([spec]).map((r) => ({ hostIp: r.hostIp, published: r.port, target: 0, protocol: r.protocol })) : [];
  }
}
