// Loads ONE Compose file into a raw model: parse → interpolate → validate →
// resolve paths → include → extends, the per-file order Compose uses. Files are
// read through the injected `readFile`, so this stays pure and unit-testable.
import { dirname } from 'node:path';
import { TugError, type PathSegment } from '../errors.js';
import { parseDotenv } from './dotenv.js';
import { interpolateModel } from './interpolate-model.js';
import { mergeExtended, mergeModels } from './merge.js';
import { checkNames } from './names.js';
import { parseYaml } from './parse.js';
import { resolveModelPaths, absolute, isRemoteRef } from './resolve-paths.js';
import type { SourceLocator } from './source.js';
import { closest } from './suggest.js';
import { validateSchema } from './validate.js';
import { stripTags, isYamlTag } from './yaml-tags.js';
import { dict, dictOf, own } from '../dict.js';

export type RawModel = Record<string, unknown>;

export interface FileLoadContext {
  environment: Readonly<Record<string, string>>;
  interpolate: boolean;
  homeDir: string;
  /**
   * Text of a file by absolute path; undefined when there is no such file.
   * Throws a TugError when something unusable is there (a directory, not UTF-8).
   */
  readFile(path: string): string | undefined;
  /** Maps a remote reference (`remote:x`, `git::…`) to a local file, when a loader for it exists. */
  resolveRemote?(ref: string): string | undefined;
  /** Every file read so far, for locating errors later. */
  sources: SourceLocator[];
  errors: TugError[];
  /** Unset variables, each warned about once. */
  unset: Set<string>;
  warnings: string[];
}

export interface LoadedFile {
  model: RawModel;
  source: SourceLocator;
}

/** Parse, interpolate and validate one file; undefined when it is unusable. */
export function readModel(path: string, text: string, ctx: FileLoadContext, env = ctx.environment): LoadedFile | undefined {
  let parsed;
  try {
    parsed = parseYaml(path, text);
  } catch (err) {
    collect(ctx, err);
    return undefined;
  }
  const { source } = parsed;
  ctx.sources.push(source);
  let value = parsed.value;
  if (value === null || value === undefined) {
    ctx.errors.push(new TugError({ code: 'load.empty', message: `empty compose file: ${path}`, location: { file: path, line: 1, column: 1 } }));
    return undefined;
  }
  if (typeof value !== 'object' || Array.isArray(value) || isYamlTag(value)) {
    ctx.errors.push(
      new TugError({
        code: 'load.not-a-mapping',
        message: `the top level of ${path} must be a mapping`,
        location: source.locate([]),
        expected: 'keys such as services:, networks:, volumes:',
      }),
    );
    return undefined;
  }
  if (ctx.interpolate) {
    const outcome = interpolateModel(value, env);
    value = outcome.value;
    for (const name of outcome.unset) {
      if (!ctx.unset.has(name)) {
        ctx.unset.add(name);
        ctx.warnings.push(`the "${name}" variable is not set; defaulting to a blank string`);
      }
    }
    for (const e of outcome.errors) ctx.errors.push(locateError(e, source));
  }
  const plain = stripTags(value);
  const schemaErrors = validateSchema(plain, source);
  ctx.errors.push(...schemaErrors);
  if (schemaErrors.length > 0) return undefined;
  // Values with variables left in them are for display only (config --no-interpolate).
  if (ctx.interpolate) ctx.errors.push(...checkNames(plain as RawModel, source));
  const model = value as RawModel;
  if (Object.hasOwn(model, 'version')) {
    ctx.warnings.push(`${path}: the attribute "version" is obsolete and ignored`);
    delete model.version;
  }
  return { model, source };
}

/** A whole file with its includes and extends resolved, paths made absolute. */
export function loadComposeFile(
  path: string,
  text: string,
  baseDir: string,
  ctx: FileLoadContext,
  includeStack: readonly string[] = [],
  env = ctx.environment,
): RawModel | undefined {
  const loaded = readModel(path, text, ctx, env);
  if (!loaded) return undefined;
  let model = resolveModelPaths(loaded.model, { baseDir, homeDir: ctx.homeDir });
  model = resolveIncludes(model, loaded.source, baseDir, ctx, [...includeStack, path], env);
  return resolveExtends(model, path, loaded.source, ctx, env);
}

// ---- include ---------------------------------------------------------------

function resolveIncludes(
  model: RawModel,
  source: SourceLocator,
  baseDir: string,
  ctx: FileLoadContext,
  stack: readonly string[],
  env: Readonly<Record<string, string>>,
): RawModel {
  const entries = model.include;
  delete model.include;
  if (!Array.isArray(entries)) return model;
  let merged: RawModel = {};
  entries.forEach((entry, index) => {
    const spec = typeof entry === 'string' ? { path: entry } : (entry as Record<string, unknown>);
    const paths = (Array.isArray(spec.path) ? spec.path : [spec.path]).map((p) =>
      localPath(String(p), baseDir, ctx),
    );
    const projectDir = typeof spec.project_directory === 'string'
      ? absolute(spec.project_directory, { baseDir, homeDir: ctx.homeDir })
      : dirname(paths[0] ?? baseDir);
    const includedEnv = includeEnvironment(spec, index, source, projectDir, baseDir, ctx, env);
    for (const p of paths) {
      if (p !== undefined && stack.includes(p)) {
        ctx.errors.push(
          new TugError({
            code: 'load.include-cycle',
            message: `include cycle detected: ${[...stack, p].join(' -> ')}`,
            location: source.locate(['include', index]),
            path: ['include', index],
          }),
        );
        continue;
      }
      const text = p === undefined ? undefined : readReferenced(ctx, p, source, ['include', index]);
      if (text === null) continue;
      if (text === undefined || p === undefined) {
        ctx.errors.push(missingFile(String(p ?? spec.path), source, ['include', index], 'included file'));
        continue;
      }
      const included = loadComposeFile(p, text, projectDir, ctx, stack, includedEnv);
      if (included) merged = mergeModels(merged, included);
    }
  });
  // The including file's own definitions win over what it includes.
  return mergeModels(merged, model);
}

function includeEnvironment(
  spec: Record<string, unknown>,
  index: number,
  source: SourceLocator,
  projectDir: string,
  baseDir: string,
  ctx: FileLoadContext,
  env: Readonly<Record<string, string>>,
): Record<string, string> {
  const implicit = spec.env_file === undefined;
  const files = implicit
    ? [`${projectDir}/.env`]
    : (Array.isArray(spec.env_file) ? spec.env_file : [spec.env_file]).map((f) =>
        absolute(String(f), { baseDir, homeDir: ctx.homeDir }),
      );
  const fromFiles = dict<string>();
  for (const f of files) {
    const text = readReferenced(ctx, f, source, ['include', index, 'env_file'], implicit ? ['file.is-directory'] : []);
    if (text === undefined || text === null) continue;
    const earlier = dictOf(fromFiles);
    try {
      const parsed = parseDotenv(text, (k) => own(env, k), f, { previousFiles: (k) => own(earlier, k) });
      for (const [key, value] of Object.entries(parsed)) fromFiles[key] = value;
    } catch (err) {
      collect(ctx, err);
    }
  }
  // The including project's environment takes precedence.
  return { ...fromFiles, ...env };
}

// ---- extends ---------------------------------------------------------------

interface ExtendsScope {
  path: string;
  services: Record<string, unknown>;
  source: SourceLocator;
}

function resolveExtends(
  model: RawModel,
  path: string,
  source: SourceLocator,
  ctx: FileLoadContext,
  env: Readonly<Record<string, string>>,
): RawModel {
  const services = model.services as Record<string, unknown> | undefined;
  if (!services || typeof services !== 'object') return model;
  const scope: ExtendsScope = { path, services, source };
  const externalScopes = new Map<string, ExtendsScope | undefined>();
  const resolved = dict();
  // Each service is resolved once: without this, a chain of n services that extend each other was merged n² times.
  const done = new Map<string, unknown>();

  const loadScope = (ref: string, from: ExtendsScope, at: PathSegment[]): ExtendsScope | undefined => {
    const file = localPath(ref, dirname(from.path), ctx);
    if (file === undefined) {
      ctx.errors.push(missingFile(ref, from.source, at, 'no loader for the extended file'));
      return undefined;
    }
    if (file === scope.path) return scope;
    if (externalScopes.has(file)) return externalScopes.get(file);
    const text = readReferenced(ctx, file, from.source, at);
    let result: ExtendsScope | undefined;
    if (text === undefined) {
      ctx.errors.push(missingFile(file, from.source, at, 'extended file'));
    } else if (text !== null) {
      const loaded = readModel(file, text, ctx, env);
      if (loaded) {
        const m = resolveModelPaths(loaded.model, { baseDir: dirname(file), homeDir: ctx.homeDir });
        result = { path: file, services: (m.services as Record<string, unknown>) ?? {}, source: loaded.source };
      }
    }
    externalScopes.set(file, result);
    return result;
  };

  const resolveService = (name: string, where: ExtendsScope, stack: string[]): unknown => {
    const key = `${where.path}#${name}`;
    if (done.has(key)) return done.get(key);
    const result = resolveOnce(name, where, stack);
    done.set(key, result);
    return result;
  };

  const resolveOnce = (name: string, where: ExtendsScope, stack: string[]): unknown => {
    const svc = where.services[name];
    const ext = svc && typeof svc === 'object' ? (svc as Record<string, unknown>).extends : undefined;
    if (ext === undefined) return svc;
    const target = typeof ext === 'string' ? { service: ext } : (ext as { service: string; file?: string });
    const at: PathSegment[] = ['services', name, 'extends'];
    const targetScope = target.file ? loadScope(target.file, where, at) : where;
    if (!targetScope) return svc;
    const id = `${targetScope.path}#${target.service}`;
    if (stack.includes(id)) {
      const names = [...stack, id].map((s) => s.slice(s.lastIndexOf('#') + 1));
      ctx.errors.push(
        new TugError({
          code: 'load.extends-cycle',
          message: `extends cycle detected (circular reference): ${names.join(' -> ')}`,
          location: where.source.locate(at),
          path: at,
        }),
      );
      return svc;
    }
    if (!Object.hasOwn(targetScope.services, target.service)) {
      const guess = closest(target.service, Object.keys(targetScope.services));
      ctx.errors.push(
        new TugError({
          code: 'load.extends-unknown',
          message: `service "${name}" extends undefined service "${target.service}"${target.file ? ` in ${target.file}` : ''}`,
          location: where.source.locate(at),
          path: at,
          hint: guess ? `did you mean "${guess}"?` : undefined,
        }),
      );
      return svc;
    }
    const base = resolveService(target.service, targetScope, [...stack, id]);
    return mergeExtended((base ?? {}) as RawModel, svc as RawModel);
  };

  for (const name of Object.keys(services)) {
    resolved[name] = resolveService(name, scope, [`${scope.path}#${name}`]);
  }
  return { ...model, services: resolved };
}

// ---- helpers ---------------------------------------------------------------

/** A path as a local file: remote references go through the resource loader. */
function localPath(ref: string, baseDir: string, ctx: FileLoadContext): string | undefined {
  if (isRemoteRef(ref)) return ctx.resolveRemote?.(ref);
  return absolute(ref, { baseDir, homeDir: ctx.homeDir });
}

/**
 * A file the model refers to: its text, undefined when there is no such file,
 * or null when it is unusable (the problem is reported at `at`, unless its
 * code is one to ignore, as for an implicit .env that is a directory).
 */
function readReferenced(
  ctx: FileLoadContext,
  file: string,
  source: SourceLocator,
  at: PathSegment[],
  ignore: readonly string[] = [],
): string | undefined | null {
  try {
    return ctx.readFile(file);
  } catch (err) {
    if (!(err instanceof TugError)) throw err;
    if (!ignore.includes(err.code)) ctx.errors.push(err.location ? err : new TugError({ ...err.toInit(), path: at, location: source.locate(at) }));
    return null;
  }
}

function missingFile(file: string, source: SourceLocator, at: PathSegment[], what: string): TugError {
  return new TugError({
    code: 'load.missing-file',
    message: `${what} not found: ${file}`,
    location: source.locate(at),
    path: at,
  });
}

export function locateError(err: TugError, source: SourceLocator): TugError {
  return err.location || !err.path ? err : err.withLocation(source.locate(err.path));
}

function collect(ctx: FileLoadContext, err: unknown): void {
  if (err instanceof TugError) ctx.errors.push(err);
  else if (err && typeof err === 'object' && 'errors' in err && Array.isArray((err as { errors: unknown }).errors)) {
    ctx.errors.push(...((err as { errors: TugError[] }).errors));
  } else throw err;
}
