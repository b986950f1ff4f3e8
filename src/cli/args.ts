// Parsing of command-line values that have a grammar of their own.
import { usageError } from '../core/errors.js';
import { REPLICAS_EXPECTED, replicaCountProblem } from '../core/model/replica-count.js';
import { dict } from '../core/dict.js';

/** `web=3` (repeatable) → {web: 3}; every problem is a usage error naming the value. */
export function parseScaleArgs(values: readonly string[], known: readonly string[]): Record<string, number> {
  const out = dict<number>();
  for (const value of values) {
    const eq = value.indexOf('=');
    if (eq <= 0) throw usageError(`invalid scale "${value}"`, 'write SERVICE=NUMBER, e.g. web=3');
    const service = value.slice(0, eq);
    const count = value.slice(eq + 1);
    if (!/^\d+$/.test(count)) {
      throw usageError(`invalid scale "${value}": "${count}" is not a whole number of replicas`, 'use a number ≥ 0, e.g. web=3');
    }
    const problem = replicaCountProblem(Number(count));
    if (problem) throw usageError(`invalid scale "${value}": ${problem}`, `use ${REPLICAS_EXPECTED}`);
    if (!known.includes(service)) {
      throw usageError(`no such service: ${service}`, known.length > 0 ? `services in this project: ${known.join(', ')}` : undefined);
    }
    out[service] = Number(count);
  }
  return out;
}

/**
 * A flag's whole-number value: decimal digits only (no sign, fraction or
 * exponent), from `min` up; anything else is a usage error naming the flag,
 * never a value silently ignored or turned into NaN.
 */
export function parseWholeNumber(value: string, flag: string, opts: { min?: number; hint: string }): number {
  const min = opts.min ?? 0;
  const n = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < min) {
    const why = Number.isNaN(n) ? 'not a whole number' : n < min ? `less than ${min}` : 'too large';
    throw usageError(`invalid ${flag} "${value}": ${why}`, opts.hint);
  }
  return n;
}

/** `-t 10` seconds → milliseconds (large values are fine: timers hold any delay). */
export function parseTimeoutSeconds(value: string | undefined, flag = '-t'): number | undefined {
  if (value === undefined) return undefined;
  const seconds = parseWholeNumber(value, flag, { hint: `give whole seconds, e.g. ${flag} 10` });
  if (!Number.isSafeInteger(seconds * 1000)) throw usageError(`invalid ${flag} "${value}": too large`, `give whole seconds, e.g. ${flag} 10`);
  return seconds * 1000;
}

/** `--wait-timeout SECONDS`: 0 (or none) waits as long as it takes, as in Compose. */
export function parseWaitTimeout(value: string | undefined): number | undefined {
  const ms = parseTimeoutSeconds(value, '--wait-timeout');
  return ms === 0 ? undefined : ms;
}

/** `--index N`: a replica number, from 1. */
export function parseReplicaIndex(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  return parseWholeNumber(value, '--index', { min: 1, hint: 'replica numbers start at 1, e.g. --index 2' });
}

/** `--tail N` or `--tail all`. */
export function parseTail(value: string | undefined): number | undefined {
  if (value === undefined || value === 'all') return undefined;
  return parseWholeNumber(value, '--tail', { hint: 'a number of lines, or "all"' });
}

/**
 * How many operations run at once: `--parallel`, else COMPOSE_PARALLEL_LIMIT;
 * a whole number from 1, or -1 for no limit (Compose's meaning). Undefined
 * when neither is set (the backend's default applies).
 */
export function parseParallel(flag: string | undefined, env: string | undefined): number | undefined {
  const [value, from] = flag !== undefined ? [flag, '--parallel'] : [env, 'COMPOSE_PARALLEL_LIMIT'];
  if (value === undefined || (flag === undefined && value === '')) return undefined;
  if (value === '-1') return Infinity;
  return parseWholeNumber(value, from, { min: 1, hint: `give how many operations may run at once, e.g. ${from === '--parallel' ? '--parallel 4' : 'COMPOSE_PARALLEL_LIMIT=4'} (-1 for no limit)` });
}

/** `--since`/`--until`: RFC 3339 or relative ("42m", "10s", "2h") → ISO time. */
export function parseTimeArg(value: string | undefined, now: number, flag: string): string | undefined {
  if (value === undefined) return undefined;
  const rel = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(value);
  if (rel) {
    const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[rel[2] as 'ms' | 's' | 'm' | 'h'];
    return new Date(now - Number(rel[1]) * unit).toISOString();
  }
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw usageError(`invalid ${flag} "${value}"`, 'use a time like 2026-01-02T15:04:05Z or a duration like 10m');
  return new Date(t).toISOString();
}
