// Service `volumes:` in long form, as `docker compose config` prints them.
// Short syntax is "source:target[:options]" (compose-go format.ParseVolume):
// a source starting with ".", "/" or "~" is a host path (bind), anything else
// names a volume, and a lone path is an anonymous volume.
import { TugError, type PathSegment } from '../../errors.js';
import type { VolumeMount } from '../../model/types.js';
import { castFields, describe, isRaw, report, scalarString, type ErrorSink, type FieldKind, type Raw } from './coerce.js';
import { cleanPath, isHostPathSource, resolveHostPath, type PathContext } from './paths.js';

const PROPAGATIONS: ReadonlySet<string> = new Set(['rprivate', 'private', 'rshared', 'shared', 'rslave', 'slave']);
const SHORT_EXPECTED = 'a volume such as "data:/var/lib/data", "./src:/app:ro" or "/cache"';

const MOUNT_CASTS: Readonly<Record<string, FieldKind>> = { read_only: 'bool' };
const BIND_CASTS: Readonly<Record<string, FieldKind>> = { create_host_path: 'bool' };
const VOLUME_CASTS: Readonly<Record<string, FieldKind>> = { nocopy: 'bool' };
const TMPFS_CASTS: Readonly<Record<string, FieldKind>> = { size: 'bytes', mode: 'mode' };

function volumeError(message: string, path: PathSegment[], expected = SHORT_EXPECTED): TugError {
  return new TugError({ code: 'normalize.volume', message, path, expected });
}

/** "src:dst[:opts]" → a mount; throws a message when the spec cannot be read. */
function parseShortVolume(spec: string, ctx: PathContext, path: PathSegment[]): VolumeMount {
  if (spec === '') throw volumeError('A volume cannot be empty', path);
  const parts = spec.split(':');
  if (parts.length > 3) throw volumeError(`Invalid volume ${JSON.stringify(spec)}: too many colons`, path);
  for (const part of parts) {
    if (part === '') throw volumeError(`Invalid volume ${JSON.stringify(spec)}: an empty section between colons`, path);
  }
  if (parts.length === 1) {
    // compose-go gives an anonymous volume an empty `volume: {}` block, which config prints.
    return { type: 'volume', target: cleanPath(spec), volume: {} };
  }
  const source = parts[0]!;
  const bind = isHostPathSource(source);
  const mount: VolumeMount = bind
    ? { type: 'bind', source: resolveHostPath(source, ctx), target: cleanPath(parts[1]!) }
    : { type: 'volume', source, target: cleanPath(parts[1]!) };
  let readOnly = false;
  let nocopy = false;
  let selinux: 'z' | 'Z' | undefined;
  let propagation: string | undefined;
  if (parts.length === 3) {
    for (const option of parts[2]!.split(',')) {
      if (option === 'ro') readOnly = true;
      else if (option === 'rw') readOnly = false;
      else if (option === 'nocopy') nocopy = true;
      else if (option === 'z' || option === 'Z') selinux = option;
      else if (PROPAGATIONS.has(option)) propagation = option;
      // Unknown options are ignored, as Compose ignores them.
    }
  }
  if (readOnly) mount.read_only = true;
  // Like compose-go, bind flags land in `bind` and nocopy in `volume`, whatever the type.
  if (bind || selinux !== undefined || propagation !== undefined) {
    const options: NonNullable<VolumeMount['bind']> = {};
    if (selinux !== undefined) options.selinux = selinux;
    if (propagation !== undefined) options.propagation = propagation;
    // Short syntax creates a missing host directory, as docker-compose v1 did.
    if (bind) options.create_host_path = true;
    mount.bind = options;
  }
  if (!bind || nocopy) mount.volume = nocopy ? { nocopy: true } : {};
  return mount;
}

/** Keys in compose-go's order: selinux, propagation, create_host_path, then the rest. */
function canonicalBind(bind: NonNullable<VolumeMount['bind']>): NonNullable<VolumeMount['bind']> {
  const out: NonNullable<VolumeMount['bind']> = {};
  if (bind.selinux !== undefined) out.selinux = bind.selinux;
  if (bind.propagation !== undefined) out.propagation = bind.propagation;
  if (bind.create_host_path !== undefined) out.create_host_path = bind.create_host_path;
  for (const key of Object.keys(bind)) if (!Object.hasOwn(out, key)) out[key] = bind[key];
  return out;
}

function normalizeLongVolume(raw: Raw, ctx: PathContext, path: PathSegment[], sink: ErrorSink): VolumeMount | undefined {
  const mount = castFields(raw, MOUNT_CASTS, path, sink) as VolumeMount & Raw;
  if (typeof mount.target !== 'string' || mount.target === '') {
    report(sink, volumeError('A volume needs a target (the path in the container)', path, 'target: /path/in/container'));
    return undefined;
  }
  mount.target = cleanPath(mount.target);
  if (mount.type === 'bind') {
    if (typeof mount.source !== 'string' || mount.source === '') {
      report(sink, volumeError('A bind mount needs a source (the host path)', path, 'source: ./path/on/host'));
      return undefined;
    }
    mount.source = resolveHostPath(mount.source, ctx);
  } else if (mount.source !== undefined && mount.source !== null) {
    mount.source = scalarString(mount.source);
  }
  if (isRaw(mount.bind)) mount.bind = canonicalBind(castFields(mount.bind, BIND_CASTS, [...path, 'bind'], sink));
  if (isRaw(mount.volume)) mount.volume = castFields(mount.volume, VOLUME_CASTS, [...path, 'volume'], sink);
  if (isRaw(mount.tmpfs)) mount.tmpfs = castFields(mount.tmpfs, TMPFS_CASTS, [...path, 'tmpfs'], sink);
  return mount;
}

/**
 * Every entry of a service's `volumes:` in long form. Relative and `~` bind
 * sources become absolute. Two mounts at the same target: the later one wins,
 * at the position of the first (compose-go's uniqueness rule).
 */
export function normalizeVolumes(
  raw: readonly unknown[],
  ctx: PathContext,
  at: PathSegment[] = ['volumes'],
  sink?: ErrorSink,
): VolumeMount[] {
  const out: VolumeMount[] = [];
  const byTarget = new Map<string, number>();
  for (let i = 0; i < raw.length; i++) {
    const entry = raw[i];
    let mount: VolumeMount | undefined;
    if (typeof entry === 'string') {
      try {
        mount = parseShortVolume(entry, ctx, [...at, i]);
      } catch (err) {
        if (!(err instanceof TugError)) throw err;
        report(sink, err);
      }
    } else if (isRaw(entry)) {
      mount = normalizeLongVolume(entry, ctx, [...at, i], sink);
    } else {
      report(sink, volumeError(`A volume must be a string or a mapping, got ${describe(entry)}`, [...at, i]));
    }
    if (!mount) continue;
    const index = byTarget.get(mount.target);
    if (index === undefined) {
      byTarget.set(mount.target, out.length);
      out.push(mount);
    } else out[index] = mount;
  }
  return out;
}
