// How long things take, as a service's fields say, in milliseconds: the stop
// grace period and the health check's durations. Each is read here once, so
// the planner, the native engine and the docker backend agree on what a
// field means, and on Docker's defaults where it is left out. The fields
// were validated and put in canonical form at load, so parsing cannot fail.
import { parseDuration } from '../load/normalize/units.js';
import type { HealthcheckSpec, ServiceSpec } from './types.js';

/** Compose's and Docker's default stop grace period. */
export const DEFAULT_STOP_GRACE_MS = 10_000;

/** `stop_grace_period`, else 10 s; a negative period means none. */
export function stopGraceMs(spec: Pick<ServiceSpec, 'stop_grace_period'> | undefined): number {
  const written = spec?.stop_grace_period;
  return written === undefined || written === '' ? DEFAULT_STOP_GRACE_MS : Math.max(0, parseDuration(written));
}

/** A health check's durations in ms and its retries. */
export interface HealthTimings {
  intervalMs: number;
  timeoutMs: number;
  startPeriodMs: number;
  startIntervalMs: number;
  retries: number;
}

/** What Docker uses for a field that is absent or 0 (BuildKit's reference and the daemon agree). */
export const HEALTH_DEFAULTS: Readonly<HealthTimings> = {
  intervalMs: 30_000,
  timeoutMs: 30_000,
  startPeriodMs: 0,
  startIntervalMs: 5_000,
  retries: 3,
};

/**
 * Only the fields the check sets, as written (0 included: for Docker's API it
 * means "inherit the image's"). For a backend that passes them on.
 */
export function writtenHealthTimings(hc: HealthcheckSpec): Partial<HealthTimings> {
  const out: Partial<HealthTimings> = {};
  const fields = [
    ['intervalMs', hc.interval],
    ['timeoutMs', hc.timeout],
    ['startPeriodMs', hc.start_period],
    ['startIntervalMs', hc.start_interval],
  ] as const;
  for (const [key, written] of fields) if (written !== undefined && written !== '') out[key] = Math.max(0, parseDuration(written));
  if (typeof hc.retries === 'number') out.retries = hc.retries;
  return out;
}

/** The timings a check runs with: what it sets, Docker's default for what it leaves out or sets to 0. */
export function healthTimings(hc: HealthcheckSpec): HealthTimings {
  const written = writtenHealthTimings(hc);
  const pick = (key: keyof HealthTimings): number => {
    const value = written[key];
    return value !== undefined && value > 0 ? value : HEALTH_DEFAULTS[key];
  };
  return {
    intervalMs: pick('intervalMs'),
    timeoutMs: pick('timeoutMs'),
    startPeriodMs: pick('startPeriodMs'),
    startIntervalMs: pick('startIntervalMs'),
    retries: pick('retries'),
  };
}

const NS_PER_MS = 1_000_000;

/** Milliseconds as the integer nanoseconds of Docker's API and image configs. */
export function msToNs(ms: number): number {
  return Math.round(ms * NS_PER_MS);
}

/** An image config's (or the API's) nanoseconds as milliseconds. */
export function nsToMs(ns: number): number {
  return ns / NS_PER_MS;
}
