// When an exited replica runs again: `restart:`, or `deploy.restart_policy`,
// which wins when both are set (Compose's getRestartPolicy assigns it last).
// Every backend reads the policy here; how long to wait between restarts is
// the runtime's business (Docker's daemon has its own back-off; the native
// engine's is engine/restart-policy.ts).
import { TugError } from '../errors.js';
import { parseDuration } from '../load/normalize/units.js';
import type { ServiceSpec } from './types.js';

export type RestartMode = 'no' | 'always' | 'on-failure' | 'unless-stopped';

export interface RestartPolicy {
  mode: RestartMode;
  /** on-failure only (as in Docker); absent = unlimited. */
  maxAttempts?: number;
  /** deploy.restart_policy.delay: the wait before a restart. */
  delayMs?: number;
}

/** deploy.restart_policy.condition → the engine's mode (Compose's mapRestartPolicyCondition, plus the engine's own names). */
const CONDITIONS: Readonly<Record<string, RestartMode>> = {
  none: 'no',
  no: 'no',
  'on-failure': 'on-failure',
  any: 'always',
  always: 'always',
  'unless-stopped': 'unless-stopped',
};

function policyError(service: string, value: unknown, field: string[]): TugError {
  return new TugError({
    code: 'engine.restart-policy',
    message: `service ${service}: invalid restart policy ${JSON.stringify(value)}`,
    path: ['services', service, ...field],
    expected: '"no", "always", "on-failure[:max-retries]" or "unless-stopped"',
  });
}

interface DeployRestart {
  condition?: unknown;
  max_attempts?: unknown;
  delay?: unknown;
}

function deployRestart(spec: ServiceSpec): DeployRestart | undefined {
  const policy = (spec.deploy as { restart_policy?: unknown } | undefined)?.restart_policy;
  return typeof policy === 'object' && policy !== null && !Array.isArray(policy) ? (policy as DeployRestart) : undefined;
}

export function restartPolicyOf(service: string, spec: ServiceSpec): RestartPolicy {
  const deploy = deployRestart(spec);
  if (deploy) {
    const condition = deploy.condition ?? 'any';
    const mode = typeof condition === 'string' && Object.hasOwn(CONDITIONS, condition) ? CONDITIONS[condition]! : undefined;
    if (!mode) throw policyError(service, condition, ['deploy', 'restart_policy', 'condition']);
    const policy: RestartPolicy = { mode };
    if (typeof deploy.max_attempts === 'number' && deploy.max_attempts > 0) policy.maxAttempts = deploy.max_attempts;
    if (typeof deploy.delay === 'string' && deploy.delay !== '') policy.delayMs = Math.max(0, parseDuration(deploy.delay));
    return policy;
  }
  const text = spec.restart ?? 'no';
  const m = /^(no|always|unless-stopped|on-failure)(?::(\d+))?$/.exec(text);
  if (!m || (m[2] !== undefined && m[1] !== 'on-failure')) throw policyError(service, text, ['restart']);
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
