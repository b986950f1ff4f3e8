// Interpolates every string value of a parsed Compose file (never keys), after
// YAML parsing so `$VAR` inside a YAML comment is never touched. Errors are
// collected with their YAML path so the loader can report them all with locations.
import { TugError, type PathSegment } from '../errors.js';
import { interpolateString } from './interpolate.js';
import { YamlTag } from './yaml-tags.js';
import { dict, own, put } from '../dict.js';

export interface InterpolationOutcome {
  value: unknown;
  errors: TugError[];
  /** Variables that were unset and had no default, in first-seen order. */
  unset: string[];
}

export function interpolateModel(value: unknown, env: Readonly<Record<string, string>>): InterpolationOutcome {
  const errors: TugError[] = [];
  const unset = new Set<string>();
  const lookup = (name: string) => own(env, name);
  const onUnset = (name: string) => unset.add(name);
  const path: PathSegment[] = [];

  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') {
      if (!v.includes('$')) return v;
      try {
        return interpolateString(v, lookup, onUnset);
      } catch (err) {
        if (!(err instanceof TugError)) throw err;
        errors.push(new TugError({ ...err.toInit(), path: [...path] }));
        return v;
      }
    }
    if (Array.isArray(v)) {
      const out = new Array<unknown>(v.length);
      for (let i = 0; i < v.length; i++) {
        path.push(i);
        out[i] = walk(v[i]);
        path.pop();
      }
      return out;
    }
    if (v instanceof YamlTag) return new YamlTag(v.tag, walk(v.value));
    if (v !== null && typeof v === 'object') {
      // An ordinary object (the schema validator needs one), written safely.
      const out: Record<string, unknown> = {};
      for (const key of Object.keys(v)) {
        path.push(key);
        put(out, key, walk((v as Record<string, unknown>)[key]));
        path.pop();
      }
      return out;
    }
    return v;
  };

  return { value: walk(value), errors, unset: [...unset] };
}

/** For `config` output: a literal `$` is written back as `$$` so the file round-trips. */
export function escapeDollars(value: unknown): unknown {
  if (typeof value === 'string') return value.includes('$') ? value.replaceAll('$', '$$$$') : value;
  if (Array.isArray(value)) return value.map(escapeDollars);
  if (value !== null && typeof value === 'object') {
    const out = dict();
    for (const [k, v] of Object.entries(value)) out[k] = escapeDollars(v);
    return out;
  }
  return value;
}
