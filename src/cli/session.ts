// What most commands share: learn the project's name, pick the backend, make
// sure the backend is closed, and handle interrupts the same way everywhere.
// Loading the whole project lives in project-loading.ts, imported only by the
// commands that need it, so ps/logs/exec start fast.
import { TugError, isUserError } from '../core/errors.js';
import { acceptTypedProjectName } from '../core/load/project-name.js';
import { projectNameOf } from '../host/project-sources.js';
import type { RuntimeBackend } from '../runtime/backend.js';
import { selectBackend } from '../runtime/select.js';
import { projectOptions, warn, type CliContext } from './context.js';

/** Just the project's name (ps, logs, exec): fast, and indifferent to problems elsewhere in the file. */
export function projectNameFor(ctx: CliContext): string {
  const fallback = typedProjectName(ctx);
  try {
    return projectNameOf(projectOptions(ctx), { cwd: ctx.cwd, env: ctx.env });
  } catch (err) {
    const fallback = typedProjectName(ctx);
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

export async function withBackend<T>(ctx: CliContext, fn: (backend: RuntimeBackend) => Promise<T>): Promise<T> {
  const backend = await selectBackend(ctx.globals.backend, ctx.env, (message) => warn(ctx, message));
  try {
    return await fn(backend);
  } finally {
    await backend.close();
  }
}

/** Ctrl-C handling: the first interrupt aborts gracefully, the second one more forcefully. */
export function interruptController(onSecond?: () => void): { signal: AbortSignal; interrupted: () => boolean; dispose(): void } {
  const controller = new AbortController();
  let count = 0;
  const handler = () => {
    count++;
    if (count === 1) controller.abort(new TugError({ code: 'interrupted', message: 'interrupted', exitCode: 130 }));
    else onSecond?.();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    signal: controller.signal,
    interrupted: () => count > 0,
    dispose: () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}
