// Normalizes one service (already interpolated, merged and schema-checked) into
// the canonical long form that `docker compose config` prints: every short
// syntax expanded, paths absolute, env files merged into `environment`, sizes
// and durations in one form, implicit defaults (default network, depends_on
// entries implied by links and `service:` references) filled in.
// Keys tug does not interpret, x-* included, are kept as written, by reference.
import { TugError, type PathSegment } from '../../errors.js';
import type { DependsOnSpec, ServiceSpec } from '../../model/types.js';
import {
  castFields,
  castValue,
  isRaw,
  report,
  reportAt,
  scalarString,
  toStringList,
  toStringMap,
  typeError,
  type FieldKind,
  type Raw,
} from './coerce.js';
import { checkRestart, toReplicaCount } from './bounds.js';
import { mergeEnvironment, normalizeEnvironment } from './environment.js';
import { resolveHostPath, type PathContext } from './paths.js';
import { checkExpose, normalizePorts } from './ports.js';
import {
  normalizeBlkio,
  normalizeBuild,
  normalizeDeploy,
  normalizeDevelop,
  normalizeDevices,
  normalizeExtends,
  normalizeExtraHosts,
  normalizeFileMounts,
  normalizeHealthcheck,
  normalizeLogging,
  normalizeUlimits,
  type FieldNormalizer,
  type FieldState,
} from './service-fields.js';
import { splitShellWords } from './shell-words.js';
import { normalizeVolumes } from './volumes.js';
import { dict, dictOf, own } from '../../dict.js';

export interface NormalizeContext extends PathContext {
  /** The environment interpolation used (OS env over .env): resolves bare `environment`/`args` keys. */
  lookupEnv(name: string): string | undefined;
  /** Text of a file by absolute path, or undefined when it does not exist; throws a TugError when it is unusable (a directory, not UTF-8). */
  readFile(path: string): string | undefined;
  /** Parses an env file's text (dotenv rules); may throw a TugError. */
  parseEnvFile(text: string, fileName: string): Record<string, string>;
}

export interface NormalizedService {
  service: ServiceSpec;
  errors: TugError[];
}

// Fields that only need a scalar cast, because after interpolation they may be strings.
const SCALAR_FIELDS: Readonly<Record<string, FieldKind>> = {
  init: 'bool',
  privileged: 'bool',
  read_only: 'bool',
  stdin_open: 'bool',
  tty: 'bool',
  oom_kill_disable: 'bool',
  cpu_count: 'int',
  cpu_percent: 'float',
  cpu_period: 'int',
  cpu_quota: 'int',
  cpu_shares: 'int',
  oom_score_adj: 'int',
  pids_limit: 'int',
  mem_swappiness: 'int',
  cpus: 'float',
  mem_limit: 'bytes',
  mem_reservation: 'bytes',
  memswap_limit: 'bytes',
  shm_size: 'bytes',
  stop_grace_period: 'duration',
};

const DEPENDENCY_CONDITION_DEFAULT = 'service_started';
const NAMESPACE_FIELDS = ['network_mode', 'ipc', 'pid', 'uts', 'cgroup'] as const;
const SERVICE_PREFIX = 'service:';
const CONTAINER_PREFIX = 'container:';

const normalizeCommand: FieldNormalizer = (value, path, { sink }) => {
  if (typeof value === 'string') {
    try {
      return splitShellWords(value);
    } catch (err) {
      reportAt(sink, err, path);
      return [value];
    }
  }
  if (Array.isArray(value)) return value.map(scalarString);
  return value; // null: explicitly empty, which resets the image's value
};

const labelMap: FieldNormalizer = (value, path, { sink }) => toStringMap(value, () => '', path, sink);
const stringList: FieldNormalizer = (value, path, { sink }) => toStringList(value, path, sink);

const normalizeDependsOn: FieldNormalizer = (value, path, { sink }) => {
  const out = dict<DependsOnSpec>();
  if (Array.isArray(value)) {
    for (const name of value) out[scalarString(name)] = { condition: DEPENDENCY_CONDITION_DEFAULT, required: true, restart: false };
    return out;
  }
  if (!isRaw(value)) {
    report(sink, typeError(path, 'depends_on', value, 'a list of service names or a mapping'));
    return value;
  }
  for (const name of Object.keys(value)) {
    const entry = value[name];
    const cast = isRaw(entry) ? castFields(entry, { required: 'bool', restart: 'bool' }, [...path, name], sink) : {};
    const { condition, required, restart, ...rest } = cast;
    out[name] = {
      condition: (condition ?? DEPENDENCY_CONDITION_DEFAULT) as DependsOnSpec['condition'],
      required: typeof required === 'boolean' ? required : true,
      restart: typeof restart === 'boolean' ? restart : false,
      ...rest,
    };
  }
  return out;
};

const normalizeServiceNetworks: FieldNormalizer = (value, path, { sink }) => {
  if (Array.isArray(value)) {
    const out = dict<null>();
    for (const name of value) out[scalarString(name)] = null;
    return out;
  }
  if (!isRaw(value)) return value;
  const out: Raw = dict();
  for (const name of Object.keys(value)) {
    const attachment = value[name];
    out[name] = isRaw(attachment)
      ? castFields(attachment, { priority: 'int', gw_priority: 'int' }, [...path, name], sink)
      : attachment ?? null;
  }
  return out;
};

const normalizeExpose: FieldNormalizer = (value, path, { sink }) => {
  const list = toStringList(value, path, sink);
  checkExpose(list, path, sink);
  return list;
};

const FIELDS: Readonly<Record<string, FieldNormalizer>> = {
  command: normalizeCommand,
  entrypoint: normalizeCommand,
  ports: (value, path, { sink }) => (Array.isArray(value) ? normalizePorts(value, path, sink) : value),
  volumes: (value, path, { ctx, sink }) => (Array.isArray(value) ? normalizeVolumes(value, ctx, path, sink) : value),
  environment: (value, path, { ctx, sink }) => normalizeEnvironment(value, (k) => ctx.lookupEnv(k), path, sink),
  expose: normalizeExpose,
  labels: labelMap,
  annotations: labelMap,
  sysctls: labelMap,
  storage_opt: labelMap,
  extra_hosts: normalizeExtraHosts,
  depends_on: normalizeDependsOn,
  networks: normalizeServiceNetworks,
  build: normalizeBuild,
  healthcheck: normalizeHealthcheck,
  deploy: normalizeDeploy,
  blkio_config: normalizeBlkio,
  ulimits: normalizeUlimits,
  devices: normalizeDevices,
  logging: normalizeLogging,
  develop: normalizeDevelop,
  extends: normalizeExtends,
  secrets: normalizeFileMounts,
  configs: normalizeFileMounts,
  dns: stringList,
  dns_search: stringList,
  dns_opt: stringList,
  tmpfs: stringList,
  group_add: stringList,
  pull_policy: (value) => (value === 'if_not_present' ? 'missing' : value),
  scale: (value, path, { sink }) => toReplicaCount(value, path, sink) ?? value,
  restart: (value, path, { sink }) => {
    checkRestart(value, path, sink);
    return value;
  },
};

interface EnvFileRef {
  path: string;
  required: boolean;
  format?: string;
  [key: string]: unknown;
}

/** `env_file:` in long form with absolute paths. */
function envFileRefs(value: unknown, path: PathSegment[], st: FieldState): EnvFileRef[] {
  const entries = typeof value === 'string' ? [value] : Array.isArray(value) ? value : undefined;
  if (!entries) {
    report(st.sink, typeError(path, 'env_file', value, 'a path or a list of paths'));
    return [];
  }
  const refs: EnvFileRef[] = [];
  entries.forEach((entry, i) => {
    if (typeof entry === 'string') {
      refs.push({ path: resolveHostPath(entry, st.ctx), required: true });
    } else if (isRaw(entry) && typeof entry.path === 'string') {
      const { path: file, required, format, ...rest } = castFields(entry, { required: 'bool' }, [...path, i], st.sink);
      const ref: EnvFileRef = { path: resolveHostPath(file as string, st.ctx), required: typeof required === 'boolean' ? required : true };
      if (format !== undefined && format !== null) ref.format = scalarString(format);
      refs.push(Object.assign(ref, rest));
    } else {
      report(st.sink, typeError([...path, i], 'An env_file entry', entry, 'a path or {path, required}'));
    }
  });
  return refs;
}

/**
 * Variables of all env files, later files overriding earlier ones. A missing
 * required file is an error; a missing optional one is skipped.
 */
function readEnvFiles(refs: readonly EnvFileRef[], path: PathSegment[], st: FieldState, kind: string): Record<string, string> {
  const vars = dict<string>();
  refs.forEach((ref, i) => {
    let text: string | undefined;
    try {
      text = st.ctx.readFile(ref.path);
    } catch (err) {
      reportAt(st.sink, err, [...path, i]);
      return;
    }
    if (text === undefined) {
      if (ref.required) {
        report(st.sink, new TugError({
          code: `normalize.${kind}`,
          message: `The ${kind.replace('-', '_')} ${ref.path} does not exist`,
          path: [...path, i],
          hint: `create it, or mark it optional: {path: ..., required: false}`,
        }));
      }
      return;
    }
    try {
      for (const [key, value] of Object.entries(st.ctx.parseEnvFile(text, ref.path))) vars[key] = value;
    } catch (err) {
      reportAt(st.sink, err, [...path, i]);
    }
  });
  return vars;
}

/** depends_on entries Compose infers: links, `service:x` namespaces, volumes_from. */
function addImplicitDependencies(out: Raw): void {
  const deps: Record<string, DependsOnSpec> = isRaw(out.depends_on) ? (out.depends_on as Record<string, DependsOnSpec>) : dict();
  const add = (name: string, restart: boolean) => {
    if (name !== '' && !Object.hasOwn(deps, name)) deps[name] = { condition: DEPENDENCY_CONDITION_DEFAULT, required: true, restart };
  };
  if (Array.isArray(out.links)) for (const link of out.links) add(scalarString(link).split(':')[0]!, true);
  for (const field of NAMESPACE_FIELDS) {
    const ref = out[field];
    if (typeof ref === 'string' && ref.startsWith(SERVICE_PREFIX)) add(ref.slice(SERVICE_PREFIX.length), true);
  }
  if (Array.isArray(out.volumes_from)) {
    for (const from of out.volumes_from) {
      const text = scalarString(from);
      if (!text.startsWith(CONTAINER_PREFIX)) add(text.split(':')[0]!, false);
    }
  }
  if (Object.keys(deps).length > 0) out.depends_on = deps;
}

function checkReplicas(out: Raw, at: PathSegment[], st: FieldState): void {
  const replicas = isRaw(out.deploy) ? out.deploy.replicas : undefined;
  if (typeof out.scale === 'number' && typeof replicas === 'number' && out.scale !== replicas) {
    report(st.sink, new TugError({
      code: 'normalize.scale',
      message: `scale (${out.scale}) and deploy.replicas (${replicas}) disagree`,
      path: [...at, 'scale'],
      hint: 'set only deploy.replicas',
    }));
  }
}

export function normalizeService(name: string, raw: Record<string, unknown>, ctx: NormalizeContext): NormalizedService {
  const errors: TugError[] = [];
  const st: FieldState = { ctx, sink: errors };
  const at: PathSegment[] = ['services', name];
  const out: Raw = dict();

  for (const key of Object.keys(raw)) {
    const value = raw[key];
    if (value === undefined) continue;
    const field = own(FIELDS, key);
    const scalar = own(SCALAR_FIELDS, key);
    if (field !== undefined) out[key] = value === null && key !== 'command' && key !== 'entrypoint' ? value : field(value, [...at, key], st);
    else if (scalar !== undefined && value !== null) out[key] = castValue(scalar, value, [...at, key], errors) ?? value;
    else out[key] = value;
  }

  if (raw.env_file !== undefined && raw.env_file !== null) {
    const refs = envFileRefs(raw.env_file, [...at, 'env_file'], st);
    out.env_file = refs;
    const fromFiles = readEnvFiles(refs, [...at, 'env_file'], st, 'env-file');
    const own = isRaw(out.environment) ? (out.environment as Record<string, string | null>) : {};
    out.environment = mergeEnvironment(fromFiles, own);
  }
  if (raw.label_file !== undefined && raw.label_file !== null) {
    const refs = envFileRefs(raw.label_file, [...at, 'label_file'], st);
    out.label_file = refs.map((ref) => ref.path);
    const fromFiles = readEnvFiles(refs, [...at, 'label_file'], st, 'label-file');
    out.labels = dictOf([...Object.entries(fromFiles), ...Object.entries(isRaw(out.labels) ? out.labels : {})]);
  }

  // A service with no network of its own joins the project's default network.
  const networks = out.networks;
  const hasNetworks = isRaw(networks) && Object.keys(networks).length > 0;
  if (!hasNetworks && out.network_mode === undefined && out.provider === undefined) out.networks = { default: null };

  addImplicitDependencies(out);
  checkReplicas(out, at, st);
  return { service: out as ServiceSpec, errors };
}
