// A project, as code drives it: every verb the CLI has, with the CLI's flags as
// camelCase options (times in seconds), results as data, and typed events to
// `onEvent`. The CLI is built on this same class, so the two cannot drift.
// `await using project = await openProject(...)` tears it down at the end.
// Each verb's module is loaded when the verb is first called: `tug ps` loads
// the ps verb and the backend, not the planner and the builder behind `up`.
import { usageError } from '../core/errors.js';
import type { Project as ProjectModel } from '../core/model/types.js';
import type { PsRow } from '../core/render/ps-row.js';
import type { ConfigFormat } from '../core/render/config.js';
import type { ObservedReplica } from '../core/reconcile/observed.js';
import type { Attachment, AttachOptions } from '../engine/attach.js';
import type { BuildOptions, BuildResult } from '../engine/build.js';
import { closeEngine, type EngineContext } from '../engine/context.js';
import type { DownOptions, DownResult } from '../engine/down.js';
import type { ExecOptions } from '../engine/exec.js';
import type { PullOptions } from '../engine/images.js';
import type { LifecycleAction, LifecycleOptions } from '../engine/lifecycle.js';
import type { LogsOptions } from '../engine/logs.js';
import type { PsOptions } from '../engine/ps.js';
import type { RunHandle, RunOptions } from '../engine/run.js';
import type { ScaleOptions } from '../engine/scale.js';
import type { UpOptions, UpResult } from '../engine/up.js';
import type { LoadedModel, WatchOptions } from '../engine/watch.js';
import type { WatchEventSink } from '../engine/watch/events.js';
import type { WatchHandle } from './watch-handle.js';
import type { LogLine, ProjectImage, ReplicaEvent, ReplicaStatsRow } from '../runtime/backend.js';
import type { StatsOptions } from '../engine/stats.js';
import type { PortOptions } from '../engine/port.js';

export interface ApiUpOptions extends UpOptions {
  /**
   * false: stay attached after converging, as `tug up` without -d does, and
   * resolve once the attachment ends (with abortOnContainerExit, when a replica
   * exits). Default true: resolve once the project is up.
   */
  detach?: boolean;
  abortOnContainerExit?: boolean;
  /** Implies abortOnContainerExit; the exit code is this service's. */
  exitCodeFrom?: string;
}

export interface ApiUpResult extends UpResult {
  /** With detach: false, the attachment's exit code. */
  exitCode?: number;
}

export interface ApiRunResult {
  exitCode: number;
  /** What the one-off printed, in order. */
  output: LogLine[];
}

export interface ApiWatchOptions extends Omit<WatchOptions, 'onEvent' | 'reload' | 'sourceFiles'> {
  /** Each watch event as it happens (the handle iterates over the same events). */
  onEvent?: WatchEventSink;
  /** false: do not watch the project's own files (no live reload). Default true when the project was opened from its files. */
  reload?: boolean;
}

/** How a project opened from its files loads them again (watch's live reload). */
export interface ProjectSource {
  /** Every file the current model was loaded from. */
  files: readonly string[];
  load(): LoadedModel;
}

export class Project implements AsyncDisposable {
  constructor(
    private readonly engine: EngineContext,
    /** The project's name. */
    readonly name: string,
    /** The loaded Compose model; absent for a project opened by name alone (it still has ps, logs, down, stop...). */
    readonly model?: ProjectModel,
    private readonly source?: ProjectSource,
  ) {}

  /** The project as `tug config` prints it. */
  async config(opts: { format?: ConfigFormat } = {}): Promise<string> {
    const { renderConfig } = await import('../core/render/config.js');
    return renderConfig(this.needModel('config'), opts.format ?? 'yaml');
  }

  async up(opts: ApiUpOptions = {}): Promise<ApiUpResult> {
    const model = this.needModel('up');
    const { detach = true, abortOnContainerExit, exitCodeFrom, ...rest } = opts;
    if (exitCodeFrom && !Object.hasOwn(model.services, exitCodeFrom)) throw usageError(`no such service: ${exitCodeFrom}`);
    const { up } = await import('../engine/up.js');
    const result = await up(this.engine, model, rest);
    if (detach || opts.wait || result.plan !== undefined) return result;
    const attachment = await this.attach({ services: opts.services, abortOnExit: Boolean(abortOnContainerExit || exitCodeFrom), exitCodeFrom, timeoutMs: opts.timeout === undefined ? undefined : opts.timeout * 1000, since: result.startedAt });
    return { ...result, exitCode: await attachment.done };
  }

  /** Stays attached to the services (their output as `log` events) until the attach policy says it is over. */
  async attach(opts: Partial<AttachOptions> & { services?: readonly string[] } = {}): Promise<Attachment> {
    const [{ attach }, { servicesInScope }] = await Promise.all([import('../engine/attach.js'), import('../engine/up.js')]);
    return attach(this.engine, this.name, {
      ...opts,
      services: servicesInScope(this.needModel('attach'), opts.services),
      abortOnExit: opts.abortOnExit === true,
    });
  }

  /** Builds the images of the services with a build section (or of `services`): tug's builder on native, the Engine's on docker. */
  async build(opts: BuildOptions = {}): Promise<BuildResult> {
    const [{ build }, { serviceBuilder }] = await Promise.all([import('../engine/build.js'), import('./service-builder.js')]);
    return build(this.engine, this.needModel('build'), opts, serviceBuilder(this.engine));
  }

  async down(opts: DownOptions = {}): Promise<DownResult> {
    const { down } = await import('../engine/down.js');
    return down(this.engine, this.name, this.model, opts);
  }

  async scale(counts: Record<string, number>, opts: ScaleOptions = {}): Promise<void> {
    const { scale } = await import('../engine/scale.js');
    return scale(this.engine, this.needModel('scale'), counts, opts);
  }

  /** The same rows as `tug ps --format json` (with `size`, as `tug ps --size`). */
  async ps(opts: PsOptions & { size?: boolean } = {}): Promise<PsRow[]> {
    const [{ psRow }, replicas] = await Promise.all([import('../core/render/ps-row.js'), this.replicas(opts)]);
    const sizes = opts.size ? await this.diskUsage(replicas) : undefined;
    const now = Date.now();
    return replicas.map((r) => psRow(r, now, sizes && { bytes: sizes[r.id] }));
  }

  /** Bytes each replica wrote to its own root filesystem, by ID; undefined for a host process (`ps --size`). */
  async diskUsage(replicas: readonly ObservedReplica[]): Promise<Record<string, number | undefined>> {
    const { replicaSizes } = await import('../engine/ps.js');
    return replicaSizes(this.engine, this.name, replicas);
  }

  /** `tug pull`: pulls the services' images (one pull per image); resolves to the image ID per service pulled. */
  async pull(opts: PullOptions = {}): Promise<Record<string, string>> {
    const { pull } = await import('../engine/images.js');
    return pull(this.engine, this.needModel('pull'), opts);
  }

  /** `tug images`: the images the services use, as the backend has them. */
  async images(opts: { services?: string[] } = {}): Promise<ProjectImage[]> {
    const { listImages } = await import('../engine/images.js');
    return listImages(this.engine, this.needModel('images'), opts.services);
  }

  /** The replicas behind ps(), as the backend observes them. */
  async replicas(opts: PsOptions = {}): Promise<ObservedReplica[]> {
    const { ps } = await import('../engine/ps.js');
    return ps(this.engine, this.name, opts);
  }

  async *logs(opts: LogsOptions = {}): AsyncGenerator<LogLine> {
    const { logs } = await import('../engine/logs.js');
    yield* logs(this.engine, this.name, opts);
  }

  /** Resource use of the running replicas, a list per interval until the signal aborts. */
  async *stats(opts: StatsOptions = {}): AsyncGenerator<ReplicaStatsRow[]> {
    const { stats } = await import('../engine/stats.js');
    yield* stats(this.engine, this.name, opts);
  }

  /** Where a replica's private port is published ("0.0.0.0:32768"), as Compose's `port` prints it. */
  async port(service: string, privatePort: string, opts: PortOptions = {}): Promise<string> {
    const { port } = await import('../engine/port.js');
    return port(this.engine, this.name, service, privatePort, opts);
  }

  /** Runs a command in a running replica (stdio attached to this process); resolves to its exit code. */
  async exec(service: string, command: string[], opts: ExecOptions = {}): Promise<number> {
    const { exec } = await import('../engine/exec.js');
    return exec(this.engine, this.name, service, command, opts);
  }

  /** A one-off replica of a service; its output comes back with its exit code (and as `log` events). */
  async run(service: string, opts: RunOptions = {}): Promise<ApiRunResult> {
    const output: LogLine[] = [];
    const engine: EngineContext = {
      ...this.engine,
      hooks: {
        ...this.engine.hooks,
        event: (e) => {
          if (e.type === 'log') output.push(e.line);
          this.engine.hooks.event(e);
        },
      },
    };
    const { run } = await import('../engine/run.js');
    return { exitCode: await run(engine, this.needModel('run'), service, opts).done, output };
  }

  /** `run` with control over it: interrupt() stops the one-off. */
  async runHandle(service: string, opts: RunOptions = {}): Promise<RunHandle> {
    const { run } = await import('../engine/run.js');
    return run(this.engine, this.needModel('run'), service, opts);
  }

  /**
   * Brings the project up (unless noUp), then keeps it in step with the files
   * its `develop.watch` rules name, and with its own files (live reload).
   * Resolves once watching has begun; a second watch of the project is refused.
   */
  async watch(opts: ApiWatchOptions = {}): Promise<WatchHandle> {
    const model = this.needModel('watch');
    const [{ watch }, { WatchEventBuffer }] = await Promise.all([import('../engine/watch.js'), import('./watch-handle.js')]);
    const buffer = new WatchEventBuffer();
    const { onEvent, reload = true, ...rest } = opts;
    const source = reload ? this.source : undefined;
    const session = await watch(this.engine, model, {
      ...rest,
      ...(source && { reload: () => source.load(), sourceFiles: source.files }),
      onEvent: (e) => {
        buffer.push(e);
        onEvent?.(e);
      },
    }).catch((err: unknown) => {
      buffer.end();
      throw err;
    });
    return buffer.handle(session);
  }

  start(opts: LifecycleOptions = {}): Promise<void> {
    return this.lifecycle('start', opts);
  }

  stop(opts: LifecycleOptions = {}): Promise<void> {
    return this.lifecycle('stop', opts);
  }

  restart(opts: LifecycleOptions = {}): Promise<void> {
    return this.lifecycle('restart', opts);
  }

  kill(opts: LifecycleOptions = {}): Promise<void> {
    return this.lifecycle('kill', opts);
  }

  /** Replica changes as they happen (created, started, died, health...), until the signal aborts. */
  events(opts: { signal?: AbortSignal } = {}): AsyncIterable<ReplicaEvent> {
    return this.engine.backend.replicas.events(this.name, opts.signal ?? new AbortController().signal);
  }

  /** Releases the backend's connections; what runs keeps running. */
  close(): Promise<void> {
    return closeEngine(this.engine);
  }

  /** Tears the project down (replicas, networks, its volumes) and closes: the end of a test. */
  async [Symbol.asyncDispose](): Promise<void> {
    try {
      await this.down({ volumes: true, removeOrphans: true });
    } finally {
      await this.close();
    }
  }

  private async lifecycle(action: LifecycleAction, opts: LifecycleOptions): Promise<void> {
    const { lifecycle } = await import('../engine/lifecycle.js');
    return lifecycle(this.engine, this.name, action, opts);
  }

  private needModel(verb: string): ProjectModel {
    if (!this.model) throw usageError(`${verb} needs the Compose file of project "${this.name}"`, 'open the project from its files, not by name alone');
    return this.model;
  }
}
