// Range and vocabulary checks on service fields, made at load so a bad value
// fails `config` with its location instead of `up` with "internal error":
// replica counts (bounded: `replicas: 1e20` asked the planner for an array of
// 1e20 replicas), counts that must not be negative, restart policies and
// deploy.restart_policy.condition.
import { groupDigits } from '../../compare.js';
import { TugError, type PathSegment } from '../../errors.js';
import { describe, report, type ErrorSink, type Raw } from './coerce.js';

/**
 * The most replicas one service may ask for. Planning 100,000 takes about a
 * second; a million still plans (in tens of seconds and 2 GB); beyond that
 * no single host runs them anyway.
 */
export const MAX_REPLICAS = 1_000_000;

/** What a replica count must be, in words (also used for --scale). */
export const REPLICAS_EXPECTED = `a whole number from 0 to ${groupDigits(MAX_REPLICAS)}`;

/** A replica count out of range, as a message; undefined when it is fine. */
export function replicaCountProblem(count: number): string | undefined {
  if (!Number.isInteger(count) || count < 0) return `${count} is not a replica count`;
  if (count > MAX_REPLICAS) return `${count} replicas is more than the ${groupDigits(MAX_REPLICAS)} tug allows`;
  return undefined;
}

const WHOLE = /^\s*[-+]?\d+\s*$/;

/**
 * `scale:` or `deploy.replicas` (a number, or a string after interpolation) as
 * a count; undefined when it is none (the error, with the limit, is reported).
 */
export function toReplicaCount(value: unknown, path: PathSegment[], sink: ErrorSink): number | undefined {
  const n = typeof value === 'number' ? value : typeof value === 'string' && WHOLE.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(n)) {
    report(sink, new TugError({ code: 'normalize.integer', message: `${describe(value)} is not an integer`, path, expected: REPLICAS_EXPECTED }));
    return undefined;
  }
  const problem = replicaCountProblem(n);
  if (problem === undefined) return n;
  report(sink, new TugError({ code: 'normalize.replicas', message: problem, path, expected: REPLICAS_EXPECTED }));
  return undefined;
}

/** Counts that mean "how many times" and cannot be negative. */
export function checkNonNegative(value: unknown, path: PathSegment[], sink: ErrorSink): void {
  if (typeof value === 'number' && value < 0) {
    report(sink, new TugError({ code: 'normalize.range', message: `${value} is negative`, path, expected: 'a whole number ≥ 0' }));
  }
}

const RESTART = /^(no|always|unless-stopped|on-failure(:\d+)?)$/;
const RESTART_EXPECTED = '"no", "always", "on-failure", "on-failure:N" (N retries) or "unless-stopped"';
const CONDITIONS = ['none', 'on-failure', 'any'];

/** `restart:` is one of Docker's policies; the engine would refuse anything else at `up`. */
export function checkRestart(value: unknown, path: PathSegment[], sink: ErrorSink): void {
  if (typeof value === 'string' && RESTART.test(value)) return;
  report(sink, new TugError({
    code: 'normalize.restart',
    message: `${describe(value)} is not a restart policy`,
    path,
    expected: RESTART_EXPECTED,
    hint: typeof value === 'boolean' ? 'quote it: restart: "no"' : undefined,
  }));
}

/** deploy.restart_policy: a condition from the Compose specification, and counts that are not negative. */
export function checkRestartPolicy(policy: Raw, path: PathSegment[], sink: ErrorSink): void {
  const { condition } = policy;
  if (condition !== undefined && condition !== null && !(typeof condition === 'string' && CONDITIONS.includes(condition))) {
    report(sink, new TugError({
      code: 'normalize.restart',
      message: `${describe(condition)} is not a restart condition`,
      path: [...path, 'condition'],
      expected: 'none, on-failure or any',
    }));
  }
  checkNonNegative(policy.max_attempts, [...path, 'max_attempts'], sink);
}
