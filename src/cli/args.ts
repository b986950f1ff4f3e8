// Parsing of command-line values that have a grammar of their own.
import { usageError } from '../core/errors.js';
import { REPLICAS_EXPECTED, replicaCountProblem } from '../core/load/normalize/bounds.js';
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

/** `-t 10` seconds → milliseconds. */
export function parseTimeoutSeconds(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw usageError(`invalid timeout "${value}"`, 'give whole seconds, e.g. -t 10');
  return Number(value) * 1000;
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
