// The bridge between the machine and the pure loader: finds the Compose files,
// reads them and the .env files, builds the interpolation environment (the
// process environment wins over .env) and hands everything to loadProject.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { loadProject, type LoadResult } from '../core/load/load-project.js';
import { defaultHost, readProjectSources, type HostContext, type ProjectOptions } from './project-sources.js';
import { readText } from './read-text.js';

export type { HostContext, ProjectOptions } from './project-sources.js';

export function openProject(opts: ProjectOptions, host: HostContext = defaultHost()): LoadResult & { discoveryWarnings: string[] } {
  const { files, workingDir, environment, warnings } = readProjectSources(opts, host);
  const profiles = [...(opts.profiles ?? [])];
  if (profiles.length === 0 && environment.COMPOSE_PROFILES) profiles.push(...environment.COMPOSE_PROFILES.split(','));
  const result = loadProject({
    files,
    workingDir,
    environment,
    homeDir: environment.HOME ?? homedir(),
    readFile: readText,
    pathExists: (path) => existsSync(path),
    projectName: opts.projectName,
    profiles: profiles.map((p) => p.trim()).filter((p) => p !== ''),
    services: opts.services,
    interpolate: opts.interpolate,
  });
  return { ...result, discoveryWarnings: warnings };
}

