// The interface every runtime implements, in facets. It speaks tug's own
// types only: no dockerode or process types cross this line. Capabilities a
// backend lacks are declared, so the engine refuses early instead of failing
// halfway.
import type { TugError } from '../core/errors.js';
import type { BuildEvent } from '../core/build/events.js';
import type { Project } from '../core/model/types.js';
import type { SyncPath } from '../core/watch/changes.js';
import type { ServiceWatchRule } from '../core/watch/rules.js';
import type { ObservedReplica, ObservedState, ObservedVolume } from '../core/reconcile/observed.js';
import type { Plan, ReplicaSpec } from '../core/reconcile/operations.js';
import type { NetworkSpec, VolumeSpec } from '../core/model/types.js';

export interface BackendCapabilities {
  /** Keeps images (the `images` facet: pull, list, remove): docker, and native's own image store. */
  images: boolean;
  /** Runs replicas from their images (docker, native containers); without, services run host commands and an `image:` beside a command is only pulled. */
  runsImages: boolean;
  /** Builds `build:` sections itself; without, a service that must be built is refused before anything starts. */
  build: boolean;
  /** Copies files into running replicas (the `files` facet, for watch's sync actions). */
  fileSync: boolean;
  /** Default for --parallel. */
  defaultParallelism: number;
}

/** Docker's container actions; `oom` comes before the `die` of a replica the kernel killed for lack of memory, as Docker sends it. */
export type ReplicaEventAction = 'create' | 'start' | 'oom' | 'die' | 'restart' | 'health' | 'stop' | 'remove' | 'kill';

export interface ReplicaEvent {
  action: ReplicaEventAction;
  /** Snapshot after the change. */
  replica: ObservedReplica;
  /** ISO time. */
  time: string;
}

export interface EventOptions {
  /** ISO time, at the latest now: changes from then on are reported (the start of the command that waits). */
  since?: string;
}

export interface LogLine {
  replica: string;
  service: string;
  stream: 'stdout' | 'stderr';
  /** ISO time the line was captured. */
  time: string;
  text: string;
}

export interface LogOptions {
  services?: string[];
  /** Only these replicas (by name). */
  replicas?: string[];
  /** Lines from the end of each replica's log; undefined = all. */
  tail?: number;
  follow?: boolean;
  /**
   * While following: end the stream once the replicas it reads have all
   * exited and everything they wrote has been read (`run` waits for this, not
   * for a timer). Replicas that start later are not picked up.
   */
  untilExit?: boolean;
  /** ISO times. */
  since?: string;
  until?: string;
  signal?: AbortSignal;
}

export interface ExecOptions {
  command: string[];
  env?: Record<string, string>;
  user?: string;
  workdir?: string;
  tty?: boolean;
  /** Interactive: pass our stdin through. */
  stdin?: boolean;
  /** Extended privileges for the command (docker); a host process has what its user has. */
  privileged?: boolean;
  /**
   * Where the command's output goes instead of our stdout/stderr (watch's
   * exec hooks: the terminal is not theirs); stdin is then not attached.
   */
  output?: (stream: 'stdout' | 'stderr', chunk: Buffer) => void;
  /**
   * Aborted: the command is asked to end (SIGTERM) and the call resolves once
   * it has (docker, which cannot signal an exec, stops waiting for it). Watch's
   * stop ends an exec hook this way.
   */
  signal?: AbortSignal;
}

export interface RemoveReplicaOptions {
  /** `down -v` and `run --rm`: the replica's anonymous volumes go with it. */
  removeVolumes: boolean;
}

export interface ProjectSummary {
  name: string;
  /** e.g. "running(3)", "exited(1)". */
  status: string;
  configFiles: string[];
  workingDir?: string;
}

export interface ImageProgress {
  service: string;
  image: string;
  action: 'pull' | 'build';
  /** e.g. "Downloading", "Pull complete", a build output line. */
  status: string;
  layer?: string;
  current?: number;
  total?: number;
}

export interface ImagePreparation {
  /** `up --build`: always; `--no-build`: never; default: build only images that are missing. */
  build: 'always' | 'never' | 'missing';
  /** `up --pull`: overrides each service's pull_policy when set. */
  pull?: 'always' | 'missing' | 'never';
  onProgress?: (progress: ImageProgress) => void;
  /** A build's steps and output, on a backend that builds with tug's own builder. */
  onBuild?: (event: BuildEvent) => void;
  signal?: AbortSignal;
}

/** Creating, changing and watching replicas: what plans are made of. */
export interface ReplicaFacet {
  /** A snapshot of the project's replicas, networks and volumes. */
  observe(project: string): Promise<ObservedState>;
  /**
   * Replica changes as they happen, until the signal aborts. Each event
   * carries a fresh snapshot; a replica that is gone is reported `removing`.
   * A caller that subscribes and then observes misses nothing: a backend
   * whose observe() can lag behind its events replays the events since
   * `opts.since` (docker: Engine 20.10 emits `die` before its container list
   * says the container stopped); one whose observe() is never behind (native,
   * fake) makes sure the subscription is live before the next observe()
   * answers, and replays nothing.
   */
  events(project: string, signal: AbortSignal, opts?: EventOptions): AsyncIterable<ReplicaEvent>;
  create(spec: ReplicaSpec): Promise<ObservedReplica>;
  start(project: string, id: string): Promise<void>;
  /** stop_signal, then SIGKILL after timeoutMs. Resolves once it has exited. */
  stop(project: string, id: string, timeoutMs: number): Promise<void>;
  kill(project: string, id: string, signal: string): Promise<void>;
  /** Removes the replica; its anonymous volumes only with `removeVolumes`, named and external volumes never. */
  remove(project: string, id: string, opts: RemoveReplicaOptions): Promise<void>;
  /**
   * `ps --size`: bytes each replica wrote to its own root filesystem (docker:
   * SizeRw; native: the overlay's upper directory), by replica ID; undefined
   * for a replica without one of its own (a host process).
   */
  diskUsage?(project: string, ids: readonly string[]): Promise<Record<string, number | undefined>>;
}

/** The project's networks and named volumes. */
export interface ResourceFacet {
  createNetwork(project: string, key: string, name: string, spec: NetworkSpec): Promise<void>;
  removeNetwork(project: string, name: string): Promise<void>;
  createVolume(project: string, key: string, name: string, spec: VolumeSpec): Promise<void>;
  removeVolume(project: string, name: string): Promise<void>;
  /** Those of these volumes that exist, with their labels, whoever made them (observe lists only the project's). */
  findVolumes(names: readonly string[]): Promise<ObservedVolume[]>;
  /** How a user removes these volumes by hand (a command), for the volumes `down -v` keeps. */
  volumeRemovalHint(names: readonly string[]): string;
}

/** What replicas print, and commands run inside them. */
export interface ReplicaIOFacet {
  logs(project: string, opts: LogOptions): AsyncIterable<LogLine>;
  /** Runs a command in a replica's environment, stdio attached; resolves to its exit code. */
  exec(project: string, id: string, opts: ExecOptions): Promise<number>;
}

/** A service's image as `tug images` lists it. */
export interface ProjectImage {
  service: string;
  /** The name as the file writes it (or the default `<project>-<service>`), split at its tag. */
  repository: string;
  /** "<none>" for a name by digest. */
  tag: string;
  id: string;
  /** Bytes on disk (unpacked). */
  size: number;
  /** "os/arch[/variant]". */
  platform: string;
}

export interface ImagePullResult {
  /** Image ID per service pulled. */
  ids: Record<string, string>;
  /** Per service: why its image could not be pulled (the message names the service). */
  failures: Record<string, TugError>;
}

export interface ImageRemoval {
  name: string;
  /** removed: the name is gone (and the image with it, when nothing else names or uses it); missing: there was no such image; kept: in use elsewhere. */
  outcome: 'removed' | 'missing' | 'kept';
  /** Why it was kept. */
  reason?: string;
}

/** Present when `capabilities.images` or `capabilities.build`. */
export interface ImageFacet {
  /**
   * Makes sure the images of these services exist (pull, build per pull_policy
   * and flags). Resolves to an image identity per service (the image ID), which
   * becomes the `com.docker.compose.image` label and part of the recreate decision.
   */
  prepare(project: Project, services: string[], opts: ImagePreparation): Promise<Record<string, string>>;
  /** `tug pull`: pulls these services' images now (one pull per image); failures per service, not thrown. */
  pull(project: Project, services: string[], opts: Pick<ImagePreparation, 'onProgress' | 'signal'>): Promise<ImagePullResult>;
  /** `tug images`: the images these services use, as the backend has them; a service whose image is missing is left out. */
  list(project: Project, services: string[]): Promise<ProjectImage[]>;
  /** `down --rmi`: removes these image names; an image in use by replicas elsewhere is kept, with the reason. */
  remove(names: readonly string[]): Promise<ImageRemoval[]>;
  /**
   * Removes those of these images (IDs) that nothing uses any more: no tag,
   * no container (watch --prune, after a rebuild). Resolves to the IDs removed.
   */
  removeUnused?(imageIds: readonly string[]): Promise<string[]>;
}

/** Present when `capabilities.fileSync`: watch's sync actions write through it. */
export interface FileSyncFacet {
  /**
   * How this backend treats a sync rule, decided once when watching starts
   * (and again after a reload): its files are copied, nothing needs copying
   * (said once), or it cannot be done here (said once; the rule's other
   * effects, a restart or an exec, still happen).
   */
  checkRule(project: Project, rule: ServiceWatchRule): Promise<SyncRuleVerdict>;
  /** Brings each path into each replica as it is on the host now: copied when it is there, removed when it is gone. */
  sync(project: string, replicas: readonly SyncReplicaRef[], change: FileSyncChange): Promise<FileSyncResult[]>;
}

export type SyncRuleVerdict = { kind: 'copy' } | { kind: 'in-place'; notice: string } | { kind: 'refused'; error: TugError };

export interface SyncReplicaRef {
  id: string;
  /** For messages: "web-1". */
  name: string;
}

export interface FileSyncChange {
  paths: readonly SyncPath[];
}

export interface FileSyncResult {
  replicaId: string;
  /** Files, links and directories written. */
  copied: number;
  removed: number;
  ms: number;
  /** Undefined when the replica took every change. */
  error?: TugError;
}

/** One replica's resource use, as `tug stats` shows it (`docker stats`' columns). */
export interface ReplicaStatsRow {
  replica: string;
  service: string;
  /** 100 = one CPU busy the whole interval. */
  cpuPercent: number;
  memoryUsage: number;
  /** Its limit, or the machine's memory when it has none. */
  memoryLimit: number;
  memoryPercent: number;
  pids: number;
  netRxBytes: number;
  netTxBytes: number;
}

/** Resource use of running replicas (native container mode). */
export interface StatsFacet {
  /** A row per running replica every `intervalMs`, until the signal aborts (the first after one interval). */
  stream(project: string, opts: { intervalMs: number; signal: AbortSignal }): AsyncIterable<ReplicaStatsRow[]>;
}

/**
 * The one interface every runtime implements (native, docker, and a fake in
 * the tests), in facets: a backend offers what its capabilities say, and the
 * engine refuses early what it lacks. A cluster engine that schedules replicas
 * itself would add a service-level facet here and be planned per service.
 */
export interface RuntimeBackend {
  readonly name: string;
  readonly capabilities: BackendCapabilities;
  readonly replicas: ReplicaFacet;
  readonly resources: ResourceFacet;
  readonly io: ReplicaIOFacet;
  readonly images?: ImageFacet;
  readonly files?: FileSyncFacet;
  readonly stats?: StatsFacet;

  /** Problems this backend has with a project before anything runs (e.g. image without command on native). */
  validate(project: Project): TugError[];

  /**
   * Services that name an image but will run a host command instead (native
   * process mode): they get a warning. Absent: every service runs its image
   * when `capabilities.runsImages`, none otherwise.
   */
  imagesNotRun?(project: Project): string[];

  /**
   * Checks a plan before anything in it runs (native: published ports free and
   * not claimed twice). Returns every problem found.
   */
  preflight?(plan: Plan, observed: ObservedState): Promise<TugError[]>;

  /** Runs `fn` while holding the project's lock, so concurrent commands on one project are safe. */
  withLock?<T>(project: string, fn: () => Promise<T>, onWait?: (message: string) => void): Promise<T>;

  listProjects(): Promise<ProjectSummary[]>;

  close(): Promise<void>;
}
