// Grouping values under keys. `map.set(k, [...(map.get(k) ?? []), v])` copies
// the whole list on every insert, which turns grouping n items into O(n²);
// appending in place keeps it linear.

/** Appends `value` to the list under `key`, creating the list on first use. */
export function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** `items` grouped by `keyOf`, each group in the order the items came. */
export function groupBy<K, V>(items: Iterable<V>, keyOf: (item: V) => K): Map<K, V[]> {
  const groups = new Map<K, V[]>();
  for (const item of items) pushTo(groups, keyOf(item), item);
  return groups;
}
