// What most commands share: learn the project's name, pick the backend, make
// sure the backend is closed, and handle interrupts the same way everywhere.
// Loading the whole project lives in project-loading.ts, imported only by the
// commands that need it, so ps/logs/exec start fast.
import { ConfigErrors, TugError, isUserError, type PathSegment, type SourceLocation } from '../core/errors.js';
import { acceptTypedProjectName } from '../core/load/project-name.js';
import { projectNameOf } from '../host/project-sources.js';
import { engineContext, projectFor } from '../api/engine-context.js';
import type { Project, ProjectSource } from '../api/project.js';
import type { Project as ProjectModel } from '../core/model/types.js';
import { closeEngine, type EngineContext } from '../engine/context.js';
import type { EngineHooks } from '../engine/events.js';
import { projectOptions, warn, type CliContext } from './context.js';
import type { AttachedOutput } from './render/engine-output.js';

/** Just the project's name (ps, logs, exec): fast, and indifferent to problems elsewhere in the file. */
export function projectNameFor(ctx: CliContext): string {
  const fallback = typedProjectName(ctx);
  try {
    return projectNameOf(projectOptions(ctx), { cwd: ctx.cwd, env: ctx.env });
  } catch (err) {
    if (fallback && isUserError(err)) return fallback;
    throw err;
  }
}

/**
 * The name from -p or COMPOSE_PROJECT_NAME, checked before anything else: the
 * commands that fall back to it when the file does not load build paths from it.
 */
export function typedProjectName(ctx: CliContext): string | undefined {
  const flag = ctx.globals.projectName;
  if (flag !== undefined && flag !== '') return acceptTypedProjectName(flag, '-p/--project-name');
  const env = ctx.env.COMPOSE_PROJECT_NAME;
  if (env !== undefined && env !== '') return acceptTypedProjectName(env, 'COMPOSE_PROJECT_NAME');
  return undefined;
}

export interface EngineSessionOptions {
  /** The command applies plans or prepares images: show their progress (loads the live view on a terminal). */
  progress?: boolean;
  /** The command prints replica output (attached `up`, `run`). */
  attached?: AttachedOutput;
  /** `tug build -q`: each built image's ID on stdout (other commands print nothing of builds when quiet). */
  buildIds?: boolean;
}

/** The engine context a command runs in: its backend (closed afterwards), parallelism, environment and output. */
export async function withEngine<T>(ctx: CliContext, opts: EngineSessionOptions, fn: (engine: EngineContext) => Promise<T>): Promise<T> {
  // The renderers load only for commands that show progress or output.
  const hooks: EngineHooks =
    opts.progress || opts.attached
      ? await (await import('./render/engine-output.js')).engineOutput(ctx, opts.attached, { buildIds: opts.buildIds === true })
      : { event: (e) => e.type === 'warning' && warn(ctx, e.message) };
  const engine = await engineContext({ backend: ctx.globals.backend, isolation: ctx.globals.isolation, parallel: ctx.parallel }, ctx.env, hooks);
  try {
    return await fn(engine);
  } finally {
    await closeEngine(engine);
  }
}

/** The command's project, through the programmatic API (the CLI is built on it): loaded, or by name alone. */
export async function withProject<T>(
  ctx: CliContext,
  opts: EngineSessionOptions,
  model: ProjectModel | string,
  fn: (project: Project) => Promise<T>,
  source?: ProjectSource,
): Promise<T> {
  try {
    return await withEngine(ctx, opts, (engine) => fn(projectFor(engine, model, source)));
  } catch (err) {
    throw typeof model === 'string' ? err : locatedInFile(err, model);
  }
}

type Locator = (path: readonly PathSegment[]) => SourceLocation | undefined;
const locators = new WeakMap<ProjectModel, Locator>();

/** Remembers where a loaded model's YAML paths are in its files (project-loading.ts calls it). */
export function rememberLocator(model: ProjectModel, locate: Locator): void {
  locators.set(model, locate);
}

/**
 * Errors about the file that only surface when the project runs (a build
 * section tug's builder refuses, a Dockerfile that is missing) carry a YAML
 * path: they get the file:line:column of that path too, as load errors do.
 */
function locatedInFile(err: unknown, model: ProjectModel): unknown {
  const locate = locators.get(model);
  if (!locate) return err;
  const located = (e: TugError) => (e.location || !e.path ? e : e.withLocation(locate(e.path)));
  if (err instanceof TugError) return located(err);
  if (err instanceof ConfigErrors) return new ConfigErrors(err.errors.map(located));
  return err;
}

/** Calls `handler` on every Ctrl-C (and SIGTERM) until disposed; the engine decides what each one means. */
export function onInterrupt(handler: () => void): () => void {
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}

/** Ctrl-C during work that just stops (converging, following logs): the first interrupt aborts the signal. */
export function interruptController(): { signal: AbortSignal; interrupted: () => boolean; dispose(): void } {
  const controller = new AbortController();
  const dispose = onInterrupt(() => controller.abort());
  return { signal: controller.signal, interrupted: () => controller.signal.aborted, dispose };
}
