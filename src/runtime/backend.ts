// The one interface every runtime implements (native, docker, fake). It speaks
// tug's own types only: no dockerode or process types cross this line.
// Capabilities a backend lacks are declared, so the CLI can refuse early.
import type { TugError } from '../core/errors.js';
import type { Project } from '../core/model/types.js';
import type { ObservedReplica, ObservedState } from '../core/reconcile/observed.js';
import type { Plan, ReplicaSpec } from '../core/reconcile/operations.js';
import type { NetworkSpec, VolumeSpec } from '../core/model/types.js';

export interface BackendCapabilities {
  /** Runs images (docker) rather than host commands (native). */
  images: boolean;
  build: boolean;
  /** Each replica gets its own network namespace/address. */
  isolatedNetwork: boolean;
  /** Default for --parallel. */
  defaultParallelism: number;
}

export type ReplicaEventAction = 'create' | 'start' | 'die' | 'restart' | 'health' | 'stop' | 'remove' | 'kill';

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
  /** Lines from the end of each replica's log; undefined = all. */
  tail?: number;
  follow?: boolean;
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
  signal?: AbortSignal;
}

export interface RuntimeBackend {
  readonly name: string;
  readonly capabilities: BackendCapabilities;

  /** Problems this backend has with a project before anything runs (e.g. image without command on native). */
  validate(project: Project): TugError[];

  /**
   * Checks a plan before anything in it runs (native: published ports free and
   * not claimed twice). Returns every problem found.
   */
  preflight?(plan: Plan, observed: ObservedState): Promise<TugError[]>;

  /**
   * Makes sure the images of these services exist (pull, build per pull_policy
   * and flags). Resolves to an image identity per service (the image ID), which
   * becomes the `com.docker.compose.image` label and part of the recreate decision.
   * Backends without images leave it out.
   */
  prepareImages?(project: Project, services: string[], opts: ImagePreparation): Promise<Record<string, string>>;

  /** Runs `fn` while holding the project's lock, so concurrent commands on one project are safe. */
  withLock?<T>(project: string, fn: () => Promise<T>, onWait?: (message: string) => void): Promise<T>;

  observe(project: string): Promise<ObservedState>;
  listProjects(): Promise<ProjectSummary[]>;

  createNetwork(project: string, key: string, name: string, spec: NetworkSpec): Promise<void>;
  removeNetwork(project: string, name: string): Promise<void>;
  createVolume(project: string, key: string, name: string, spec: VolumeSpec): Promise<void>;
  removeVolume(project: string, name: string): Promise<void>;

  createReplica(spec: ReplicaSpec): Promise<ObservedReplica>;
  startReplica(project: string, id: string): Promise<void>;
  /** stop_signal, then SIGKILL after timeoutMs. Resolves once it has exited. */
  stopReplica(project: string, id: string, timeoutMs: number): Promise<void>;
  killReplica(project: string, id: string, signal: string): Promise<void>;
  /** Removes the replica; its anonymous volumes only with `removeVolumes`, named and external volumes never. */
  removeReplica(project: string, id: string, opts: RemoveReplicaOptions): Promise<void>;

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
  logs(project: string, opts: LogOptions): AsyncIterable<LogLine>;
  /** Runs a command in a replica's environment, stdio attached; resolves to its exit code. */
  exec(project: string, id: string, opts: ExecOptions): Promise<number>;

  close(): Promise<void>;
}
