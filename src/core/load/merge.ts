// Merging raw Compose models: one `-f` file over the next, and an `extends` base
// under the service that extends it. Works on interpolated but not yet normalized
// YAML data, so every rule accepts both the short and the long syntax. Scalars
// are overridden, mappings deep-merged, other sequences appended, and the keys
// with special Compose rules are listed in the rule tables below. `!reset` and
// `!override` tags are honoured at any depth and never survive into the result.
//
// Ownership: the base is deep-copied (tags stripped) once on entry, so the merge
// can reuse its pieces; override pieces are copied as they are taken. Inputs are
// never mutated.

import { stripTags, YamlTag } from './yaml-tags.js';
import {
  dedupe,
  isMap,
  mergeDevices,
  mergeEnvFiles,
  mergeExtraHosts,
  mergeIpamConfig,
  mergeKeyValues,
  mergePorts,
  mergeServiceConfigs,
  mergeServiceSecrets,
  mergeServiceVolumes,
  mergeTmpfs,
  replaceValue,
  type Merger,
  type RawMap,
} from './merge-sequences.js';
import { dict, dictOf, own } from '../dict.js';

type Rules = Readonly<Record<string, Merger>>;

const NO_RULES: Rules = {};

/**
 * Merge one value. A missing or null override keeps the base (an empty key in a
 * YAML file says nothing); a missing base takes the override as written.
 */
function mergeValue(base: unknown, override: unknown, merger: Merger | undefined): unknown {
  if (override === undefined || override === null) return base === undefined ? override : base;
  if (base === undefined || base === null) return stripTags(override);
  if (merger) return merger(base, override);
  if (isMap(base) && isMap(override)) return mergeMap(base, override, NO_RULES);
  if (Array.isArray(base) && Array.isArray(override)) return [...base, ...(stripTags(override) as unknown[])];
  return stripTags(override);
}

/**
 * Deep-merge a tag-free base mapping with a raw override mapping. Keys keep the
 * base's order; new keys follow. `entry` is the merger for keys with no rule of
 * their own (the services of `services:`, the networks of a service, …).
 */
function mergeMap(base: RawMap, override: RawMap, rules: Rules, entry?: Merger): RawMap {
  // No prototype, so a "__proto__" key is stored like any other.
  const out: RawMap = dictOf(base);
  for (const key of Object.keys(override)) {
    const value = override[key];
    if (value instanceof YamlTag) {
      if (value.tag === '!reset') delete out[key];
      else out[key] = stripTags(value.value);
      continue;
    }
    const merger = own(rules, key) ?? entry;
    out[key] = mergeValue(own(base, key), value, merger);
  }
  return out;
}

/** A merger for a mapping whose keys have rules of their own. */
function mapMerger(rules: Rules): Merger {
  return (base, override) => (isMap(base) && isMap(override) ? mergeMap(base, override, rules) : stripTags(override));
}

/** A merger for a mapping of named things, each merged with `entry`. */
function entriesMerger(entry: Merger): Merger {
  return (base, override) =>
    isMap(base) && isMap(override) ? mergeMap(base, override, NO_RULES, entry) : stripTags(override);
}

/** A list of names as a mapping; a mapping stays as it is (its tags still apply). */
function namesToMap(value: unknown, entryFor: (name: string) => unknown): RawMap | undefined {
  if (isMap(value)) return value;
  if (!Array.isArray(value)) return undefined;
  const out: RawMap = dict();
  for (const name of stripTags(value) as unknown[]) out[String(name)] = entryFor(String(name));
  return out;
}

function namedMapMerger(entryFor: (name: string) => unknown, entry?: Merger): Merger {
  return (base, override) => {
    const b = namesToMap(base, entryFor);
    const o = namesToMap(override, entryFor);
    return b && o ? mergeMap(b, o, NO_RULES, entry) : stripTags(override);
  };
}

/** depends_on: `[db]` means `{db: {condition: service_started, required: true}}`. */
const mergeDependsOn = namedMapMerger(() => ({ condition: 'service_started', required: true }));

const serviceNetworkRules: Rules = { aliases: dedupe, link_local_ips: dedupe };

/** networks (service): `[front]` means `{front: null}`; aliases are deduplicated. */
const mergeServiceNetworks = namedMapMerger(() => null, mapMerger(serviceNetworkRules));

/** Logging options merge only when both sides name the same driver (or one names none). */
const mergeLogging: Merger = (base, override) => {
  if (!isMap(base) || !isMap(override)) return stripTags(override);
  const driver = stripTags(override.driver);
  const sameDriver = base.driver === undefined || driver === undefined || base.driver === driver;
  return sameDriver ? mergeMap(base, override, NO_RULES) : stripTags(override);
};

const buildRules: Rules = {
  args: mergeKeyValues,
  labels: mergeKeyValues,
  additional_contexts: mergeKeyValues,
  extra_hosts: mergeExtraHosts,
  tags: dedupe,
  platforms: dedupe,
};

/** build: a string is the context. */
const mergeBuild: Merger = (base, override) => {
  const asMap = (v: unknown): unknown => (typeof v === 'string' ? { context: v } : v);
  return mapMerger(buildRules)(asMap(base), asMap(override));
};

const serviceRules: Rules = {
  command: replaceValue,
  entrypoint: replaceValue,
  extends: replaceValue,
  healthcheck: mapMerger({ test: replaceValue }),
  environment: mergeKeyValues,
  labels: mergeKeyValues,
  annotations: mergeKeyValues,
  sysctls: mergeKeyValues,
  extra_hosts: mergeExtraHosts,
  env_file: mergeEnvFiles,
  label_file: dedupe,
  dns: dedupe,
  dns_search: dedupe,
  dns_opt: dedupe,
  tmpfs: mergeTmpfs,
  ports: mergePorts,
  volumes: mergeServiceVolumes,
  secrets: mergeServiceSecrets,
  configs: mergeServiceConfigs,
  devices: mergeDevices,
  expose: dedupe,
  cap_add: dedupe,
  cap_drop: dedupe,
  links: dedupe,
  profiles: dedupe,
  security_opt: dedupe,
  group_add: dedupe,
  external_links: dedupe,
  depends_on: mergeDependsOn,
  networks: mergeServiceNetworks,
  logging: mergeLogging,
  build: mergeBuild,
  deploy: mapMerger({ labels: mergeKeyValues }),
};

const mergeServiceEntry = mapMerger(serviceRules);

const resourceRules: Rules = { labels: mergeKeyValues };
const networkRules: Rules = { labels: mergeKeyValues, ipam: mapMerger({ config: mergeIpamConfig }) };

const modelRules: Rules = {
  name: replaceValue,
  services: entriesMerger(mergeServiceEntry),
  networks: entriesMerger(mapMerger(networkRules)),
  volumes: entriesMerger(mapMerger(resourceRules)),
  secrets: entriesMerger(mapMerger(resourceRules)),
  configs: entriesMerger(mapMerger(resourceRules)),
};

/** An owned, tag-free copy of a mapping (anything else counts as empty). */
function ownedCopy(value: Record<string, unknown>): RawMap {
  const copy = stripTags(value);
  return isMap(copy) ? copy : {};
}

/**
 * Merge one whole Compose file over the accumulated model: services by name with
 * the service rules, top-level networks/volumes/secrets/configs per key, `name`
 * overridden, `x-*` deep-merged, `include` appended. The result carries no tags.
 */
export function mergeModels(base: Record<string, unknown>, override: Record<string, unknown>): Record<string, unknown> {
  return mergeMap(ownedCopy(base), override, modelRules);
}

/** Merge one service definition over another with the Compose merge rules. */
export function mergeService(base: Record<string, unknown>, override: Record<string, unknown>): Record<string, unknown> {
  return mergeMap(ownedCopy(base), override, serviceRules);
}

/**
 * `extends`: the extending service (`local`) merged over the resolved service it
 * extends (`base`), with the same rules as a file merge. The `extends` key itself
 * is consumed here; the caller loads files and detects cycles.
 */
export function mergeExtended(base: Record<string, unknown>, local: Record<string, unknown>): Record<string, unknown> {
  const merged = mergeService(base, local);
  delete merged.extends;
  return merged;
}
