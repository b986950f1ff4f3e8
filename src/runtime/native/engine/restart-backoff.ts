// When an exited replica is started again, and after how long. The policy
// comes from `restart:` or, like Compose, from `deploy.restart_policy` when that
// is set (it wins). The back-off follows Docker's restart manager with a lower
// ceiling: 100 ms doubling per restart up to 10 s, back to 100 ms once a run
// lasted 10 s, so a crash-looping replica costs little and a flake restarts fast.
import { TugError } from '../../../core/errors.js';
import { parseDuration } from '../../../core/load/normalize/units.js';
import type { ServiceSpec } from '../../../core/model/types.js';

export type RestartMode = 'no' | 'always' | 'on-failure' | 'unless-stopped';

export interface RestartPolicy {
  mode: RestartMode;
  /** on-failure only (as in Docker); 0 or absent = unlimited. */
  maxAttempts?: number;
  /** deploy.restart_policy.delay: the first back-off instead of 100 ms. */
  delayMs?: number;
}

export const BACKOFF_START_MS = 100;
export const BACKOFF_MAX_MS = 10_000;
/** A run at least this long counts as healthy and resets the back-off. */
export const BACKOFF_RESET_AFTER_MS = 10_000;

function policyError(service: string, value: unknown): TugError {
  return new TugError({
    code: 'engine.restart-policy',
    message: `service ${service}: invalid restart policy ${JSON.stringify(value)}`,
    expected: '"no", "always", "on-failure[:max-retries]" or "unless-stopped"',
  });
}

interface DeployRestart {
  condition?: string;
  max_attempts?: number;
  delay?: string;
}

export function restartPolicyOf(service: string, spec: ServiceSpec): RestartPolicy {
  const deploy = (spec.deploy as { restart_policy?: DeployRestart } | undefined)?.restart_policy;
  if (deploy) {
    const condition = deploy.condition ?? 'any';
    const modes: Record<string, RestartMode> = {
      none: 'no',
      no: 'no',
      'on-failure': 'on-failure',
      any: 'always',
      always: 'always',
      'unless-stopped': 'unless-stopped',
    };
    const mode = modes[condition];
    if (!mode) throw policyError(service, condition);
    const policy: RestartPolicy = { mode };
    if (typeof deploy.max_attempts === 'number' && deploy.max_attempts > 0) policy.maxAttempts = deploy.max_attempts;
    if (deploy.delay) policy.delayMs = parseDuration(deploy.delay);
    return policy;
  }
  const text = spec.restart ?? 'no';
  const m = /^(no|always|unless-stopped|on-failure)(?::(\d+))?$/.exec(text);
  if (!m || (m[2] !== undefined && m[1] !== 'on-failure')) throw policyError(service, text);
  const policy: RestartPolicy = { mode: m[1] as RestartMode };
  if (m[2] !== undefined && Number(m[2]) > 0) policy.maxAttempts = Number(m[2]);
  return policy;
}

/** Whether a replica that exited by itself (not stopped by a user) runs again. */
export function shouldRestart(policy: RestartPolicy, exitCode: number, restartCount: number): boolean {
  switch (policy.mode) {
    case 'no':
      return false;
    case 'always':
    case 'unless-stopped':
      return true;
    case 'on-failure':
      return exitCode !== 0 && (policy.maxAttempts === undefined || restartCount < policy.maxAttempts);
  }
}

export class Backoff {
  private current = 0;

  constructor(private readonly startMs = BACKOFF_START_MS) {}

  /** The wait before the next restart, given how long the run that just ended lasted. */
  next(ranMs: number): number {
    if (this.current === 0 || ranMs >= BACKOFF_RESET_AFTER_MS) this.current = this.startMs;
    else this.current = Math.min(this.current * 2, Math.max(BACKOFF_MAX_MS, this.startMs));
    return this.current;
  }

  reset(): void {
    this.current = 0;
  }
}
