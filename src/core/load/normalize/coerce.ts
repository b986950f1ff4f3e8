// Shared plumbing for normalization: how problems are reported, and the scalar
// casts Compose applies at known paths. After interpolation any value may be a
// string ("${PORT}" → "80"), so a field that must be an integer, a boolean, a
// byte size or a duration is converted here, with an error naming its path.
import { TugError, type PathSegment } from '../../errors.js';
import { canonicalDuration, parseBytes } from './units.js';
import { dict } from '../../dict.js';

/**
 * Where problems go. With an array, errors are collected and normalization
 * carries on (the loader reports them all at once); without one, the first
 * problem is thrown (convenient for callers that normalize a single value).
 */
export type ErrorSink = TugError[] | undefined;

export type Raw = Record<string, unknown>;

export function isRaw(value: unknown): value is Raw {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export function report(sink: ErrorSink, err: TugError): void {
  if (!sink) throw err;
  sink.push(err);
}

/** Report a TugError thrown by a leaf parser, adding the path it belongs to. */
export function reportAt(sink: ErrorSink, err: unknown, path: PathSegment[]): void {
  if (!(err instanceof TugError)) throw err;
  report(sink, err.path ? err : new TugError({ ...err.toInit(), path }));
}

export function typeError(path: PathSegment[], what: string, value: unknown, expected: string): TugError {
  return new TugError({
    code: 'normalize.type',
    message: `${what} must be ${expected}, got ${describe(value)}`,
    path,
    expected,
  });
}

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return JSON.stringify(value);
  return String(value);
}

// YAML 1.1 spellings, which compose-go's interpolation cast also accepts.
const TRUE_WORDS = new Set(['true', 'yes', 'y', 'on']);
const FALSE_WORDS = new Set(['false', 'no', 'n', 'off']);

export function toBoolean(value: unknown, path: PathSegment[], sink: ErrorSink): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') {
    const lower = value.trim().toLowerCase();
    if (TRUE_WORDS.has(lower)) return true;
    if (FALSE_WORDS.has(lower)) return false;
  }
  report(sink, new TugError({
    code: 'normalize.boolean',
    message: `${describe(value)} is not a boolean`,
    path,
    expected: 'true or false',
  }));
  return undefined;
}

const INTEGER = /^[-+]?\d+$/;

export function toInteger(value: unknown, path: PathSegment[], sink: ErrorSink): number | undefined {
  const n = typeof value === 'number' ? value : typeof value === 'string' && INTEGER.test(value.trim()) ? Number(value.trim()) : NaN;
  if (Number.isSafeInteger(n)) return n;
  if (Number.isInteger(n)) {
    // 1e20 or 99999999999999999999: an integer, but not one a computation can hold exactly.
    report(sink, new TugError({
      code: 'normalize.integer',
      message: `${describe(value)} is too large`,
      path,
      expected: `an integer from ${Number.MIN_SAFE_INTEGER} to ${Number.MAX_SAFE_INTEGER}`,
    }));
    return undefined;
  }
  report(sink, new TugError({
    code: 'normalize.integer',
    message: `${describe(value)} is not an integer`,
    path,
    expected: 'an integer',
  }));
  return undefined;
}

const DECIMAL = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

export function toNumber(value: unknown, path: PathSegment[], sink: ErrorSink): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && DECIMAL.test(value.trim())) {
    const n = Number(value.trim());
    if (Number.isFinite(n)) return n;
    // "1e999" reads as Infinity: a number, but none a field can hold.
    report(sink, new TugError({ code: 'normalize.number', message: `${describe(value)} is too large`, path, expected: 'a number such as 0.5' }));
    return undefined;
  }
  report(sink, new TugError({
    code: 'normalize.number',
    message: `${describe(value)} is not a number`,
    path,
    expected: 'a number such as 0.5',
  }));
  return undefined;
}

const OCTAL = /^(0o|0O)?[0-7]+$/;

/** File modes: numbers stay as they are, strings are read as octal ("0440" → 288). */
export function toFileMode(value: unknown, path: PathSegment[], sink: ErrorSink): number | undefined {
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'string' && OCTAL.test(value.trim())) {
    const text = value.trim();
    return parseInt(text[1] === 'o' || text[1] === 'O' ? text.slice(2) : text, 8);
  }
  report(sink, new TugError({
    code: 'normalize.integer',
    message: `${describe(value)} is not a file mode`,
    path,
    expected: 'an octal file mode such as "0440"',
  }));
  return undefined;
}

export function toBytes(value: unknown, path: PathSegment[], sink: ErrorSink): number | undefined {
  if (typeof value !== 'string' && typeof value !== 'number') {
    report(sink, typeError(path, 'A byte size', value, 'a size such as "512m"'));
    return undefined;
  }
  try {
    return parseBytes(value);
  } catch (err) {
    reportAt(sink, err, path);
    return undefined;
  }
}

export function toDuration(value: unknown, path: PathSegment[], sink: ErrorSink): string | undefined {
  if (typeof value !== 'string' && typeof value !== 'number') {
    report(sink, typeError(path, 'A duration', value, 'a duration such as "10s"'));
    return undefined;
  }
  try {
    return canonicalDuration(value);
  } catch (err) {
    reportAt(sink, err, path);
    return undefined;
  }
}

/** Scalars in string-valued maps and lists: 80 → "80", true → "true". */
export function scalarString(value: unknown): string {
  return typeof value === 'string' ? value : String(value);
}

export type FieldKind = 'bool' | 'int' | 'float' | 'bytes' | 'duration' | 'mode';

const CASTS: Record<FieldKind, (v: unknown, path: PathSegment[], sink: ErrorSink) => unknown> = {
  bool: toBoolean,
  int: toInteger,
  float: toNumber,
  bytes: toBytes,
  duration: toDuration,
  mode: toFileMode,
};

/**
 * A shallow copy of `obj` with the listed fields cast. A field that fails to
 * cast keeps its written value (the error is reported), so later stages still
 * see something. Absent and null fields are left alone.
 */
export function castFields(
  obj: Raw,
  kinds: Readonly<Record<string, FieldKind>>,
  at: PathSegment[],
  sink: ErrorSink,
): Raw {
  const out: Raw = { ...obj };
  for (const key in kinds) {
    const value = obj[key];
    if (value === undefined || value === null) continue;
    const cast = CASTS[kinds[key]!](value, [...at, key], sink);
    if (cast !== undefined) out[key] = cast;
  }
  return out;
}

/** Cast one value by kind (undefined when it fails; the error is reported). */
export function castValue(kind: FieldKind, value: unknown, path: PathSegment[], sink: ErrorSink): unknown {
  return CASTS[kind](value, path, sink);
}

/**
 * `["K=V", "K"]` or `{K: V}` → `{K: "V"}`. `bare` gives the value of an entry
 * written without "=" (labels use "", build args and environment look it up),
 * and of a null map value.
 */
export function toStringMap<V extends string | null>(
  raw: unknown,
  bare: (key: string) => V,
  at: PathSegment[],
  sink: ErrorSink,
): Record<string, string | V> {
  const out = dict<string | V>();
  if (Array.isArray(raw)) {
    for (let i = 0; i < raw.length; i++) {
      const entry = raw[i];
      if (entry === null || typeof entry === 'object') {
        report(sink, typeError([...at, i], 'An entry', entry, 'a "KEY=value" string'));
        continue;
      }
      const text = scalarString(entry);
      const eq = text.indexOf('=');
      if (eq === 0 || text === '') {
        report(sink, typeError([...at, i], 'An entry', entry, 'a "KEY=value" string with a key'));
        continue;
      }
      if (eq < 0) out[text] = bare(text);
      else out[text.slice(0, eq)] = text.slice(eq + 1);
    }
    return out;
  }
  if (isRaw(raw)) {
    for (const key of Object.keys(raw)) {
      const value = raw[key];
      if (value === null || value === undefined) out[key] = bare(key);
      else if (typeof value === 'object') report(sink, typeError([...at, key], 'A value', value, 'a string'));
      else out[key] = scalarString(value);
    }
    return out;
  }
  report(sink, typeError(at, 'This field', raw, 'a list of "KEY=value" strings or a mapping'));
  return out;
}

/** A string or a list of scalars → a list of strings ("dns: 8.8.8.8" → ["8.8.8.8"]). */
export function toStringList(raw: unknown, at: PathSegment[], sink: ErrorSink): string[] {
  if (typeof raw === 'string') return [raw];
  if (typeof raw === 'number' || typeof raw === 'boolean') return [String(raw)];
  if (!Array.isArray(raw)) {
    report(sink, typeError(at, 'This field', raw, 'a string or a list of strings'));
    return [];
  }
  const out: string[] = [];
  for (let i = 0; i < raw.length; i++) {
    const entry = raw[i];
    if (entry === null || typeof entry === 'object') {
      report(sink, typeError([...at, i], 'An entry', entry, 'a string'));
    } else out.push(scalarString(entry));
  }
  return out;
}
