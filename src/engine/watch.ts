// `watch`: keep a running project in step with the files a developer edits.
// One watch per project at a time (a lock under TUG_HOME, any backend); the
// project is brought up first unless `noUp`; then every rule's path is
// watched (ignores applied by the watcher), changes are batched over a short
// quiet window and each batch is planned (plan-batch.ts: rebuilds, syncs,
// restarts, execs) and carried out (watch/steps.ts), one batch at a time.
// The project's own files are watched too: a change reloads them, and a valid
// result is reconciled by the up planner (watch/reload.ts). A failing step is
// an `error` event and watching goes on. stop() ends watching at once and
// leaves the project running: pending changes and the batch's steps not yet
// begun are dropped, a build or an exec hook in progress is ended, and only a
// change to replicas already under way (a sync, a restart, a recreate, a
// reload) is let finish, so no service is left stopped halfway.
import type { Project } from '../core/model/types.js';
import type { PathChange, SyncPath } from '../core/watch/changes.js';
import { projectFiles } from '../core/watch/project-files.js';
import { watchSettings } from '../core/watch/settings.js';
import { acquireWatchLock } from '../runtime/watch/watch-lock.js';
import { initialSyncPaths } from '../runtime/watch/initial-sync.js';
import { watchRoots, type FileWatcher } from '../runtime/watch/watcher.js';
import type { EngineContext } from './context.js';
import { up, type UpOptions } from './up.js';
import { batchChanges, type ChangeBatcher } from './watch/debounce.js';
import type { WatchEvent, WatchEventInit, WatchEventSink } from './watch/events.js';
import { planBatch } from './watch/plan-batch.js';
import { reloadProject, type LoadedModel } from './watch/reload.js';
import { checkCanWatch, prepareRules, watchRootsOf, type RuleSet } from './watch/rule-set.js';
import { asTugError, runStep } from './watch/steps.js';

export type { LoadedModel } from './watch/reload.js';

export interface WatchOptions {
  /** Only these services' rules (and, for the first up, these services). */
  services?: string[];
  /** The project runs already (up --watch): do not bring it up. */
  noUp?: boolean;
  /** After a rebuild, remove the image it replaced when nothing uses it any more (backends whose images facet can). */
  prune?: boolean;
  /** The up that comes first: build and pull flags. */
  up?: Pick<UpOptions, 'build' | 'pull'>;
  /** Loads the project's files again, for the live reload; throws the load's errors. Without it the project's files are not watched. */
  reload?: () => LoadedModel | Promise<LoadedModel>;
  /** The files the project was loaded from (every read the loader made). */
  sourceFiles?: readonly string[];
  onEvent: WatchEventSink;
}

export interface WatchSession {
  /** Resolves once watching has ended (after stop()). */
  readonly done: Promise<void>;
  /** Ends watching at once (pending changes and steps not begun are dropped, a build or exec hook in progress is ended); the project keeps running. */
  stop(): Promise<void>;
}

export async function watch(ctx: EngineContext, project: Project, opts: WatchOptions): Promise<WatchSession> {
  const services = opts.services && opts.services.length > 0 ? opts.services : undefined;
  checkCanWatch(ctx, project, services);
  const settings = watchSettings(project);
  if (settings instanceof Error) throw settings;
  // Taken before anything runs: a second watch changes nothing.
  const release = await acquireWatchLock(ctx.env, project.name);
  let session: Session | undefined;
  try {
    if (!opts.noUp) await up(ctx, project, { services, ...opts.up });
    session = new Session(quieted(ctx), project, services, opts, settings.debounceMs, release);
    await session.start();
    return session;
  } catch (err) {
    // stop() closes the watcher (else the process could never exit) and releases the lock.
    if (session) await session.stop();
    else release();
    throw err;
  }
}

class Session implements WatchSession {
  private rules!: RuleSet;
  private files = new Set<string>();
  private watcher: FileWatcher | undefined;
  private batcher: ChangeBatcher;
  /** Batches run one after another, in the order they were cut. */
  private queue: Promise<void> = Promise.resolve();
  private stopped = false;
  /** Aborted by stop(): ends the step in progress where that leaves the project whole. */
  private readonly halt = new AbortController();
  /** Notices already given, and the last "watching" line. */
  private readonly said = new Set<string>();
  private lastWatching: string | undefined;
  private finished!: () => void;
  readonly done = new Promise<void>((resolve) => (this.finished = resolve));

  constructor(
    private readonly ctx: EngineContext,
    private project: Project,
    private readonly services: string[] | undefined,
    private readonly opts: WatchOptions,
    quietMs: number,
    private readonly release: () => void,
  ) {
    this.batcher = batchChanges({ quietMs }, (changes) => this.enqueue(() => this.handleBatch(changes)));
  }

  async start(): Promise<void> {
    await this.watchRules(this.opts.sourceFiles ?? []);
    for (const rule of this.rules.initialSync) {
      const paths: SyncPath[] = [];
      for await (const p of initialSyncPaths(rule)) paths.push(p);
      if (paths.length > 0) await runStep(this.stepContext(), { kind: 'sync', service: rule.service, paths });
    }
  }

  async stop(): Promise<void> {
    if (this.stopped) return this.done;
    this.stopped = true;
    this.halt.abort();
    this.batcher.close();
    await this.watcher?.close();
    await this.queue;
    // A reload in progress may have put a new watcher in place meanwhile.
    await this.watcher?.close();
    this.release();
    this.finished();
  }

  private emit = (event: WatchEventInit): void => {
    if (!this.stopped) this.opts.onEvent({ ...event, time: Date.now() } as WatchEvent);
  };

  private stepContext() {
    return { ctx: this.ctx, project: this.project, emit: this.emit, prune: this.opts.prune === true, signal: this.halt.signal };
  }

  private enqueue(work: () => Promise<void>): void {
    this.queue = this.queue.then(() => (this.stopped ? undefined : work())).catch((err: unknown) => this.emit({ type: 'error', error: asTugError(err, 'watching failed') }));
  }

  /** (Re)starts the watcher on the current rules and project files; resolves once its first scan is done. */
  private async watchRules(sourceFiles: readonly string[]): Promise<void> {
    try {
      this.rules = await prepareRules(this.ctx, this.project, this.services);
    } catch (err) {
      // The project's own files are still watched, so the fix of what broke the rules is seen.
      this.emit({ type: 'error', error: asTugError(err, 'cannot set up the watch rules') });
      this.rules = { matchers: [], initialSync: [], notices: [] };
    }
    this.files = new Set(this.opts.reload ? projectFiles(this.project, sourceFiles) : []);
    const roots = watchRootsOf(this.rules.matchers, [...this.files]);
    if (this.stopped) return;
    const watcher = watchRoots(roots, (e) => {
      if (e.type === 'change') this.batcher.push({ kind: e.kind, path: e.path });
      else if (e.type === 'error') this.emit({ type: 'error', error: e.error });
    });
    // The new watcher is ready before the old one goes, so no change falls between them (the batch counts a path once).
    await watcher.ready;
    const previous = this.watcher;
    this.watcher = watcher;
    await previous?.close();
    // Said once: a reload repeats neither a rule's notice nor an unchanged "watching".
    for (const notice of this.rules.notices) {
      const key = `${notice.type} ${notice.type === 'error' ? notice.error.message : notice.type === 'notice' ? notice.message : ''}`;
      if (!this.said.has(key)) this.emit(notice);
      this.said.add(key);
    }
    const watching: WatchEventInit = {
      type: 'watching',
      services: [...new Set(this.rules.matchers.map((m) => m.service))],
      paths: [...new Set(this.rules.matchers.map((m) => m.rule.path))],
    };
    if (JSON.stringify(watching) !== this.lastWatching) this.emit(watching);
    this.lastWatching = JSON.stringify(watching);
  }

  private async handleBatch(changes: PathChange[]): Promise<void> {
    const projectChanged = changes.some((c) => this.files.has(c.path));
    if (projectChanged && this.opts.reload) {
      const reloaded = await reloadProject(this.ctx, this.project, this.opts.reload, this.services, this.emit);
      if (reloaded) {
        this.project = reloaded.project;
        await this.watchRules(reloaded.sourceFiles);
      }
    }
    const steps = planBatch(changes.filter((c) => !this.files.has(c.path)), this.rules.matchers);
    for (const step of steps) {
      if (this.stopped) return;
      await runStep(this.stepContext(), step);
    }
  }
}

/** The engine for watch's own actions: warnings still reach the user, plan progress does not (each action is one line). */
function quieted(ctx: EngineContext): EngineContext {
  return { ...ctx, hooks: { event: (e) => e.type === 'warning' && ctx.hooks.event(e) } };
}
