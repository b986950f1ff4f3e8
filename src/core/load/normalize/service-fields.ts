// Normalizers for the structured service fields that need more than a scalar
// cast: build, healthcheck, deploy, blkio_config, ulimits, devices, logging,
// develop, extra_hosts, and secret/config mounts. Each takes the written value
// and its YAML path and returns the canonical value; problems go to the sink.
import { TugError, type PathSegment } from '../../errors.js';
import type { BuildSpec, HealthcheckSpec } from '../../model/types.js';
import {
  castFields,
  castValue,
  isRaw,
  report,
  scalarString,
  toStringList,
  toStringMap,
  typeError,
  type ErrorSink,
  type FieldKind,
  type Raw,
} from './coerce.js';
import { checkNonNegative, checkRestartPolicy, toReplicaCount } from './bounds.js';
import { normalizeWatchRule } from './develop.js';
import { isRemoteContext, resolveHostPath } from './paths.js';
import type { NormalizeContext } from './service.js';
import { dict } from '../../dict.js';

export interface FieldState {
  ctx: NormalizeContext;
  sink: ErrorSink;
}

export type FieldNormalizer = (value: unknown, path: PathSegment[], st: FieldState) => unknown;

function resolveContext(context: string, ctx: NormalizeContext): string {
  return isRemoteContext(context) ? context : resolveHostPath(context, ctx);
}

const BUILD_CASTS: Readonly<Record<string, FieldKind>> = {
  no_cache: 'bool',
  pull: 'bool',
  privileged: 'bool',
  shm_size: 'bytes',
};

/** `build: ./dir` or the long form → {context: absolute, dockerfile: "Dockerfile", args: map, …}. */
export const normalizeBuild: FieldNormalizer = (value, path, { ctx, sink }) => {
  if (typeof value === 'string') return { context: resolveContext(value, ctx), dockerfile: 'Dockerfile' };
  if (!isRaw(value)) {
    report(sink, typeError(path, 'build', value, 'a path or a mapping'));
    return value;
  }
  const cast = castFields(value, BUILD_CASTS, path, sink);
  const context = cast.context === undefined || cast.context === null ? '.' : scalarString(cast.context);
  // context and dockerfile first, as `docker compose config` prints them.
  const build: BuildSpec = { context: resolveContext(context, ctx) };
  if (cast.dockerfile !== undefined) build.dockerfile = cast.dockerfile as string;
  else if (cast.dockerfile_inline === undefined) build.dockerfile = 'Dockerfile';
  Object.assign(build, cast, { context: build.context });
  if (cast.args !== undefined && cast.args !== null) {
    build.args = toStringMap<string | null>(cast.args, (k) => ctx.lookupEnv(k) ?? null, [...path, 'args'], sink);
  }
  if (cast.labels !== undefined && cast.labels !== null) {
    build.labels = toStringMap(cast.labels, () => '', [...path, 'labels'], sink);
  }
  if (cast.additional_contexts !== undefined && cast.additional_contexts !== null) {
    const contexts = toStringMap(cast.additional_contexts, () => '', [...path, 'additional_contexts'], sink);
    for (const key of Object.keys(contexts)) contexts[key] = resolveContext(contexts[key]!, ctx);
    build.additional_contexts = contexts;
  }
  if (cast.extra_hosts !== undefined) build.extra_hosts = normalizeExtraHosts(cast.extra_hosts, [...path, 'extra_hosts'], { ctx, sink });
  if (cast.secrets !== undefined) build.secrets = normalizeFileMounts(cast.secrets, [...path, 'secrets'], { ctx, sink });
  if (cast.ulimits !== undefined) build.ulimits = normalizeUlimits(cast.ulimits, [...path, 'ulimits'], { ctx, sink });
  return build;
};

const HEALTHCHECK_CASTS: Readonly<Record<string, FieldKind>> = {
  interval: 'duration',
  timeout: 'duration',
  start_period: 'duration',
  start_interval: 'duration',
  retries: 'int',
  disable: 'bool',
};

/** Durations in Go form, `test: "curl …"` → ["CMD-SHELL", "curl …"]. */
export const normalizeHealthcheck: FieldNormalizer = (value, path, { sink }) => {
  if (!isRaw(value)) return value;
  const hc = castFields(value, HEALTHCHECK_CASTS, path, sink) as HealthcheckSpec & Raw;
  checkNonNegative(hc.retries, [...path, 'retries'], sink);
  const test: unknown = hc.test;
  if (typeof test === 'string') hc.test = ['CMD-SHELL', test];
  else if (Array.isArray(test)) hc.test = test.map(scalarString);
  return hc;
};

const RESOURCE_CASTS: Readonly<Record<string, FieldKind>> = { cpus: 'float', memory: 'bytes', pids: 'int' };
const RESTART_POLICY_CASTS: Readonly<Record<string, FieldKind>> = { delay: 'duration', window: 'duration', max_attempts: 'int' };
const UPDATE_CASTS: Readonly<Record<string, FieldKind>> = {
  parallelism: 'int',
  delay: 'duration',
  monitor: 'duration',
  max_failure_ratio: 'float',
};
const DEPLOY_SECTIONS: Readonly<Record<string, Readonly<Record<string, FieldKind>>>> = {
  restart_policy: RESTART_POLICY_CASTS,
  update_config: UPDATE_CASTS,
  rollback_config: UPDATE_CASTS,
  placement: { max_replicas_per_node: 'int' },
};

/** replicas as a number, resource memory as bytes, restart/update durations in Go form. */
export const normalizeDeploy: FieldNormalizer = (value, path, { sink }) => {
  if (!isRaw(value)) return value;
  const deploy: Raw = { ...value };
  if (deploy.replicas !== undefined && deploy.replicas !== null) {
    deploy.replicas = toReplicaCount(deploy.replicas, [...path, 'replicas'], sink) ?? deploy.replicas;
  }
  for (const section of Object.keys(DEPLOY_SECTIONS)) {
    const part = deploy[section];
    if (isRaw(part)) deploy[section] = castFields(part, DEPLOY_SECTIONS[section]!, [...path, section], sink);
  }
  if (isRaw(deploy.restart_policy)) checkRestartPolicy(deploy.restart_policy, [...path, 'restart_policy'], sink);
  if (isRaw(deploy.resources)) {
    const resources: Raw = { ...deploy.resources };
    for (const kind of ['limits', 'reservations']) {
      const part = resources[kind];
      if (isRaw(part)) resources[kind] = castFields(part, RESOURCE_CASTS, [...path, 'resources', kind], sink);
    }
    deploy.resources = resources;
  }
  if (deploy.labels !== undefined && deploy.labels !== null) {
    deploy.labels = toStringMap(deploy.labels, () => '', [...path, 'labels'], sink);
  }
  return deploy;
};

const BLKIO_LISTS: Readonly<Record<string, Readonly<Record<string, FieldKind>>>> = {
  weight_device: { weight: 'int' },
  device_read_bps: { rate: 'bytes' },
  device_write_bps: { rate: 'bytes' },
  device_read_iops: { rate: 'int' },
  device_write_iops: { rate: 'int' },
};

export const normalizeBlkio: FieldNormalizer = (value, path, { sink }) => {
  if (!isRaw(value)) return value;
  const blkio = castFields(value, { weight: 'int' }, path, sink);
  for (const key of Object.keys(BLKIO_LISTS)) {
    const list = blkio[key];
    if (!Array.isArray(list)) continue;
    blkio[key] = list.map((entry, i) => (isRaw(entry) ? castFields(entry, BLKIO_LISTS[key]!, [...path, key, i], sink) : entry));
  }
  return blkio;
};

/** `nofile: 20000` or `nofile: {soft, hard}`, with numbers cast from strings. */
export const normalizeUlimits: FieldNormalizer = (value, path, { sink }) => {
  if (!isRaw(value)) return value;
  const out: Raw = dict();
  for (const name of Object.keys(value)) {
    const limit = value[name];
    if (isRaw(limit)) out[name] = castFields(limit, { soft: 'int', hard: 'int' }, [...path, name], sink);
    else out[name] = castValue('int', limit, [...path, name], sink) ?? limit;
  }
  return out;
};

/** "/dev/x[:/dev/y[:rwm]]" → {source, target, permissions} (compose-go's long form). */
export const normalizeDevices: FieldNormalizer = (value, path, { sink }) => {
  if (!Array.isArray(value)) return value;
  return value.map((entry, i) => {
    if (typeof entry !== 'string') return entry;
    const parts = entry.split(':');
    if (parts.length > 3) {
      report(sink, new TugError({
        code: 'normalize.device',
        message: `Device mapping ${JSON.stringify(entry)} has too many colons`,
        path: [...path, i],
        expected: 'source[:target[:permissions]], or the long form {source, target, permissions}',
      }));
      return entry;
    }
    const source = parts[0]!;
    const target = parts[1] || source;
    return { source, target, permissions: parts[2] ?? 'rwm' };
  });
};

export const normalizeLogging: FieldNormalizer = (value) => {
  if (!isRaw(value) || !isRaw(value.options)) return value;
  const options: Raw = dict();
  for (const key of Object.keys(value.options)) {
    const option = value.options[key];
    options[key] = option === null || typeof option === 'object' ? option : scalarString(option);
  }
  return { ...value, options };
};

/** Watch rules in long form (see develop.ts); a rule with a list of paths becomes one rule per path. */
export const normalizeDevelop: FieldNormalizer = (value, path, { ctx, sink }) => {
  if (!isRaw(value) || !Array.isArray(value.watch)) return value;
  const watch: unknown[] = [];
  value.watch.forEach((rule: unknown, i) => {
    const at = [...path, 'watch', i];
    if (!isRaw(rule)) watch.push(rule);
    else if (typeof rule.path === 'string') watch.push(normalizeWatchRule(rule, rule.path, at, ctx, sink));
    else if (Array.isArray(rule.path)) {
      for (const p of rule.path) watch.push(typeof p === 'string' ? normalizeWatchRule(rule, p, at, ctx, sink) : { ...rule, path: p });
    } else watch.push(rule);
  });
  return { ...value, watch };
};

export const normalizeExtends: FieldNormalizer = (value, _path, { ctx }) => {
  if (!isRaw(value) || typeof value.file !== 'string') return value;
  return { ...value, file: resolveHostPath(value.file, ctx) };
};

function stripBrackets(ip: string): string {
  return ip.length > 2 && ip[0] === '[' && ip[ip.length - 1] === ']' ? ip.slice(1, -1) : ip;
}

function extraHostsError(path: PathSegment[], message: string): TugError {
  return new TugError({ code: 'normalize.extra-hosts', message, path, expected: '"host=ip" or "host:ip", or a mapping host: ip' });
}

/**
 * `["db=10.0.0.2", "v6:[::1]"]` or `{db: 10.0.0.2}` → `{db: ["10.0.0.2"], v6: ["::1"]}`.
 * A host maps to a list because Compose allows several addresses per host.
 */
export const normalizeExtraHosts: FieldNormalizer = (value, path, { sink }) => {
  const out = dict<string[]>();
  const add = (host: string, ips: string[], at: PathSegment[]) => {
    if (host === '' || host.includes(':') || host.includes('=')) {
      report(sink, extraHostsError(at, `Bad host name ${JSON.stringify(host)} in extra_hosts`));
      return;
    }
    const list = (out[host] ??= []);
    for (const ip of ips) list.push(stripBrackets(ip));
  };
  if (Array.isArray(value)) {
    value.forEach((entry, i) => {
      const text = scalarString(entry);
      // "=" first, so "host=::1" keeps its IPv6 colons.
      let sep = text.indexOf('=');
      if (sep < 0) sep = text.indexOf(':');
      if (sep < 0) report(sink, extraHostsError([...path, i], `extra_hosts entry ${JSON.stringify(text)} has no IP address`));
      else add(text.slice(0, sep), text.slice(sep + 1).split(','), [...path, i]);
    });
  } else if (isRaw(value)) {
    for (const host of Object.keys(value)) {
      const ips = value[host];
      add(host, ips === null || ips === undefined ? [''] : toStringList(ips, [...path, host], sink), [...path, host]);
    }
  } else {
    report(sink, typeError(path, 'extra_hosts', value, 'a list or a mapping'));
    return value;
  }
  return out;
};

const FILE_MOUNT_CASTS: Readonly<Record<string, FieldKind>> = { mode: 'mode' };

/** Service `secrets:`/`configs:`: "name" → {source: "name"}; uid/gid as strings, mode as a number. */
export const normalizeFileMounts: FieldNormalizer = (value, path, { sink }) => {
  if (!Array.isArray(value)) return value;
  return value.map((entry, i) => {
    if (typeof entry === 'string') return { source: entry };
    if (!isRaw(entry)) return entry;
    const mount = castFields(entry, FILE_MOUNT_CASTS, [...path, i], sink);
    for (const key of ['uid', 'gid']) if (typeof mount[key] === 'number') mount[key] = String(mount[key]);
    return mount;
  });
};
