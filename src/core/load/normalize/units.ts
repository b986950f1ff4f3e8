// Durations and byte sizes as Compose writes them. Durations follow Go's
// time.ParseDuration (plus the "d" and "w" units compose-go accepts through
// str2duration) and print like Go's time.Duration.String(), because that is the
// form `docker compose config` shows ("1m30s", not "90s"). Byte sizes follow
// docker/go-units RAMInBytes: binary multiples, case-insensitive, optional "b"/"ib".
import { TugError } from '../../errors.js';

const NS_PER_MS = 1e6;
/** Go's longest time.Duration, 2^63 - 1 ns (about 292 years). */
const MAX_DURATION_NS = 2 ** 63 - 1;

// Nanoseconds per unit. "µs" is U+00B5 (micro sign), "μs" is U+03BC (Greek mu): Go accepts both.
const DURATION_UNITS: Readonly<Record<string, number>> = {
  ns: 1,
  us: 1e3,
  'µs': 1e3,
  'μs': 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
  d: 86400e9,
  w: 604800e9,
};

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

const BARE_NUMBER = /^\s*[-+]?\d+(\.\d*)?\s*$/;

function durationError(input: string | number, why: string): TugError {
  return new TugError({
    code: 'normalize.duration',
    message: `Invalid duration ${JSON.stringify(String(input))}: ${why}`,
    expected: 'a duration such as "10s", "1m30s", "500ms" or "1h"',
    hint: BARE_NUMBER.test(String(input))
      ? `a bare number has no unit; write "${String(input).trim()}s" for seconds`
      : undefined,
  });
}

/**
 * Parse a Go duration ("1m30s", "500ms", "1.5s", "2us", "-1h") into milliseconds
 * (fractional below one millisecond). Like Go, a bare number other than 0 is an
 * error: Compose durations need a unit.
 */
export function parseDuration(input: string | number): number {
  let s = typeof input === 'number' ? String(input) : input;
  let negative = false;
  if (s.length > 0 && (s[0] === '-' || s[0] === '+')) {
    negative = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') throw durationError(input, 'it is empty');
  let totalNs = 0;
  let i = 0;
  while (i < s.length) {
    const intStart = i;
    let whole = 0;
    while (i < s.length && isDigit(s.charCodeAt(i))) whole = whole * 10 + (s.charCodeAt(i++) - 48);
    const hadWhole = i > intStart;
    let frac = 0;
    let scale = 1;
    let hadFrac = false;
    if (i < s.length && s[i] === '.') {
      i++;
      const fracStart = i;
      while (i < s.length && isDigit(s.charCodeAt(i))) {
        // Beyond ~15 digits a double stops gaining precision; Go stops accumulating too.
        if (scale < 1e15) {
          frac = frac * 10 + (s.charCodeAt(i) - 48);
          scale *= 10;
        }
        i++;
      }
      hadFrac = i > fracStart;
    }
    if (!hadWhole && !hadFrac) throw durationError(input, 'expected a number');
    const unitStart = i;
    while (i < s.length && s[i] !== '.' && !isDigit(s.charCodeAt(i))) i++;
    if (i === unitStart) throw durationError(input, 'missing unit');
    const unit = s.slice(unitStart, i);
    const perUnit = DURATION_UNITS[unit];
    if (perUnit === undefined) throw durationError(input, `unknown unit ${JSON.stringify(unit)}`);
    totalNs += whole * perUnit + (frac > 0 ? Math.trunc(frac * (perUnit / scale)) : 0);
  }
  if (!Number.isFinite(totalNs)) throw durationError(input, 'out of range');
  // Go keeps a Duration in int64 nanoseconds and refuses anything longer, so Compose does.
  if (totalNs > MAX_DURATION_NS) throw durationError(input, 'longer than 2562047h47m16.854775807s (about 292 years), the longest duration Compose allows');
  const ms = totalNs / NS_PER_MS;
  return negative ? -ms : ms;
}

/** Fraction digits of `v` below 10^prec, without trailing zeros, with the dot (Go's fmtFrac). */
function fraction(v: number, prec: number): string {
  let digits = '';
  let printed = false;
  for (let k = 0; k < prec; k++) {
    const digit = v % 10;
    v = Math.floor(v / 10);
    printed = printed || digit !== 0;
    if (printed) digits = String(digit) + digits;
  }
  return printed ? '.' + digits : '';
}

/**
 * Milliseconds in Go's time.Duration.String() form: "1h0m0s", "1m30s", "1.5s",
 * "500ms", "2µs", "0s". Exact up to about 104 days (2^53 ns).
 */
export function formatDuration(ms: number): string {
  const ns = Math.round(Math.abs(ms) * NS_PER_MS);
  const sign = ms < 0 && ns !== 0 ? '-' : '';
  if (ns === 0) return '0s';
  if (ns < 1e9) {
    if (ns < 1e3) return `${sign}${ns}ns`;
    if (ns < 1e6) return `${sign}${Math.floor(ns / 1e3)}${fraction(ns % 1e3, 3)}µs`;
    return `${sign}${Math.floor(ns / 1e6)}${fraction(ns % 1e6, 6)}ms`;
  }
  const frac = fraction(ns % 1e9, 9);
  let rest = Math.floor(ns / 1e9);
  let out = `${rest % 60}${frac}s`;
  rest = Math.floor(rest / 60);
  if (rest > 0) {
    out = `${rest % 60}m${out}`;
    rest = Math.floor(rest / 60);
    if (rest > 0) out = `${rest}h${out}`;
  }
  return sign + out;
}

/** parseDuration then formatDuration: "90s" → "1m30s". */
export function canonicalDuration(input: string | number): string {
  return formatDuration(parseDuration(input));
}

const BYTE_UNITS: Readonly<Record<string, number>> = {
  k: 1024,
  m: 1024 ** 2,
  g: 1024 ** 3,
  t: 1024 ** 4,
  p: 1024 ** 5,
};

const BYTES_NUMBER = /^\+?(\d+\.?\d*|\.\d+)$/;

function bytesError(input: string | number, why: string): TugError {
  return new TugError({
    code: 'normalize.bytes',
    message: `Invalid byte size ${JSON.stringify(String(input))}: ${why}`,
    expected: 'a size such as "512m", "1.5g", "100k", "1gb" or a number of bytes',
  });
}

/**
 * "1.5G" → 1610612736, "512m", "100k", "1gb", "2b", "1 KiB", 2048 → 2048.
 * Fractions are truncated to whole bytes. -1 is allowed (memswap_limit: unlimited).
 */
export function parseBytes(input: string | number): number {
  const bytes = bytesOf(input);
  // Past 2^53 a double no longer holds every whole number: the size would silently change.
  if (bytes > Number.MAX_SAFE_INTEGER) throw bytesError(input, `more than ${Number.MAX_SAFE_INTEGER} bytes, the largest size tug holds exactly (8 PiB less one byte)`);
  return bytes;
}

function bytesOf(input: string | number): number {
  if (typeof input === 'number') {
    if (!Number.isFinite(input) || input < -1) throw bytesError(input, 'it must be a positive number');
    return Math.trunc(input);
  }
  const s = input.trim();
  if (s === '-1') return -1;
  // The number ends at the last digit, dot or space; what follows is the unit suffix.
  let end = s.length;
  while (end > 0) {
    const c = s.charCodeAt(end - 1);
    if (isDigit(c) || c === 46 /* . */ || c === 32 /* space */) break;
    end--;
  }
  if (end === 0) throw bytesError(input, 'it has no number');
  const num = s.slice(0, end).trimEnd();
  const suffix = s.slice(end).toLowerCase();
  if (num.startsWith('-')) throw bytesError(input, 'it must not be negative');
  if (!BYTES_NUMBER.test(num)) throw bytesError(input, `${JSON.stringify(num)} is not a number`);
  const size = Number(num);
  if (suffix === '' || suffix === 'b') return Math.trunc(size);
  const multiplier = BYTE_UNITS[suffix[0]!];
  const tailOk = suffix.length === 1 || suffix.slice(1) === 'b' || suffix.slice(1) === 'ib';
  if (multiplier === undefined || !tailOk) throw bytesError(input, `unknown unit ${JSON.stringify(suffix)}`);
  return Math.trunc(size * multiplier);
}
