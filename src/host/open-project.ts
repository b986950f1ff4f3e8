// The bridge between the machine and the pure loader: finds the Compose files,
// reads them and the .env files, builds the interpolation environment (the
// process environment wins over .env) and hands everything to loadProject.
// Every file the load looks at is recorded (the Compose files, the .env files,
// and whatever the loader reads: include and extends targets, env_file and
// label_file), so watch can reload when any of them changes.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { loadProject, type LoadResult } from '../core/load/load-project.js';
import { defaultHost, readProjectSources, type HostContext, type ProjectOptions } from './project-sources.js';
import { readText } from './read-text.js';

export type { HostContext, ProjectOptions } from './project-sources.js';

export interface OpenedProject extends LoadResult {
  discoveryWarnings: string[];
  /** Every file this load read or looked for, absolute paths. */
  sourceFiles: string[];
}

/**
 * Loads the project. `reads` (when given) collects the files looked at, even
 * when loading fails: a broken include is still a file to watch for its fix.
 */
export function openProject(opts: ProjectOptions, host: HostContext = defaultHost(), reads: Set<string> = new Set()): OpenedProject {
  const { files, envFiles, workingDir, environment, warnings } = readProjectSources(opts, host);
  for (const file of [...files.map((f) => f.path), ...envFiles]) if (file !== '-') reads.add(file);
  const profiles = [...(opts.profiles ?? [])];
  if (profiles.length === 0 && environment.COMPOSE_PROFILES) profiles.push(...environment.COMPOSE_PROFILES.split(','));
  const result = loadProject({
    files,
    workingDir,
    environment,
    homeDir: environment.HOME ?? homedir(),
    readFile: (path) => {
      reads.add(path);
      return readText(path);
    },
    pathExists: (path) => existsSync(path),
    projectName: opts.projectName,
    profiles: profiles.map((p) => p.trim()).filter((p) => p !== ''),
    services: opts.services,
    interpolate: opts.interpolate,
  });
  return { ...result, discoveryWarnings: warnings, sourceFiles: [...reads] };
}
