// A project, as code drives it: every verb the CLI has, with the CLI's flags as
// camelCase options (times in seconds), results as data, and typed events to
// `onEvent`. The CLI is built on this same class, so the two cannot drift.
// `await using project = await openProject(...)` tears it down at the end.
import { usageError } from '../core/errors.js';
import type { Project as ProjectModel } from '../core/model/types.js';
import { psRow, type PsRow } from '../core/render/ps-row.js';
import { renderConfig, type ConfigFormat } from '../core/render/config.js';
import { attach, type Attachment, type AttachOptions } from '../engine/attach.js';
import type { EngineContext } from '../engine/context.js';
import { down, type DownOptions, type DownResult } from '../engine/down.js';
import { exec, type ExecOptions } from '../engine/exec.js';
import { lifecycle, type LifecycleAction, type LifecycleOptions } from '../engine/lifecycle.js';
import { logs, type LogsOptions } from '../engine/logs.js';
import { ps, type PsOptions } from '../engine/ps.js';
import { run, type RunHandle, type RunOptions } from '../engine/run.js';
import { scale, type ScaleOptions } from '../engine/scale.js';
import { servicesInScope, up, type UpOptions, type UpResult } from '../engine/up.js';
import type { LogLine, ReplicaEvent } from '../runtime/backend.js';

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

export class Project implements AsyncDisposable {
  constructor(
    private readonly engine: EngineContext,
    /** The project's name. */
    readonly name: string,
    /** The loaded Compose model; absent for a project opened by name alone (it still has ps, logs, down, stop...). */
    readonly model?: ProjectModel,
  ) {}

  /** The project as `tug config` prints it. */
  config(opts: { format?: ConfigFormat } = {}): string {
    return renderConfig(this.needModel('config'), opts.format ?? 'yaml');
  }

  async up(opts: ApiUpOptions = {}): Promise<ApiUpResult> {
    const model = this.needModel('up');
    const { detach = true, abortOnContainerExit, exitCodeFrom, ...rest } = opts;
    if (exitCodeFrom && !Object.hasOwn(model.services, exitCodeFrom)) throw usageError(`no such service: ${exitCodeFrom}`);
    const result = await up(this.engine, model, rest);
    if (detach || opts.wait || result.plan !== undefined) return result;
    const attachment = this.attach({ services: opts.services, abortOnExit: Boolean(abortOnContainerExit || exitCodeFrom), exitCodeFrom, timeoutMs: opts.timeout === undefined ? undefined : opts.timeout * 1000, since: result.startedAt });
    return { ...result, exitCode: await attachment.done };
  }

  /** Stays attached to the services (their output as `log` events) until the attach policy says it is over. */
  attach(opts: Partial<AttachOptions> & { services?: readonly string[] } = {}): Attachment {
    return attach(this.engine, this.name, {
      ...opts,
      services: servicesInScope(this.needModel('attach'), opts.services),
      abortOnExit: opts.abortOnExit === true,
    });
  }

  down(opts: DownOptions = {}): Promise<DownResult> {
    return down(this.engine, this.name, this.model, opts);
  }

  scale(counts: Record<string, number>, opts: ScaleOptions = {}): Promise<void> {
    return scale(this.engine, this.needModel('scale'), counts, opts);
  }

  /** The same rows as `tug ps --format json`. */
  async ps(opts: PsOptions = {}): Promise<PsRow[]> {
    const now = Date.now();
    return (await this.replicas(opts)).map((r) => psRow(r, now));
  }

  /** The replicas behind ps(), as the backend observes them. */
  replicas(opts: PsOptions = {}): ReturnType<typeof ps> {
    return ps(this.engine, this.name, opts);
  }

  logs(opts: LogsOptions = {}): AsyncIterable<LogLine> {
    return logs(this.engine, this.name, opts);
  }

  /** Runs a command in a running replica (stdio attached to this process); resolves to its exit code. */
  exec(service: string, command: string[], opts: ExecOptions = {}): Promise<number> {
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
    return { exitCode: await run(engine, this.needModel('run'), service, opts).done, output };
  }

  /** `run` with control over it: interrupt() stops the one-off. */
  runHandle(service: string, opts: RunOptions = {}): RunHandle {
    return run(this.engine, this.needModel('run'), service, opts);
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
    return this.engine.backend.close();
  }

  /** Tears the project down (replicas, networks, its volumes) and closes: the end of a test. */
  async [Symbol.asyncDispose](): Promise<void> {
    try {
      await this.down({ volumes: true, removeOrphans: true });
    } finally {
      await this.close();
    }
  }

  private lifecycle(action: LifecycleAction, opts: LifecycleOptions): Promise<void> {
    return lifecycle(this.engine, this.name, action, opts);
  }

  private needModel(verb: string): ProjectModel {
    if (!this.model) throw usageError(`${verb} needs the Compose file of project "${this.name}"`, 'open the project from its files, not by name alone');
    return this.model;
  }
}
