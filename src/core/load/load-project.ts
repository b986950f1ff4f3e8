// The loader's entry point: Compose file texts + environment in, one validated,
// normalized Project out (or every problem found, all at once). Pure: files
// beyond the given ones are read through `readFile`, the environment is passed in.
import { ConfigErrors, TugError, type PathSegment } from '../errors.js';
import { buildServiceGraph } from '../graph/service-graph.js';
import type { Project, ServiceSpec } from '../model/types.js';
import { checkProject } from './check.js';
import { checkNetworksAndLimits } from './check-networks.js';
import { checkWatchRules, missingWatchPaths, warningText } from './check-watch.js';
import { parseDotenv } from './dotenv.js';
import { loadComposeFile, type FileLoadContext, type RawModel } from './load-file.js';
import { mergeModels } from './merge.js';
import {
  addImplicitDefaultNetwork,
  normalizeFileObjects,
  normalizeNetworks,
  normalizeVolumesTop,
} from './normalize/resources.js';
import { normalizeService } from './normalize/service.js';
import { selectByProfiles } from './profiles.js';
import { chooseProjectName } from './project-name.js';
import type { SourceLocator } from './source.js';
import { dict, own } from '../dict.js';

export interface ConfigSource {
  /** Absolute path, or "-" for stdin. */
  path: string;
  content: string;
}

export interface LoadRequest {
  files: ConfigSource[];
  /** Absolute project directory; relative paths in the main files resolve against it. */
  workingDir: string;
  /** The interpolation environment: process environment over .env files. */
  environment: Readonly<Record<string, string>>;
  homeDir: string;
  readFile(path: string): string | undefined;
  /** Whether a file or directory exists; when given, missing `develop.watch` paths are warned about. */
  pathExists?(path: string): boolean;
  /** Maps remote references (`remote:x`, `git::…`) in extends/include to local files. */
  resolveRemote?(ref: string): string | undefined;
  /** -p value, if given. */
  projectName?: string;
  /** --profile values plus COMPOSE_PROFILES. */
  profiles?: string[];
  /** Services named on the command line: their profiles are switched on. */
  services?: string[];
  /** false for `config --no-interpolate`. */
  interpolate?: boolean;
}

export interface LoadResult {
  project: Project;
  warnings: string[];
  /** Finds the file position of a YAML path in the merged model (last file that has it wins). */
  locate(path: readonly PathSegment[]): TugError['location'];
}

export function loadProject(req: LoadRequest): LoadResult {
  const ctx: FileLoadContext = {
    environment: req.environment,
    interpolate: req.interpolate ?? true,
    homeDir: req.homeDir,
    readFile: req.readFile,
    resolveRemote: req.resolveRemote,
    sources: [],
    errors: [],
    unset: new Set(),
    warnings: [],
  };
  let merged: RawModel = {};
  for (const file of req.files) {
    const model = loadComposeFile(file.path, file.content, req.workingDir, ctx);
    if (model) merged = mergeModels(merged, model);
  }
  const locate = locatorOver(ctx.sources);
  if (ctx.errors.length > 0) throw new ConfigErrors(ctx.errors);

  const name = projectNameOf(req, merged, locate);

  const errors: TugError[] = [];
  const located = (list: TugError[]) => list.map((e) => (e.location || !e.path ? e : e.withLocation(locate(e.path))));
  const lookupEnv = (k: string) => own(req.environment, k);
  const normalizeCtx = {
    workingDir: req.workingDir,
    homeDir: req.homeDir,
    lookupEnv,
    readFile: req.readFile,
    parseEnvFile: (text: string, fileName: string) => parseDotenv(text, lookupEnv, fileName),
  };

  if (ctx.interpolate === false) return uninterpolated(merged, name, req, ctx.warnings, locate);

  const all = dict<ServiceSpec>();
  const rawServices = (merged.services ?? {}) as Record<string, unknown>;
  for (const svcName of Object.keys(rawServices)) {
    const raw = (rawServices[svcName] ?? {}) as Record<string, unknown>;
    const { service, errors: svcErrors } = normalizeService(svcName, raw, normalizeCtx);
    errors.push(...located(svcErrors));
    all[svcName] = service;
  }
  const resourceErrors: TugError[] = [];
  const networks = normalizeNetworks(merged.networks, name, normalizeCtx, resourceErrors);
  const volumes = normalizeVolumesTop(merged.volumes, name, normalizeCtx, resourceErrors);
  const secrets = normalizeFileObjects(merged.secrets, name, normalizeCtx, 'secrets', resourceErrors);
  const configs = normalizeFileObjects(merged.configs, name, normalizeCtx, 'configs', resourceErrors);
  errors.push(...located(resourceErrors));

  const unknownNamed = (req.services ?? []).filter((s) => !Object.hasOwn(all, s));
  for (const s of unknownNamed) errors.push(unknownServiceError(s, Object.keys(all)));

  const project = assemble(name, req, merged, all, {
    networks,
    volumes,
    secrets,
    configs,
  });
  project.networks = addImplicitDefaultNetwork(networks, project.services, name);
  errors.push(...located(checkProject(project)));
  errors.push(...located(checkNetworksAndLimits(project)));
  errors.push(...located(checkWatchRules(project)));
  errors.push(...graphErrors(project, locate));
  if (errors.length > 0) throw new ConfigErrors(errors);
  const exists = req.pathExists;
  if (exists) ctx.warnings.push(...missingWatchPaths(project, (p) => exists(p)).map((w) => warningText(w, locate)));
  return { project, warnings: ctx.warnings, locate };
}

/**
 * `config --no-interpolate`: the merged files as written, variables kept. Values
 * such as "${PORT}:80" cannot be normalized or checked before substitution, so
 * this model is for display only; nothing runs from it.
 */
function uninterpolated(
  merged: RawModel,
  name: string,
  req: LoadRequest,
  warnings: string[],
  locate: LoadResult['locate'],
): LoadResult {
  const section = <T>(key: string) => (merged[key] ?? {}) as Record<string, T>;
  const project = assemble(name, req, merged, section<ServiceSpec>('services'), {
    networks: section('networks'),
    volumes: section('volumes'),
    secrets: section('secrets'),
    configs: section('configs'),
  });
  return { project, warnings, locate };
}

/** The Project record: services split by profiles, top-level x- fields kept. */
function assemble(
  name: string,
  req: LoadRequest,
  merged: RawModel,
  services: Record<string, ServiceSpec>,
  rest: Pick<Project, 'networks' | 'volumes' | 'secrets' | 'configs'>,
): Project {
  const selection = selectByProfiles(services, req.profiles ?? [], req.services ?? []);
  return {
    name,
    workingDir: req.workingDir,
    configFiles: req.files.map((f) => f.path),
    services: selection.enabled,
    disabledServices: selection.disabled,
    extensions: Object.fromEntries(Object.entries(merged).filter(([k]) => k.startsWith('x-'))),
    ...rest,
  };
}

function projectNameOf(req: LoadRequest, merged: RawModel, locate: LoadResult['locate']): string {
  try {
    return chooseProjectName({
      flag: req.projectName,
      env: req.environment.COMPOSE_PROJECT_NAME,
      fromFile: typeof merged.name === 'string' ? merged.name : undefined,
      directory: req.workingDir,
    }).name;
  } catch (err) {
    if (err instanceof TugError && err.path) throw err.withLocation(locate(err.path));
    throw err;
  }
}

/** Dependency problems join the other semantic errors, so a user sees them all at once. */
function graphErrors(project: Project, locate: (path: readonly PathSegment[]) => TugError['location']): TugError[] {
  try {
    buildServiceGraph(project, (path) => locate(path));
    return [];
  } catch (err) {
    if (err instanceof ConfigErrors) return err.errors;
    if (err instanceof TugError) return [err];
    throw err;
  }
}

function unknownServiceError(name: string, known: string[]): TugError {
  return new TugError({
    code: 'project.unknown-service',
    message: `no such service: ${name}`,
    hint: known.length > 0 ? `services in this project: ${known.join(', ')}` : undefined,
    exitCode: 1,
  });
}

/** After merging, a path may come from any file: prefer the last file that has it. */
function locatorOver(sources: readonly SourceLocator[]): (path: readonly PathSegment[]) => TugError['location'] {
  return (path) => {
    for (let depth = path.length; depth > 0; depth--) {
      const prefix = path.slice(0, depth);
      for (let i = sources.length - 1; i >= 0; i--) {
        if (sources[i]!.has(prefix)) return sources[i]!.locate(path);
      }
    }
    return sources[0]?.locate(path);
  };
}
