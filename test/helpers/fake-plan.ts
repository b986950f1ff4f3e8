// Literal plans and replica specs for executor, conditions and converge tests.
import { LABEL } from '../../src/core/model/labels.js';
import type { DependencyCondition, ServiceSpec } from '../../src/core/model/types.js';
import type { Operation, Plan, PlanStep, ReplicaSpec } from '../../src/core/reconcile/operations.js';
import { specLiteral } from './replica-spec.js';

export const PROJECT = 'quickstart';

export function replicaSpec(service: string, number = 1, serviceSpec: ServiceSpec = {}, project = PROJECT): ReplicaSpec {
  const name = `${project}-${service}-${number}`;
  return specLiteral({
    project,
    service,
    number,
    name,
    labels: {
      [LABEL.project]: project,
      [LABEL.service]: service,
      [LABEL.number]: String(number),
      [LABEL.oneoff]: 'False',
      [LABEL.configHash]: 'hash-' + service,
    },
    service_spec: { command: ['sleep', '60'], ...serviceSpec },
  });
}

export const HEALTHY: ServiceSpec = { healthcheck: { test: ['CMD', 'true'], interval: '1s' } };

export const op = {
  create: (service: string, number = 1, spec: ServiceSpec = {}): Operation => ({ kind: 'create-replica', service, replica: replicaSpec(service, number, spec) }),
  start: (service: string, number = 1): Operation => ({ kind: 'start-replica', service, name: `${PROJECT}-${service}-${number}` }),
  network: (key: string): Operation => ({ kind: 'create-network', key, name: `${PROJECT}_${key}`, spec: {} }),
  await: (service: string, dependency: string, condition: DependencyCondition, required = true): Operation => ({
    kind: 'await-dependency',
    service,
    dependency,
    condition,
    required,
  }),
};

export function step(id: string, operation: Operation, after: string[] = []): PlanStep {
  return { id, op: operation, after };
}

export function plan(...steps: PlanStep[]): Plan {
  return { project: PROJECT, steps };
}

/** Waits until `check` holds, yielding to I/O between tries (for tests only). */
export async function until(check: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 2));
  }
}
