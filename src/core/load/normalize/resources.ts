// Top-level `networks`, `volumes`, `secrets` and `configs` in canonical form.
// Every resource gets its engine-side name now (`<project>_<key>`, or the key
// itself for an external resource), so later stages never recompute it; the
// deprecated `external: {name: x}` becomes `external: true` + `name: x`;
// host paths (secret/config files, local bind volumes) become absolute.
import { TugError, type PathSegment } from '../../errors.js';
import type { FileObjectSpec, NetworkSpec, ServiceSpec, VolumeSpec } from '../../model/types.js';
import { castFields, isRaw, report, scalarString, toStringMap, typeError, type ErrorSink, type FieldKind, type Raw } from './coerce.js';
import { resolveHostPath, type PathContext } from './paths.js';
import { dict } from '../../dict.js';
import { nameProblem, OBJECT_NAME } from '../names.js';

const NETWORK_CASTS: Readonly<Record<string, FieldKind>> = {
  external: 'bool',
  internal: 'bool',
  attachable: 'bool',
  enable_ipv4: 'bool',
  enable_ipv6: 'bool',
};
const EXTERNAL_CAST: Readonly<Record<string, FieldKind>> = { external: 'bool' };

type Kind = 'networks' | 'volumes' | 'secrets' | 'configs';

/**
 * The steps every kind shares: null → {}, legacy external name, boolean casts,
 * labels as a map, driver_opts values as strings, and the default name.
 */
function normalizeEntry(
  kind: Kind,
  key: string,
  value: unknown,
  projectName: string,
  casts: Readonly<Record<string, FieldKind>>,
  sink: ErrorSink,
): Raw | undefined {
  const path: PathSegment[] = [kind, key];
  if (value === null || value === undefined) value = {};
  if (!isRaw(value)) {
    report(sink, typeError(path, `${kind}.${key}`, value, 'a mapping'));
    return undefined;
  }
  let entry: Raw = value;
  if (isRaw(entry.external)) {
    const legacyName = entry.external.name;
    entry = { ...entry, external: true };
    if (legacyName !== undefined && legacyName !== null) {
      if (entry.name !== undefined && entry.name !== legacyName) {
        report(sink, new TugError({
          code: 'normalize.external',
          message: `${kind}.${key} sets both name and the deprecated external.name, to different values`,
          path: [...path, 'external', 'name'],
          hint: 'use only name, with external: true',
        }));
      } else entry.name = scalarString(legacyName);
    }
  }
  entry = castFields(entry, casts, path, sink);
  if (entry.labels !== undefined && entry.labels !== null) {
    entry.labels = toStringMap(entry.labels, () => '', [...path, 'labels'], sink);
  }
  if (isRaw(entry.driver_opts)) entry.driver_opts = toStringMap(entry.driver_opts, () => '', [...path, 'driver_opts'], sink);
  const name = entry.name === undefined || entry.name === null
    ? entry.external === true ? key : `${projectName}_${key}`
    : scalarString(entry.name);
  // An external resource is found by its key: the key is then the engine-side name, under the engine's rule.
  if (entry.external === true && (entry.name === undefined || entry.name === null)) checkEngineName(kind, key, path, sink);
  // name first, as `docker compose config` prints it.
  const result: Raw = { name, ...entry };
  result.name = name;
  return result;
}

function checkEngineName(kind: Kind, name: string, path: PathSegment[], sink: ErrorSink): void {
  const rule = { ...OBJECT_NAME, what: `${kind.slice(0, -1)} name` };
  const problem = nameProblem(rule, name);
  if (problem) report(sink, new TugError({ code: 'name.invalid', message: problem, path, expected: rule.expected, hint: 'give it a valid name: with name: ...' }));
}

function entriesOf(raw: unknown, kind: Kind, sink: ErrorSink): [string, unknown][] {
  if (raw === null || raw === undefined) return [];
  if (!isRaw(raw)) {
    report(sink, typeError([kind], kind, raw, 'a mapping'));
    return [];
  }
  return Object.entries(raw);
}

export function normalizeNetworks(raw: unknown, projectName: string, _ctx: PathContext, sink?: ErrorSink): Record<string, NetworkSpec> {
  const out = dict<NetworkSpec>();
  for (const [key, value] of entriesOf(raw, 'networks', sink)) {
    const entry = normalizeEntry('networks', key, value, projectName, NETWORK_CASTS, sink);
    if (entry) out[key] = entry as NetworkSpec;
  }
  return out;
}

/** A `local` volume with `o: bind` is a bind mount in disguise: its device is a host path. */
function isLocalBind(volume: Raw): boolean {
  if (volume.driver !== undefined && volume.driver !== 'local') return false;
  const opts = volume.driver_opts;
  return isRaw(opts) && typeof opts.o === 'string' && opts.o.split(',').includes('bind') && typeof opts.device === 'string';
}

export function normalizeVolumesTop(raw: unknown, projectName: string, ctx: PathContext, sink?: ErrorSink): Record<string, VolumeSpec> {
  const out = dict<VolumeSpec>();
  for (const [key, value] of entriesOf(raw, 'volumes', sink)) {
    const entry = normalizeEntry('volumes', key, value, projectName, EXTERNAL_CAST, sink);
    if (!entry) continue;
    if (isLocalBind(entry)) {
      const opts = entry.driver_opts as Record<string, string>;
      entry.driver_opts = { ...opts, device: resolveHostPath(opts.device!, ctx) };
    }
    out[key] = entry as VolumeSpec;
  }
  return out;
}

/** Top-level `secrets:` or `configs:`: `file` made absolute. */
export function normalizeFileObjects(
  raw: unknown,
  projectName: string,
  ctx: PathContext,
  kind: 'secrets' | 'configs' = 'secrets',
  sink?: ErrorSink,
): Record<string, FileObjectSpec> {
  const out = dict<FileObjectSpec>();
  for (const [key, value] of entriesOf(raw, kind, sink)) {
    const entry = normalizeEntry(kind, key, value, projectName, EXTERNAL_CAST, sink);
    if (!entry) continue;
    if (typeof entry.file === 'string') entry.file = resolveHostPath(entry.file, ctx);
    out[key] = entry as FileObjectSpec;
  }
  return out;
}

/**
 * Compose creates the `default` network only when a service uses it (every
 * service without `networks:` and `network_mode:` does, after normalizeService).
 * Returns `networks` itself when nothing needs adding.
 */
export function addImplicitDefaultNetwork(
  networks: Record<string, NetworkSpec>,
  services: Readonly<Record<string, ServiceSpec>>,
  projectName: string,
): Record<string, NetworkSpec> {
  if (Object.hasOwn(networks, 'default')) return networks;
  for (const name of Object.keys(services)) {
    const attached = services[name]!.networks;
    if (attached && Object.hasOwn(attached, 'default')) {
      return { ...networks, default: { name: `${projectName}_default` } };
    }
  }
  return networks;
}
