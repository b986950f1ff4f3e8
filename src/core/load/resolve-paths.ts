// Makes the relative paths of one raw Compose file absolute before files are
// merged, because each file's paths are relative to its own base: the project
// directory for the main files, the file's own directory for an `extends: file:`
// base or an `include`. After this step a path no longer depends on where it came from.
import { isAbsolute, resolve } from 'node:path';
import { isYamlTag, YamlTag } from './yaml-tags.js';
import { dict } from '../dict.js';

export interface PathBase {
  baseDir: string;
  homeDir: string;
}

type Raw = Record<string, unknown>;

export function resolveModelPaths(model: Raw, base: PathBase): Raw {
  const out: Raw = { ...model };
  out.services = mapEntries(model.services, (svc) => resolveServicePaths(svc, base));
  for (const key of ['secrets', 'configs'] as const) {
    out[key] = mapEntries(model[key], (obj) =>
      isObject(obj) && typeof obj.file === 'string' ? { ...obj, file: absolute(obj.file, base) } : obj,
    );
  }
  if (model.services === undefined) delete out.services;
  for (const key of ['secrets', 'configs'] as const) if (model[key] === undefined) delete out[key];
  return out;
}

export function resolveServicePaths(svc: unknown, base: PathBase): unknown {
  if (!isObject(svc)) return svc;
  const out: Raw = { ...svc };
  if ('build' in svc) out.build = withTag(svc.build, (b) => resolveBuild(b, base));
  if ('volumes' in svc) out.volumes = withTag(svc.volumes, (v) => mapList(v, (m) => resolveMount(m, base)));
  if ('env_file' in svc) out.env_file = withTag(svc.env_file, (e) => resolveEnvFiles(e, base));
  if ('label_file' in svc) out.label_file = withTag(svc.label_file, (e) => resolveEnvFiles(e, base));
  if (isObject(svc.extends) && typeof svc.extends.file === 'string' && !isRemoteRef(svc.extends.file)) {
    out.extends = { ...svc.extends, file: absolute(svc.extends.file, base) };
  }
  if (isObject(svc.develop) && Array.isArray(svc.develop.watch)) {
    out.develop = {
      ...svc.develop,
      watch: svc.develop.watch.map((rule) =>
        isObject(rule) && typeof rule.path === 'string' ? { ...rule, path: absolute(rule.path, base) } : rule,
      ),
    };
  }
  return out;
}

/** Build contexts may be URLs (git, http); those stay as written. */
export function isRemoteContext(context: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(context) || context.startsWith('git@') || context.startsWith('github.com/');
}

function resolveBuild(build: unknown, base: PathBase): unknown {
  if (typeof build === 'string') return isRemoteContext(build) ? build : absolute(build, base);
  if (isObject(build) && typeof build.context === 'string' && !isRemoteContext(build.context)) {
    return { ...build, context: absolute(build.context, base) };
  }
  if (isObject(build) && build.context === undefined) return { ...build, context: base.baseDir };
  return build;
}

function resolveMount(mount: unknown, base: PathBase): unknown {
  if (typeof mount === 'string') {
    const colon = mount.indexOf(':');
    if (colon <= 0) return mount;
    const source = mount.slice(0, colon);
    if (!isHostPath(source)) return mount;
    return absolute(source, base) + mount.slice(colon);
  }
  if (isObject(mount) && mount.type === 'bind' && typeof mount.source === 'string') {
    return { ...mount, source: absolute(mount.source, base) };
  }
  return mount;
}

function resolveEnvFiles(value: unknown, base: PathBase): unknown {
  const one = (entry: unknown): unknown => {
    if (typeof entry === 'string') return absolute(entry, base);
    if (isObject(entry) && typeof entry.path === 'string') return { ...entry, path: absolute(entry.path, base) };
    return entry;
  };
  return Array.isArray(value) ? value.map(one) : one(value);
}

/** `remote:x`, `git::…`, `oci://…`: a reference a resource loader maps to a local file. */
export function isRemoteRef(ref: string): boolean {
  return /^[a-z][a-z0-9+.-]+:/i.test(ref);
}

/** Compose's rule for short volume syntax: these sources are host paths, others volume names. */
export function isHostPath(source: string): boolean {
  return source.startsWith('.') || source.startsWith('/') || source.startsWith('~');
}

export function absolute(path: string, base: PathBase): string {
  if (path === '~' || path.startsWith('~/')) return resolve(base.homeDir, path.slice(2));
  if (isAbsolute(path)) return path;
  return resolve(base.baseDir, path);
}

function withTag(value: unknown, fn: (v: unknown) => unknown): unknown {
  return isYamlTag(value) ? new YamlTag(value.tag, fn(value.value)) : fn(value);
}

function mapList(value: unknown, fn: (v: unknown) => unknown): unknown {
  return Array.isArray(value) ? value.map(fn) : value;
}

function mapEntries(value: unknown, fn: (v: unknown) => unknown): unknown {
  if (!isObject(value)) return value;
  const out: Raw = dict();
  for (const [k, v] of Object.entries(value)) out[k] = fn(v);
  return out;
}

function isObject(v: unknown): v is Raw {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !isYamlTag(v);
}
