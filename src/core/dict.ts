// Maps whose keys come from a user's file or environment. A plain `{}` has a
// prototype, so `out["__proto__"] = v` replaces the prototype instead of
// storing v (an environment variable named __proto__ vanished), and
// `obj["constructor"]` finds Object's constructor (a service that depends on
// "constructor" counted as defined). Without a prototype, every name is just a
// key; and every lookup of a user's key is an own-property lookup.

/** An empty map with no prototype: "__proto__", "constructor" and "toString" are keys like any other. */
export function dict<V = unknown>(): Record<string, V> {
  return Object.create(null) as Record<string, V>;
}

/** A prototype-free copy of `entries` (or of an object's own entries). */
export function dictOf<V>(entries: Iterable<readonly [string, V]> | Readonly<Record<string, V>>): Record<string, V> {
  const out = dict<V>();
  const list = Symbol.iterator in entries ? (entries as Iterable<readonly [string, V]>) : Object.entries(entries as Record<string, V>);
  for (const [key, value] of list) out[key] = value;
  return out;
}

/** `map[key]` when `key` is the map's own; undefined otherwise (never an inherited member). */
export function own<V>(map: Readonly<Record<string, V>> | undefined, key: string): V | undefined {
  return map !== undefined && Object.hasOwn(map, key) ? map[key] : undefined;
}

/**
 * `obj[key] = value` on an ordinary object, storing "__proto__" as data rather
 * than replacing the prototype. For data handed to libraries that expect
 * ordinary objects: the schema validator's deep equality calls `valueOf`,
 * which a prototype-free object does not have.
 */
export function put(obj: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}
