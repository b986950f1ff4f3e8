// Opening a project from code: find and load its Compose files as the CLI
// does (`projectDirectory`, `files`, `profiles`, `env` in place of the process
// environment), pick the backend, and hand back a Project. Loading problems
// throw the same TugError/ConfigErrors the CLI prints.
import { resolve } from 'node:path';
import type { EventSink, EngineHooks } from '../engine/events.js';
import { stamp } from '../engine/events.js';
import { openProject as loadProject } from '../host/open-project.js';
import { engineContext, projectFor } from './engine-context.js';
import type { Project } from './project.js';

export interface OpenProjectOptions {
  /** Where the project is (default: the current directory, searched upwards for compose.yaml like the CLI). */
  projectDirectory?: string;
  /** Compose files, in order (default: discovered, with the override file). */
  files?: string[];
  /** The environment for interpolation, .env lookup and the backend (default: process.env). */
  env?: Readonly<Record<string, string | undefined>>;
  profiles?: string[];
  envFiles?: string[];
  projectName?: string;
  /** 'native' (default) or 'docker'. */
  backend?: string;
  /** Native backend: 'auto' (default), 'container' or 'process' (else TUG_ISOLATION). */
  isolation?: string;
  /** Most operations in flight at once (default: the backend's). */
  parallel?: number;
  /** Typed progress events: plan steps, warnings, image progress, attached output. */
  onEvent?: EventSink;
}

export async function openProject(opts: OpenProjectOptions = {}): Promise<Project> {
  const env = opts.env ?? process.env;
  const cwd = opts.projectDirectory ? resolve(opts.projectDirectory) : process.cwd();
  const load = () =>
    loadProject(
      { files: opts.files, projectName: opts.projectName, profiles: opts.profiles, envFiles: opts.envFiles, projectDirectory: opts.projectDirectory },
      { cwd, env },
    );
  const loaded = load();
  const hooks: EngineHooks = { event: opts.onEvent ?? (() => {}) };
  for (const message of [...loaded.discoveryWarnings, ...loaded.warnings]) hooks.event(stamp({ type: 'warning', message }));
  return projectFor(await engineContext(opts, env, hooks), loaded.project, { files: loaded.sourceFiles, load });
}
