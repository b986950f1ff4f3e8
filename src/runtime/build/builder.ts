// tug's builder: walks the build plan, stage by stage (independent stages at
// once, bounded; stages the target does not need skipped), consults the layer
// cache (then the steps of the cache_from images) for each filesystem step,
// runs what is missing through the StepExecutor (RUN) or by writing the layer
// itself (COPY/ADD, WORKDIR), commits the image config and tags it, and
// reports every step as events.
import { ConfigErrors, TugError, type SourceLocation } from '../../core/errors.js';
import { baseKey, runNetwork, stepKey } from '../../core/build/cache-key.js';
import { historyComment, type CachedStep } from '../../core/build/cache-sources.js';
import { parseDockerfile } from '../../core/build/dockerfile/parse.js';
import type { BuildEvent, StepRef } from '../../core/build/events.js';
import { scratchConfig, type HistoryEntry, type ImageConfig, type Platform } from '../../core/build/image-config.js';
import type { BuildArgs } from '../../core/build/plan/args.js';
import { planStages, type BuildGraph, type StageSpec } from '../../core/build/plan/graph.js';
import { resolveStage, type PlannedStep, type RunOp } from '../../core/build/plan/steps.js';
import { cacheSources } from './cache-from.js';
import { BuildContext } from './context.js';
import { copyLayerEntries, readCopySources, workdirEntries } from './copy-step.js';
import { FileDigester, type DigestCache } from './digest.js';
import type { ImageStoreWriter, LayerDiff, LayerRecord, LayerStore, Rootfs, RootfsView, StepExecutor } from './interfaces.js';

export interface BuildRequest {
  /** What progress calls this build (the service name). */
  name: string;
  dockerfile: { text: string; path: string };
  /** The context directory; undefined for a build that copies nothing from it. */
  contextDir?: string;
  /** Where the ignore file is looked for (`<Dockerfile>.dockerignore`), relative to the context or absolute. */
  dockerfileName?: string;
  buildArgs?: BuildArgs;
  target?: string;
  /** `build.labels`: added to the image's labels. */
  labels?: Record<string, string>;
  tags?: string[];
  /** `build.cache_from`: images whose tug-built steps serve as cache hits. */
  cacheFrom?: string[];
  noCache?: boolean;
  pull?: boolean;
  shmSize?: number;
  extraHosts?: string[];
  /** `build.network`: RUN steps without a network but loopback (none), or in the host's network namespace (host). */
  network?: 'none' | 'host';
  platform: Platform;
  /** How many stages may build at once. */
  parallelism?: number;
  signal?: AbortSignal;
}

export interface BuilderDeps {
  executor: StepExecutor;
  layers: LayerStore;
  images: ImageStoreWriter;
  digestCache?: DigestCache;
  /** RFC 3339 now, for layers built in this run. */
  now?: () => string;
}

export interface BuildResult {
  imageId: string;
  config: ImageConfig;
  /** Filesystem steps run and found in the cache (FROM lines not counted). */
  steps: number;
  cached: number;
}

interface StageResult {
  key: string;
  rootfs: Rootfs;
  config: ImageConfig;
  created?: string;
}

const LAST_LINES = 10;

export async function build(request: BuildRequest, deps: BuilderDeps, emit: (event: BuildEvent) => void = () => {}): Promise<BuildResult> {
  const started = performance.now();
  const parsed = parseDockerfile(request.dockerfile.text, request.dockerfile.path);
  const graph = planStages(parsed, { buildArgs: request.buildArgs, target: request.target, platform: request.platform });
  const name = request.name;
  for (const n of parsed.notices) emit({ type: 'notice', build: name, message: n.message, location: n.location });
  if (graph.unusedBuildArgs.length > 0) emit({ type: 'notice', build: name, message: `build arguments not used by any stage: ${graph.unusedBuildArgs.join(', ')}` });
  preflight(graph, request.platform);
  for (const stage of graph.stages) if (!graph.needed.includes(stage.index)) emit({ type: 'stage-skipped', build: name, stage: stage.label });

  const sources = request.cacheFrom && request.cacheFrom.length > 0 && !request.noCache ? await cacheSources(name, request.cacheFrom, deps.images, emit) : new Map<string, CachedStep>();
  const run = new BuildRun(request, deps, graph, sources, emit);
  const final = await run.all();
  const config: ImageConfig = { ...final.config };
  if (request.labels && Object.keys(request.labels).length > 0) config.config = { ...config.config, Labels: { ...(config.config.Labels ?? {}), ...request.labels } };
  const imageId = await deps.images.commitImage(config);
  for (const tag of request.tags ?? []) await deps.images.tag(imageId, tag);
  emit({ type: 'build-done', build: name, imageId, tags: request.tags ?? [], ms: performance.now() - started, steps: run.steps, cached: run.cached });
  return { imageId, config, steps: run.steps, cached: run.cached };
}

/**
 * Every mistake in the needed stages at once, before anything runs: each stage
 * is resolved over an empty base. Only expansion errors are left for the real
 * run, since a variable the base image's ENV sets is unset here.
 */
function preflight(graph: BuildGraph, platform: Platform): void {
  const errors: TugError[] = [];
  for (const index of graph.needed) {
    try {
      resolveStage(graph, index, scratchConfig(platform));
    } catch (err) {
      const list = err instanceof ConfigErrors ? err.errors : err instanceof TugError ? [err] : [];
      if (list.length === 0) throw err;
      errors.push(...list.filter((e) => e.code !== 'dockerfile.expand'));
    }
  }
  if (errors.length > 0) throw errors.length === 1 ? errors[0]! : new ConfigErrors(errors);
}

class BuildRun {
  steps = 0;
  cached = 0;
  private readonly results = new Map<number, Promise<StageResult>>();
  private readonly abort = new AbortController();
  private readonly digester: FileDigester;
  private context?: Promise<BuildContext>;
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly request: BuildRequest,
    private readonly deps: BuilderDeps,
    private readonly graph: BuildGraph,
    /** Steps the cache_from images hold, by cache key. */
    private readonly sources: ReadonlyMap<string, CachedStep>,
    private readonly emit: (event: BuildEvent) => void,
  ) {
    this.digester = new FileDigester(deps.digestCache);
    if (request.signal?.aborted) this.abort.abort(request.signal.reason);
    else request.signal?.addEventListener('abort', () => this.abort.abort(request.signal?.reason), { once: true });
  }

  /** Builds every needed stage; resolves with the target's result, rejects with the first failure. */
  async all(): Promise<StageResult> {
    for (const i of this.graph.needed) this.results.set(i, this.stage(this.graph.stages[i]!));
    const settled = await Promise.allSettled([...this.results.values()]);
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected' && !(s.reason instanceof Cancelled));
    if (failed) throw failed.reason;
    const cancelled = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (cancelled) throw new TugError({ code: 'build.interrupted', message: 'the build was interrupted', exitCode: 130 });
    return this.results.get(this.graph.target)!;
  }

  private async stage(stage: StageSpec): Promise<StageResult> {
    await Promise.all(stage.deps.map((d) => this.results.get(d)!));
    await this.slot();
    try {
      return await this.runStage(stage);
    } catch (err) {
      this.abort.abort();
      throw err;
    } finally {
      this.release();
    }
  }

  private async runStage(stage: StageSpec): Promise<StageResult> {
    const label = stage.index === this.graph.target ? this.request.name : `${this.request.name}:${stage.label}`;
    const baseStarted = performance.now();
    let state = await this.base(stage);
    const resolved = resolveStage(this.graph, stage.index, state.config);
    const fsSteps = resolved.steps.filter((s) => s.op.kind !== 'config').length;
    const ref = (index: number, text: string, location: SourceLocation): StepRef => ({ label, index, total: fsSteps + 1, text, location });
    const fromRef = ref(1, stage.from.text, stage.from.location);
    this.emit({ type: 'step-start', build: this.request.name, step: fromRef });
    this.emit({ type: 'step-done', build: this.request.name, step: fromRef, ms: performance.now() - baseStarted });
    const history: HistoryEntry[] = [...(state.config.history ?? [])];
    let index = 1;
    for (const step of resolved.steps) {
      this.checkAborted();
      if (step.op.kind === 'config') {
        history.push({ ...(state.created ? { created: state.created } : {}), ...step.history });
        continue;
      }
      const record = await this.fsStep(step, state, ref(++index, step.text, step.location));
      const entry: HistoryEntry = { created: record.created, ...step.history, comment: historyComment(record.key) };
      if (record.diffId === undefined) entry.empty_layer = true;
      history.push(entry);
      state = { ...state, key: record.key, created: record.created, rootfs: record.diffId === undefined ? state.rootfs : { diffIds: [...state.rootfs.diffIds, record.diffId] } };
    }
    const config: ImageConfig = { ...resolved.config, rootfs: { type: 'layers', diff_ids: [...state.rootfs.diffIds] }, history };
    if (state.created) config.created = state.created;
    return { ...state, config };
  }

  private async base(stage: StageSpec): Promise<StageResult> {
    const b = stage.base;
    if (b.kind === 'scratch') return { key: baseKey({ kind: 'scratch' }), rootfs: { diffIds: [] }, config: scratchConfig(this.request.platform) };
    if (b.kind === 'stage') return this.results.get(b.index)!;
    const image = await this.deps.images.resolveImage(b.ref, { platform: b.platform, pull: this.request.pull ?? false });
    return { key: baseKey({ kind: 'image', imageId: image.id }), rootfs: { diffIds: image.config.rootfs.diff_ids }, config: image.config, created: image.config.created };
  }

  private async fsStep(step: PlannedStep, state: StageResult, ref: StepRef): Promise<LayerRecord> {
    const op = step.op;
    // A COPY --from reads the source rootfs for its key and, on a miss, for the layer.
    const fromView = op.kind === 'copy' && op.from ? await this.fromView(op.from) : undefined;
    try {
      let key: string;
      let produce: () => Promise<LayerDiff>;
      if (op.kind === 'run') {
        key = stepKey(state.key, op, { run: { extraHosts: this.request.extraHosts, network: this.request.network } });
        produce = () => this.runCommand(op, state, ref);
      } else if (op.kind === 'copy') {
        const sources = await readCopySources(op, step.location, { context: fromView ? undefined : await this.openContext(), fromView }, this.digester);
        key = stepKey(state.key, op, { contentHash: sources.contentHash });
        produce = () => this.withView(state.rootfs, async (parent) => tarDiff(await copyLayerEntries(op, sources, parent, step.location)));
      } else {
        key = stepKey(state.key, op);
        const path = op.kind === 'workdir' ? op.path : '/';
        produce = () => this.withView(state.rootfs, async (parent) => tarDiff(await workdirEntries(path, parent)));
      }
      if (!this.request.noCache) {
        const source = this.sources.get(key);
        const hit = (await this.deps.layers.lookup(key)) ?? (source && (await this.deps.layers.adopt(key, source)));
        if (hit) {
          this.steps++;
          this.cached++;
          this.emit({ type: 'step-cached', build: this.request.name, step: ref });
          return hit;
        }
      }
      this.emit({ type: 'step-start', build: this.request.name, step: ref });
      const started = performance.now();
      const diff = await produce();
      const record = await this.deps.layers.commit(key, diff, (this.deps.now ?? (() => new Date().toISOString()))());
      this.steps++;
      this.emit({ type: 'step-done', build: this.request.name, step: ref, ms: performance.now() - started });
      return record;
    } finally {
      await fromView?.release();
    }
  }

  private async runCommand(op: RunOp, state: StageResult, ref: StepRef): Promise<LayerDiff> {
    const lastLines: string[] = [];
    const started = performance.now();
    const result = await this.deps.executor.run({
      rootfs: state.rootfs,
      argv: op.argv,
      env: op.env,
      user: op.user,
      workdir: op.workdir,
      files: op.files,
      network: runNetwork(op, { network: this.request.network }),
      shmSize: this.request.shmSize,
      extraHosts: this.request.extraHosts ?? [],
      signal: this.abort.signal,
      onOutput: (line, stream) => {
        lastLines.push(line);
        if (lastLines.length > LAST_LINES) lastLines.shift();
        this.emit({ type: 'step-output', build: this.request.name, step: ref, line, stream });
      },
    }).catch((err: unknown) => {
      // What the executor could not do (a USER the image lacks, runc refusing) is this step's error.
      if (err instanceof TugError && !err.location) throw new TugError({ ...err.toInit(), message: `[${ref.label} ${ref.index}/${ref.total}] ${ref.text}: ${err.message}`, location: ref.location });
      throw err;
    });
    if (this.abort.signal.aborted) throw new Cancelled();
    if (result.exitCode === 0) return result.diff ?? { kind: 'empty' };
    const where = `${ref.location.file}:${ref.location.line}`;
    const message = `${ref.text} failed with exit code ${result.exitCode}`;
    this.emit({ type: 'step-failed', build: this.request.name, step: ref, message, exitCode: result.exitCode, lastLines: [...lastLines], ms: performance.now() - started });
    throw new TugError({
      code: 'build.step-failed',
      message: `[${ref.label} ${ref.index}/${ref.total}] ${message}`,
      location: ref.location,
      hint: lastLines.length > 0 ? `its last output: ${lastLines.slice(-3).join(' | ')}` : `the command printed nothing; run it by hand in the image built up to ${where}`,
    });
  }

  private async fromView(from: NonNullable<Extract<PlannedStep['op'], { kind: 'copy' }>['from']>): Promise<RootfsView> {
    if (from.kind === 'stage') return this.deps.layers.view((await this.results.get(from.index)!).rootfs);
    const image = await this.deps.images.resolveImage(from.ref, { pull: this.request.pull ?? false });
    return this.deps.layers.view({ diffIds: image.config.rootfs.diff_ids });
  }

  private async withView<T>(rootfs: Rootfs, fn: (view: RootfsView) => Promise<T>): Promise<T> {
    const view = await this.deps.layers.view(rootfs);
    try {
      return await fn(view);
    } finally {
      await view.release();
    }
  }

  private openContext(): Promise<BuildContext> {
    const dir = this.request.contextDir;
    if (dir === undefined) return Promise.reject(new TugError({ code: 'build.no-context', message: 'this build has no context directory to copy from' }));
    this.context ??= BuildContext.open(dir, this.request.dockerfileName);
    return this.context;
  }

  private checkAborted(): void {
    if (this.abort.signal.aborted) throw new Cancelled();
  }

  private async slot(): Promise<void> {
    const limit = Math.max(1, this.request.parallelism ?? 2);
    while (this.running >= limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.running++;
  }

  private release(): void {
    this.running--;
    this.waiting.shift()?.();
  }
}

/** A stage stopped because another one failed or the build was interrupted. */
class Cancelled extends Error {}

// The tar writer (and tar-stream with it) loads only when a layer is written:
// a rebuild from the cache never pays for it.
async function tarDiff(entries: Awaited<ReturnType<typeof copyLayerEntries>>): Promise<LayerDiff> {
  if (entries.length === 0) return { kind: 'empty' };
  const { layerTar } = await import('./layer.js');
  return { kind: 'tar', open: () => layerTar(entries), entries };
}
