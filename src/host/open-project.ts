// The bridge between the machine and the pure loader: finds the Compose files,
// reads them and the .env files, builds the interpolation environment (the
// process environment wins over .env) and hands everything to loadProject.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { TugError } from '../core/errors.js';
import { discoverFiles } from '../core/load/discover.js';
import { parseDotenv } from '../core/load/dotenv.js';
import { loadProject, type LoadResult } from '../core/load/load-project.js';

export interface ProjectOptions {
  files?: string[];
  projectName?: string;
  profiles?: string[];
  envFiles?: string[];
  projectDirectory?: string;
  /** Services named on the command line. */
  services?: string[];
  interpolate?: boolean;
}

export interface HostContext {
  cwd: string;
  env: Readonly<Record<string, string | undefined>>;
  readStdin?: () => string;
}

export function openProject(opts: ProjectOptions, host: HostContext = defaultHost()): LoadResult & { discoveryWarnings: string[] } {
  const osEnv = definedOnly(host.env);
  // First pass: a .env beside the project may itself set COMPOSE_FILE, COMPOSE_PROFILES...
  const firstDir = opts.projectDirectory ? resolve(host.cwd, opts.projectDirectory) : host.cwd;
  const early = { ...readEnvFiles(opts, firstDir, host, osEnv), ...osEnv };
  const discovery = discoverFiles({
    cwd: host.cwd,
    files: opts.files ?? [],
    env: early,
    projectDirectory: opts.projectDirectory,
    exists: (p) => existsSync(p),
  });
  const dotenv = discovery.workingDir === firstDir ? early : readEnvFiles(opts, discovery.workingDir, host, osEnv);
  const environment = { ...dotenv, ...osEnv };
  const files = discovery.files.map((path) => ({
    path,
    content: path === '-' ? (host.readStdin ?? (() => readFileSync(0, 'utf8')))() : readFileSync(path, 'utf8'),
  }));
  const profiles = [...(opts.profiles ?? [])];
  if (profiles.length === 0 && environment.COMPOSE_PROFILES) profiles.push(...environment.COMPOSE_PROFILES.split(','));
  const result = loadProject({
    files,
    workingDir: discovery.workingDir,
    environment,
    homeDir: environment.HOME ?? homedir(),
    readFile: readTextIfFile,
    projectName: opts.projectName,
    profiles: profiles.map((p) => p.trim()).filter((p) => p !== ''),
    services: opts.services,
    interpolate: opts.interpolate,
  });
  return { ...result, discoveryWarnings: discovery.warnings };
}

function readEnvFiles(
  opts: ProjectOptions,
  dir: string,
  host: HostContext,
  osEnv: Record<string, string>,
): Record<string, string> {
  const explicit = opts.envFiles && opts.envFiles.length > 0 ? opts.envFiles : osEnv.COMPOSE_ENV_FILES?.split(',');
  if (!explicit && osEnv.COMPOSE_DISABLE_ENV_FILE && /^(1|true)$/i.test(osEnv.COMPOSE_DISABLE_ENV_FILE)) return {};
  const paths = explicit ? explicit.map((f) => resolve(host.cwd, f)) : [join(dir, '.env')];
  const values: Record<string, string> = {};
  for (const path of paths) {
    const text = readTextIfFile(path);
    if (text === undefined) {
      if (!explicit) continue;
      throw new TugError({
        code: 'env-file.missing',
        message: `env file not found: ${path}`,
        hint: 'check the --env-file value',
      });
    }
    // Later files override earlier ones; the OS environment is consulted first for ${VAR}.
    const earlier = { ...values };
    Object.assign(values, parseDotenv(text, (k) => osEnv[k], path, { previousFiles: (k) => earlier[k] }));
  }
  return values;
}

function readTextIfFile(path: string): string | undefined {
  try {
    if (!statSync(path).isFile()) return undefined;
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function definedOnly(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  return out;
}

function defaultHost(): HostContext {
  return { cwd: process.cwd(), env: process.env };
}
