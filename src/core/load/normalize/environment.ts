// A service's `environment:` as a map. A bare `KEY` (list form) or `KEY:` with
// no value (map form) takes its value from the environment tug was run with
// (the same one interpolation saw); when that has no such variable the key is
// kept with null, which `config` prints as a key without a value.
import type { PathSegment } from '../../errors.js';
import { toStringMap, type ErrorSink } from './coerce.js';
import { dictOf } from '../../dict.js';

export type EnvironmentMap = Record<string, string | null>;

export function normalizeEnvironment(
  raw: unknown,
  lookup: (name: string) => string | undefined,
  at: PathSegment[] = ['environment'],
  sink?: ErrorSink,
): EnvironmentMap {
  if (raw === null || raw === undefined) return {};
  return toStringMap<string | null>(raw, (name) => lookup(name) ?? null, at, sink);
}

/**
 * Variables from `env_file:` under `environment:`: the service's own entries
 * win. An entry that stayed null (a bare name the shell did not define) does
 * not erase a value the env file gives, the way `docker run --env-file f -e NAME`
 * keeps the file's value when NAME is unset.
 */
export function mergeEnvironment(fromFiles: Readonly<Record<string, string>>, own: EnvironmentMap): EnvironmentMap {
  const out: EnvironmentMap = dictOf(fromFiles);
  for (const key of Object.keys(own)) {
    const value = own[key] as string | null;
    if (value !== null || !Object.hasOwn(out, key)) out[key] = value;
  }
  return out;
}
