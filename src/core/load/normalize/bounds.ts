// Range and vocabulary checks on service fields, made at load so a bad value
// fails `config` with its location instead of `up` with "internal error":
// replica counts (bounded: `replicas: 1e20` asked the planner for an array of
// 1e20 replicas), counts that must not be negative, restart policies and
// deploy.restart_policy.condition.
import { REPLICAS_EXPECTED, replicaCountProblem } from '../../model/replica-count.js';
import { TugError, type PathSegment } from '../../errors.js';
import { describe, report, type ErrorSink, type Raw } from './coerce.js';

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
  const retries = typeof value === 'string' ? Number(/:(\d+)$/.exec(value)?.[1] ?? 0) : 0;
  if (typeof value === 'string' && RESTART.test(value) && Number.isSafeInteger(retries)) return;
  report(sink, new TugError({
    code: 'normalize.restart',
    message: `${describe(value)} is not a restart policy${Number.isSafeInteger(retries) ? '' : ': its retry count is too large'}`,
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
