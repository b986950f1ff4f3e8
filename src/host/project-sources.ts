// Finding a project on disk: its Compose files, its directory and the
// interpolation environment (the process environment wins over .env). Kept
// apart from the loader so commands that only need the project's name stay light.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { TugError } from '../core/errors.js';
import { discoverFiles } from '../core/load/discover.js';
import { parseDotenv } from '../core/load/dotenv.js';
import { interpolateString } from '../core/load/interpolate.js';
import type { ConfigSource } from '../core/load/load-project.js';
import { parseYaml } from '../core/load/parse.js';
import { chooseProjectName } from '../core/load/project-name.js';
import { decodeText } from '../core/load/text.js';
import { isDirectory, readText } from './read-text.js';
import { dict, dictOf, own } from '../core/dict.js';

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

export interface ProjectSources {
  files: ConfigSource[];
  /** The .env files looked for (an implicit .env that is not there included): watch reloads when one appears or changes. */
  envFiles: string[];
  workingDir: string;
  /** The interpolation environment: process environment over .env. */
  environment: Record<string, string>;
  warnings: string[];
}

/** The files, project directory and environment, before anything is parsed. */
export function readProjectSources(opts: ProjectOptions, host: HostContext = defaultHost()): ProjectSources {
  const osEnv = definedOnly(host.env);
  // First pass: a .env beside the project may itself set COMPOSE_FILE, COMPOSE_PROFILES...
  const firstDir = opts.projectDirectory ? resolve(host.cwd, opts.projectDirectory) : host.cwd;
  if (opts.projectDirectory) checkProjectDirectory(firstDir);
  const early = { ...readEnvFiles(opts, firstDir, host, osEnv), ...osEnv };
  const discovery = discoverFiles({
    cwd: host.cwd,
    files: opts.files ?? [],
    env: early,
    projectDirectory: opts.projectDirectory,
    exists: (p) => existsSync(p),
  });
  const dotenv = discovery.workingDir === firstDir ? early : readEnvFiles(opts, discovery.workingDir, host, osEnv);
  const files = discovery.files.map((path) => ({
    path,
    content: path === '-' ? (host.readStdin ?? readStdin)() : readComposeFile(path),
  }));
  const envFiles = envFilePaths(opts, discovery.workingDir, host, osEnv);
  return { files, envFiles, workingDir: discovery.workingDir, environment: { ...dotenv, ...osEnv }, warnings: discovery.warnings };
}

/**
 * Only the project's name, for commands that work from what runs (ps, logs,
 * exec): no validation or normalization, so they start fast and still work
 * when the rest of the file has problems.
 */
export function projectNameOf(opts: ProjectOptions, host: HostContext = defaultHost()): string {
  if (opts.projectName) return chooseProjectName({ flag: opts.projectName, directory: host.cwd }).name;
  const { files, workingDir, environment } = readProjectSources(opts, host);
  let fromFile: string | undefined;
  for (const file of files) {
    const value = parseYaml(file.path, file.content).value as { name?: unknown } | null;
    if (value && typeof value === 'object' && typeof value.name === 'string') {
      fromFile = interpolateString(value.name, (k) => own(environment, k));
    }
  }
  return chooseProjectName({ env: environment.COMPOSE_PROJECT_NAME, fromFile, directory: workingDir }).name;
}

export function readEnvFiles(
  opts: ProjectOptions,
  dir: string,
  host: HostContext,
  osEnv: Record<string, string>,
): Record<string, string> {
  const explicit = explicitEnvFiles(opts, osEnv);
  const paths = envFilePaths(opts, dir, host, osEnv);
  const values = dict<string>();
  for (const path of paths) {
    // An implicit .env that is a directory is someone's virtualenv, not ours: skip it, as Compose does.
    if (!explicit && isDirectory(path)) continue;
    const text = withHint(() => readText(path), explicit ? 'check the --env-file value' : undefined);
    if (text === undefined) {
      if (!explicit) continue;
      throw new TugError({
        code: 'env-file.missing',
        message: `env file not found: ${path}`,
        hint: 'check the --env-file value',
      });
    }
    // Later files override earlier ones; the OS environment is consulted first for ${VAR}.
    const earlier = dictOf(values);
    for (const [key, value] of Object.entries(parseDotenv(text, (k) => own(osEnv, k), path, { previousFiles: (k) => own(earlier, k) }))) values[key] = value;
  }
  return values;
}

/** --env-file values, else COMPOSE_ENV_FILES; undefined when neither is given (the implicit .env then). */
function explicitEnvFiles(opts: ProjectOptions, osEnv: Record<string, string>): string[] | undefined {
  return opts.envFiles && opts.envFiles.length > 0 ? opts.envFiles : osEnv.COMPOSE_ENV_FILES?.split(',');
}

/** The .env files of a project in `dir`, in the order they apply. */
function envFilePaths(opts: ProjectOptions, dir: string, host: HostContext, osEnv: Record<string, string>): string[] {
  const explicit = explicitEnvFiles(opts, osEnv);
  if (!explicit && osEnv.COMPOSE_DISABLE_ENV_FILE && /^(1|true)$/i.test(osEnv.COMPOSE_DISABLE_ENV_FILE)) return [];
  return explicit ? explicit.map((f) => resolve(host.cwd, f)) : [join(dir, '.env')];
}

/** Adds a hint to a file problem that has none (what the user should look at). */
function withHint<T>(read: () => T, hint: string | undefined): T {
  try {
    return read();
  } catch (err) {
    if (hint && err instanceof TugError && !err.hint) throw new TugError({ ...err.toInit(), hint });
    throw err;
  }
}

/** --project-directory must name a directory: relative paths in the files resolve against it. */
function checkProjectDirectory(dir: string): void {
  if (isDirectory(dir)) return;
  throw new TugError({
    code: 'discover.project-directory',
    message: `--project-directory ${dir}: ${existsSync(dir) ? 'not a directory' : 'no such directory'}`,
    hint: 'give the directory that holds the project',
  });
}

/** A Compose file named by -f, COMPOSE_FILE or discovery: it exists (discovery checked), so any problem is news. */
function readComposeFile(path: string): string {
  const text = withHint(() => readText(path), 'name a Compose file with -f (a directory goes to --project-directory)');
  if (text === undefined) {
    throw new TugError({ code: 'discover.missing-file', message: `Compose file not found: ${path}`, hint: 'check the -f / COMPOSE_FILE value' });
  }
  return text;
}

function readStdin(): string {
  return decodeText(readFileSync(0), '-');
}

function definedOnly(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out = dict<string>();
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  return out;
}

export function defaultHost(): HostContext {
  return { cwd: process.cwd(), env: process.env };
}
