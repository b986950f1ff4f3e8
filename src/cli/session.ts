// What most commands do first: load the project (or, for commands that work
// from labels alone, at least learn its name), pick the backend, and make sure
// the backend is closed and interrupts are handled the same way everywhere.
import { readFileSync } from 'node:fs';
import { ConfigErrors, TugError, isUserError } from '../core/errors.js';
import type { Project } from '../core/model/types.js';
import { openProject } from '../host/open-project.js';
import type { RuntimeBackend } from '../runtime/backend.js';
import { selectBackend } from '../runtime/select.js';
import { projectOptions, warn, type CliContext } from './context.js';

export function loadProjectFor(ctx: CliContext, services: string[] = []): Project {
  const loaded = openProject(projectOptions(ctx, { services }), { cwd: ctx.cwd, env: ctx.env });
  for (const w of [...loaded.discoveryWarnings, ...loaded.warnings]) warn(ctx, w);
  return loaded.project;
}

/**
 * For `down`, `ps`, `logs`, `stop`...: the project file if it loads, else just
 * the name from -p / COMPOSE_PROJECT_NAME, since these work from labels alone.
 */
export function projectOrName(ctx: CliContext): { name: string; project?: Project } {
  try {
    const project = loadProjectFor(ctx);
    return { name: project.name, project };
  } catch (err) {
    const fallback = ctx.globals.projectName ?? ctx.env.COMPOSE_PROJECT_NAME;
    const noFile = err instanceof TugError && err.code.startsWith('discover.');
    if (fallback && (noFile || isUserError(err))) {
      if (!noFile) warn(ctx, `the Compose file has problems; working from what runs for project "${fallback}"`);
      return { name: fallback };
    }
    throw err;
  }
}

export async function withBackend<T>(ctx: CliContext, fn: (backend: RuntimeBackend) => Promise<T>): Promise<T> {
  const backend = await selectBackend(ctx.globals.backend, ctx.env, (message) => warn(ctx, message));
  try {
    return await fn(backend);
  } finally {
    await backend.close();
  }
}

export function throwBackendProblems(backend: RuntimeBackend, project: Project): void {
  const problems = backend.validate(project);
  if (problems.length > 0) throw new ConfigErrors(problems);
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

export function tugVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** The part of the user's environment a host process needs. */
export function hostEnvironment(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const keep = ['PATH', 'HOME', 'USER', 'LOGNAME', 'SHELL', 'LANG', 'LC_ALL', 'TZ', 'TERM', 'TMPDIR'];
  const out: Record<string, string> = {};
  for (const k of keep) if (env[k] !== undefined) out[k] = env[k]!;
  return out;
}
