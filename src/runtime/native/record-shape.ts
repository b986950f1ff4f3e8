// Checks for the JSON records the native runtime reads back from TUG_HOME
// (networks.json, volume.json): a damaged or hand-edited file is read as far
// as it makes sense, never trusted to have the shape tug wrote.

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The string-valued entries of a labels object; anything else holds none. */
export function stringLabels(v: unknown): Record<string, string> {
  if (!isObject(v)) return {};
  return Object.fromEntries(Object.entries(v).filter(([, value]) => typeof value === 'string')) as Record<string, string>;
}
