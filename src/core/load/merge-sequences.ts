// The sequence-shaped merge rules of Compose: keyed lists (environment, labels,
// args, …) that merge by key, and lists that are unique by some key (ports by
// binding, volumes/secrets/configs/devices by target, cap_add by value). Every
// merger here takes a base that is already tag-free and owned by the caller, and
// an override that may still carry YamlTag wrappers; it returns tag-free data.

import { stripTags, YamlTag } from './yaml-tags.js';
import { dict, dictOf } from '../dict.js';

export type RawMap = Record<string, unknown>;
export type Merger = (base: unknown, override: unknown) => unknown;

export function isMap(value: unknown): value is RawMap {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof YamlTag);
}

/** The override wins outright (command, entrypoint, healthcheck.test, extends). */
export const replaceValue: Merger = (_base, override) => stripTags(override);

// ---------------------------------------------------------------------------
// Keyed lists: `K=V` / `K` lists and mappings become one mapping, override wins.

function splitKeyValue(entry: unknown, separators: RegExp): [string, unknown] {
  const text = String(entry);
  const at = text.search(separators);
  return at < 0 ? [text, null] : [text.slice(0, at), text.slice(at + 1)];
}

/** A list or mapping as a mapping whose values may still be tagged (override side). */
function toKeyMap(value: unknown, separators: RegExp, onDuplicate?: (prev: unknown, next: unknown) => unknown): RawMap | undefined {
  if (value === null || value === undefined) return {};
  if (isMap(value)) return value;
  if (!Array.isArray(value)) return undefined;
  const out: RawMap = dict();
  for (const entry of value) {
    if (entry instanceof YamlTag) continue; // a tag on a list entry has nothing to reset
    const [key, val] = splitKeyValue(entry, separators);
    out[key] = onDuplicate && Object.hasOwn(out, key) ? onDuplicate(out[key], val) : val;
  }
  return out;
}

function mergeKeyMaps(base: RawMap, override: RawMap): RawMap {
  const out: RawMap = dictOf(base);
  for (const [key, value] of Object.entries(override)) {
    if (value instanceof YamlTag && value.tag === '!reset') delete out[key];
    else out[key] = stripTags(value);
  }
  return out;
}

function keyedMerger(separators: RegExp, onDuplicate?: (prev: unknown, next: unknown) => unknown): Merger {
  return (base, override) => {
    const b = toKeyMap(base, separators, onDuplicate);
    const o = toKeyMap(override, separators, onDuplicate);
    if (!b || !o) return stripTags(override); // not mergeable shapes; validation reports it
    return mergeKeyMaps(b, o);
  };
}

/** environment, labels, annotations, build.args, sysctls: `K=V` lists or maps. */
export const mergeKeyValues = keyedMerger(/=/);

/**
 * extra_hosts: `host:ip`, `host=ip` or a map. A host listed twice on one side keeps
 * every address (the map value becomes a list); across files the override's host wins.
 */
export const mergeExtraHosts = keyedMerger(/[=:]/, (prev, next) => [...(Array.isArray(prev) ? prev : [prev]), next]);

// ---------------------------------------------------------------------------
// Unique lists: appended, then the later entry with the same key takes the
// earlier one's position (so an override's mount replaces the base's in place).

export function toList(value: unknown): unknown[] {
  if (value === null || value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/** keyOf returns null for an entry that can never collide with another. */
export function uniqueBy(keyOf: (entry: unknown) => string | null): Merger {
  return (base, override) => {
    const seq: unknown[] = [];
    const positions = new Map<string, number>();
    for (const entry of [...toList(base), ...toList(stripTags(override))]) {
      const key = keyOf(entry);
      if (key === null) {
        seq.push(entry);
        continue;
      }
      const at = positions.get(key);
      if (at === undefined) {
        positions.set(key, seq.length);
        seq.push(entry);
      } else {
        seq[at] = entry;
      }
    }
    return seq;
  };
}

const field = (entry: unknown, name: string): unknown => (isMap(entry) ? entry[name] : undefined);

/** cap_add, expose, profiles, dns, aliases, …: deduplicated by value. */
export const dedupe = uniqueBy((entry) => (isMap(entry) || Array.isArray(entry) ? JSON.stringify(entry) : String(entry)));

/** env_file entries are a path or `{path, required}`. */
export const mergeEnvFiles = uniqueBy((entry) => String(field(entry, 'path') ?? entry));

/** tmpfs `/run:size=64m`: one mount per container path. */
export const mergeTmpfs = uniqueBy((entry) => String(entry).split(':')[0] ?? '');

/** Short ports by string; long ones by `host_ip:published:target/protocol`. */
export const mergePorts = uniqueBy((entry) => {
  if (!isMap(entry)) return String(entry);
  // A port that is not published cannot collide with another.
  if (entry.published === undefined || entry.published === null) return null;
  const hostIp = entry.host_ip ?? '0.0.0.0';
  return `${String(hostIp)}:${String(entry.published)}:${String(entry.target)}/${String(entry.protocol ?? 'tcp')}`;
});

/** Split `a:b:c` on colons but keep Windows drive letters (`C:\x`) whole. */
export function splitColons(text: string): string[] {
  const raw = text.split(':');
  const parts: string[] = [];
  for (let i = 0; i < raw.length; i++) {
    const part = raw[i] ?? '';
    const next = raw[i + 1];
    if (/^[A-Za-z]$/.test(part) && next !== undefined && /^[\\/]/.test(next)) {
      parts.push(`${part}:${next}`);
      i++;
    } else {
      parts.push(part);
    }
  }
  return parts;
}

/** The container path of a service volume: `src:dst[:opts]` → dst, `path` → path. */
export function volumeTarget(entry: unknown): string | null {
  if (isMap(entry)) return entry.target === undefined ? null : String(entry.target);
  const parts = splitColons(String(entry));
  return (parts.length === 1 ? parts[0] : parts[1]) ?? '';
}

export const mergeServiceVolumes = uniqueBy(volumeTarget);

/** devices `host[:container[:perms]]` or `{source, target}`: by container path. */
export const mergeDevices = uniqueBy((entry) => {
  if (isMap(entry)) return String(entry.target ?? entry.source);
  const parts = splitColons(String(entry));
  return (parts.length === 1 ? parts[0] : parts[1]) ?? '';
});

/** Secrets mount at /run/secrets/<source> unless told otherwise; configs at /<source>. */
function mountTarget(defaultDir: string, relativeUnderDefault: boolean): (entry: unknown) => string {
  return (entry) => {
    const source = String(isMap(entry) ? entry.source : entry);
    const target = field(entry, 'target');
    if (target === undefined || target === null) return `${defaultDir}/${source}`;
    const text = String(target);
    return relativeUnderDefault && !text.startsWith('/') ? `${defaultDir}/${text}` : text;
  };
}

export const mergeServiceSecrets = uniqueBy(mountTarget('/run/secrets', true));
export const mergeServiceConfigs = uniqueBy(mountTarget('', false));

/** networks.*.ipam.config: one entry per subnet. */
export const mergeIpamConfig = uniqueBy((entry) => {
  const subnet = field(entry, 'subnet');
  return subnet === undefined ? null : String(subnet);
});
