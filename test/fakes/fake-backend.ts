// An in-memory RuntimeBackend for planner/executor unit tests and for the
// lifecycle part of the backend contract suite (test code: not published). Nothing runs: tests play the workload's part with
// setHealth / exit / emitLog, inject faults and delays, and read back a call
// log and the highest number of concurrent calls, to assert ordering and bounds.
import { EventEmitter } from 'node:events';
import { LABEL } from '../../src/core/model/labels.js';
import type { NetworkSpec, Project, VolumeSpec } from '../../src/core/model/types.js';
import { snapshotOf } from '../../src/core/reconcile/snapshot.js';
import type { HealthState, ObservedNetwork, ObservedReplica, ObservedState, ObservedVolume } from '../../src/core/reconcile/observed.js';
import type { ReplicaSpec } from '../../src/core/reconcile/operations.js';
import { anonymousVolumeTargets } from '../../src/core/reconcile/replica-spec.js';
import type { TugError } from '../../src/core/errors.js';
import type {
  BackendCapabilities,
  EventOptions,
  ExecOptions,
  LogLine,
  LogOptions,
  ProjectSummary,
  ReplicaEvent,
  RemoveReplicaOptions,
  ReplicaFacet,
  ReplicaIOFacet,
  ResourceFacet,
  ReplicaEventAction,
  RuntimeBackend,
} from '../../src/runtime/backend.js';
import { channel as asyncChannel, type Channel } from '../../src/runtime/channel.js';
import { CallRecorder, type FakeCall, type FaultKind } from './call-recorder.js';
import { pushTo } from '../../src/core/multimap.js';

export type { FakeCall, FaultKind };

export interface FakeBackendOptions {
  /** Plays the workload once a replica started (print a line, turn healthy, exit). */
  onStart?: (replica: ObservedReplica, fake: FakeBackend) => void;
}

interface FakeReplica {
  observed: ObservedReplica;
  spec: ReplicaSpec;
  logs: LogLine[];
}

const SIGNAL_EXIT: Record<string, number> = { SIGKILL: 137, SIGTERM: 143, SIGINT: 130, SIGQUIT: 131, SIGHUP: 129 };

export class FakeBackend implements RuntimeBackend {
  readonly name = 'fake';
  readonly capabilities: BackendCapabilities = { images: false, runsImages: false, build: false, fileSync: false, defaultParallelism: 8 };
  private readonly recorder = new CallRecorder();
  /** Every call in the order it was made. */
  readonly calls: FakeCall[] = this.recorder.calls;

  private readonly store = new Map<string, FakeReplica>();
  private readonly networks = new Map<string, ObservedNetwork & { project: string }>();
  private readonly volumes = new Map<string, ObservedVolume & { project: string }>();
  /** Anonymous volumes by name: unlabelled, never listed as a project's volumes. */
  private readonly anonymous = new Set<string>();
  private readonly emitter = new EventEmitter().setMaxListeners(0);
  private nextId = 1;

  constructor(private readonly options: FakeBackendOptions = {}) {}

  // ---- test controls ------------------------------------------------------

  /** The next call of `kind` whose target name matches fails once with `error`. */
  failNext(kind: FaultKind, matcher: (name: string) => boolean = () => true, error?: Error): this {
    this.recorder.failNext(kind, matcher, error);
    return this;
  }

  /** Every call of `kind` takes `ms` before it acts (0 removes the delay). */
  delay(kind: FaultKind, ms: number): this {
    this.recorder.delay(kind, ms);
    return this;
  }

  /** Highest number of calls in flight at once, for one method or for all mutating calls together. */
  maxConcurrency(method?: string): number {
    return this.recorder.maxConcurrency(method);
  }

  callsOf(method: string): FakeCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  setHealth(name: string, health: HealthState): void {
    const r = this.byName(name);
    r.observed.health = health;
    this.publish('health', r);
  }

  /** The workload ends by itself with `code`. */
  exit(name: string, code: number): void {
    const r = this.byName(name);
    this.markExited(r, code);
    this.publish('die', r);
  }

  emitLog(name: string, text: string, stream: 'stdout' | 'stderr' = 'stdout'): void {
    const r = this.byName(name);
    const line: LogLine = { replica: r.observed.name, service: r.observed.service, stream, time: now(), text };
    r.logs.push(line);
    this.emitter.emit('log', line);
  }

  /** The name of the replica with backend id `id` (the id itself when unknown). */
  nameById(id: string): string {
    return this.nameOf(id);
  }

  /** Whether a volume of that name exists (named or anonymous), as the engine would say. */
  hasVolume(name: string): boolean {
    return this.volumes.has(name) || this.anonymous.has(name);
  }

  replica(name: string): ObservedReplica | undefined {
    const r = this.find(name);
    return r && structuredClone(r.observed);
  }

  // ---- RuntimeBackend -----------------------------------------------------

  readonly replicas: ReplicaFacet = {
    observe: (project) => this.observe(project),
    events: (project, signal, opts) => this.events(project, signal, opts),
    create: (spec) => this.createReplica(spec),
    start: (project, id) => this.startReplica(project, id),
    stop: (project, id, timeoutMs) => this.stopReplica(project, id, timeoutMs),
    kill: (project, id, signal) => this.killReplica(project, id, signal),
    remove: (project, id, opts) => this.removeReplica(project, id, opts),
  };

  readonly resources: ResourceFacet = {
    createNetwork: (project, key, name, spec) => this.createNetwork(project, key, name, spec),
    removeNetwork: (project, name) => this.removeNetwork(project, name),
    createVolume: (project, key, name, spec) => this.createVolume(project, key, name, spec),
    removeVolume: (project, name) => this.removeVolume(project, name),
    findVolumes: async (names) => names.flatMap((n) => this.volumes.get(n) ?? []).map(({ project: _, ...v }) => structuredClone(v)),
    volumeRemovalHint: (names) => `fake volume rm ${names.join(' ')}`,
  };

  readonly io: ReplicaIOFacet = {
    logs: (project, opts) => this.logs(project, opts),
    exec: (project, id, opts) => this.exec(project, id, opts),
  };

  validate(_project: Project): TugError[] {
    return [];
  }

  private async observe(project: string): Promise<ObservedState> {
    return this.recorder.call('observe', [project], 'observe', () => project, () => ({
      project,
      replicas: [...this.store.values()].filter((r) => r.observed.project === project).map((r) => structuredClone(r.observed)),
      networks: [...this.networks.values()].filter((n) => n.project === project).map(({ project: _, ...n }) => structuredClone(n)),
      volumes: [...this.volumes.values()].filter((v) => v.project === project).map(({ project: _, ...v }) => structuredClone(v)),
    }));
  }

  async listProjects(): Promise<ProjectSummary[]> {
    const byProject = new Map<string, ObservedReplica[]>();
    for (const { observed } of this.store.values()) pushTo(byProject, observed.project, observed);
    return [...byProject].sort(([a], [b]) => a.localeCompare(b)).map(([name, replicas]) => {
      const counts = new Map<string, number>();
      for (const r of replicas) counts.set(r.state, (counts.get(r.state) ?? 0) + 1);
      const files = replicas[0]?.labels[LABEL.configFiles];
      return {
        name,
        status: [...counts].map(([state, n]) => `${state}(${n})`).join(', '),
        configFiles: files ? files.split(',') : [],
        workingDir: replicas[0]?.labels[LABEL.workingDir],
      };
    });
  }

  private async createNetwork(project: string, key: string, name: string, spec: NetworkSpec): Promise<void> {
    await this.recorder.call('createNetwork', [project, key, name, spec], 'create-network', () => name, () => {
      if (this.networks.has(name)) throw new Error(`network "${name}" already exists`);
      const labels = { ...spec.labels, [LABEL.project]: project, [LABEL.network]: key };
      this.networks.set(name, { project, name, key, labels });
    });
  }

  private async removeNetwork(project: string, name: string): Promise<void> {
    await this.recorder.call('removeNetwork', [project, name], 'remove-network', () => name, () => {
      if (!this.networks.delete(name)) throw new Error(`no such network: ${name}`);
    });
  }

  private async createVolume(project: string, key: string, name: string, spec: VolumeSpec): Promise<void> {
    await this.recorder.call('createVolume', [project, key, name, spec], 'create-volume', () => name, () => {
      if (this.volumes.has(name)) throw new Error(`volume "${name}" already exists`);
      const labels = { ...spec.labels, [LABEL.project]: project, [LABEL.volume]: key };
      this.volumes.set(name, { project, name, key, labels });
    });
  }

  private async removeVolume(project: string, name: string): Promise<void> {
    await this.recorder.call('removeVolume', [project, name], 'remove-volume', () => name, () => {
      if (!this.volumes.delete(name)) throw new Error(`no such volume: ${name}`);
    });
  }

  private async createReplica(spec: ReplicaSpec): Promise<ObservedReplica> {
    return this.recorder.call('createReplica', [spec], 'create', () => spec.name, () => {
      if (this.find(spec.name)) throw new Error(`replica name "${spec.name}" is already in use`);
      const observed = snapshotOf(spec, {
        id: `fake-${(this.nextId++).toString(16).padStart(8, '0')}`,
        state: 'created',
        createdAt: now(),
        anonymousVolumes: this.anonymousVolumesFor(spec),
      });
      const replica = { observed, spec, logs: [] };
      this.store.set(observed.id, replica);
      this.publish('create', replica);
      return structuredClone(observed);
    });
  }

  private async startReplica(project: string, id: string): Promise<void> {
    const started = await this.recorder.call('startReplica', [project, id], 'start', () => this.nameOf(id), () => {
      const r = this.byId(project, id);
      if (r.observed.state === 'running') return undefined;
      Object.assign(r.observed, { state: 'running', startedAt: now(), pid: 10_000 + this.nextId++ });
      delete r.observed.exitCode;
      delete r.observed.finishedAt;
      if (hasHealthcheck(r.spec)) r.observed.health = 'starting';
      this.publish('start', r);
      return r;
    });
    if (started) this.options.onStart?.(structuredClone(started.observed), this);
  }

  private async stopReplica(project: string, id: string, timeoutMs: number): Promise<void> {
    await this.recorder.call('stopReplica', [project, id, timeoutMs], 'stop', () => this.nameOf(id), () => {
      const r = this.byId(project, id);
      if (r.observed.state !== 'running' && r.observed.state !== 'paused' && r.observed.state !== 'restarting') return;
      this.markExited(r, 0);
      this.publish('die', r);
      this.publish('stop', r);
    });
  }

  private async killReplica(project: string, id: string, signal: string): Promise<void> {
    await this.recorder.call('killReplica', [project, id, signal], 'kill', () => this.nameOf(id), () => {
      const r = this.byId(project, id);
      if (r.observed.state !== 'running') throw new Error(`replica ${r.observed.name} is not running`);
      this.publish('kill', r);
      this.markExited(r, SIGNAL_EXIT[signal.toUpperCase()] ?? 137);
      this.publish('die', r);
    });
  }

  private async removeReplica(project: string, id: string, opts: RemoveReplicaOptions): Promise<void> {
    await this.recorder.call('removeReplica', [project, id, opts], 'remove', () => this.nameOf(id), () => {
      const r = this.byId(project, id);
      if (r.observed.state === 'running') throw new Error(`cannot remove running replica ${r.observed.name}: stop it first`);
      this.store.delete(id);
      if (opts.removeVolumes) for (const name of Object.values(r.observed.anonymousVolumes ?? {})) this.anonymous.delete(name);
      this.publish('remove', r);
    });
  }

  /** Subscribed from the call on, and observe() is never behind: `since` needs no replay. */
  private events(project: string, signal: AbortSignal, _opts?: EventOptions): AsyncIterable<ReplicaEvent> {
    return this.subscribe<ReplicaEvent>('replica', signal, [], (e) => e.replica.project === project);
  }

  private logs(project: string, opts: LogOptions): AsyncIterable<LogLine> {
    const wanted = (line: LogLine): boolean =>
      (!opts.services || opts.services.includes(line.service)) &&
      (!opts.replicas || opts.replicas.includes(line.replica)) &&
      (!opts.since || line.time >= opts.since) &&
      (!opts.until || line.time <= opts.until);
    const backlog: LogLine[] = [];
    for (const r of this.store.values()) {
      if (r.observed.project !== project) continue;
      const lines = r.logs.filter(wanted);
      backlog.push(...(opts.tail === undefined ? lines : lines.slice(Math.max(0, lines.length - opts.tail))));
    }
    backlog.sort((a, b) => a.time.localeCompare(b.time));
    if (!opts.follow) return linesOf(backlog, opts.signal);
    const followed = this.subscribe<LogLine>('log', opts.signal, backlog, (line) => this.find(line.replica)?.observed.project === project && wanted(line));
    if (opts.untilExit) this.endWhenExited(project, opts.replicas, followed);
    return followed;
  }

  /** Nothing runs here, so there is nothing to run a command in: exec is the runtime contract's, on real backends. */
  private async exec(project: string, id: string, opts: ExecOptions): Promise<number> {
    return this.recorder.call('exec', [project, id, opts], 'exec', () => this.nameOf(id), () => {
      throw new Error(`the fake backend runs no commands (exec ${opts.command.join(' ')} in ${this.nameOf(id)})`);
    });
  }

  async close(): Promise<void> {
    this.emitter.emit('close');
  }

  // ---- internals ----------------------------------------------------------

  /** A channel fed by `event` from now on (after `backlog`), until the signal aborts or close(). */
  private subscribe<T>(event: 'replica' | 'log', signal: AbortSignal | undefined, backlog: T[], wanted: (value: T) => boolean): Channel<T> {
    const listener = (value: T): void => {
      if (wanted(value)) channel.push(value);
    };
    const close = (): void => channel.end();
    const channel = asyncChannel<T>(signal, () => {
      this.emitter.off(event, listener);
      this.emitter.off('close', close);
    });
    for (const value of backlog) channel.push(value);
    if (!channel.ended) {
      this.emitter.on(event, listener);
      this.emitter.on('close', close);
    }
    return channel;
  }

  /** untilExit: the followed stream ends once none of the replicas runs. */
  private endWhenExited(project: string, names: readonly string[] | undefined, stream: { end(): void; readonly ended: boolean }): void {
    const running = () =>
      [...this.store.values()].some((r) => r.observed.project === project && (!names || names.includes(r.observed.name)) && r.observed.state === 'running');
    if (!running()) return stream.end();
    const listener = (): void => {
      if (running() && !stream.ended) return;
      this.emitter.off('replica', listener);
      stream.end();
    };
    this.emitter.on('replica', listener);
  }

  /** One anonymous volume per unnamed target: the inherited one when it still exists, else a new one. */
  private anonymousVolumesFor(spec: ReplicaSpec): Record<string, string> {
    const out: Record<string, string> = {};
    for (const target of anonymousVolumeTargets(spec.service_spec)) {
      const inherited = spec.inheritedVolumes?.[target];
      const name = inherited && this.anonymous.has(inherited) ? inherited : `fake-anon-${(this.nextId++).toString(16).padStart(8, '0')}`;
      this.anonymous.add(name);
      out[target] = name;
    }
    return out;
  }

  private markExited(r: FakeReplica, code: number): void {
    Object.assign(r.observed, { state: 'exited', exitCode: code, finishedAt: now() });
    delete r.observed.pid;
  }

  private publish(action: ReplicaEventAction, r: FakeReplica): void {
    const event: ReplicaEvent = { action, replica: structuredClone(r.observed), time: now() };
    this.emitter.emit('replica', event);
  }

  private find(name: string): FakeReplica | undefined {
    for (const r of this.store.values()) if (r.observed.name === name) return r;
    return undefined;
  }

  private byName(name: string): FakeReplica {
    const r = this.find(name);
    if (!r) throw new Error(`no such replica: ${name}`);
    return r;
  }

  private byId(project: string, id: string): FakeReplica {
    const r = this.store.get(id);
    if (!r || r.observed.project !== project) throw new Error(`no such replica: ${id}`);
    return r;
  }

  private nameOf(id: string): string {
    return this.store.get(id)?.observed.name ?? id;
  }
}

/** Whether a replica reports health: a healthcheck that is neither disabled nor NONE. */
export function hasHealthcheck(spec: ReplicaSpec): boolean {
  const hc = spec.service_spec.healthcheck;
  return hc !== undefined && hc.disable !== true && hc.test?.[0] !== 'NONE';
}

async function* linesOf(lines: LogLine[], signal?: AbortSignal): AsyncGenerator<LogLine> {
  for (const line of lines) {
    if (signal?.aborted) return;
    yield line;
  }
}

function now(): string {
  return new Date().toISOString();
}
