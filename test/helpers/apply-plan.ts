// Simulates what a backend would do with a plan, on an ObservedState, so
// planner tests can check that planning again right after is a no-op.
import { LABEL } from '../../src/core/model/labels.js';
import type { ObservedReplica, ObservedState, ReplicaState } from '../../src/core/reconcile/observed.js';
import type { Plan } from '../../src/core/reconcile/operations.js';
import { sortSteps } from '../../src/core/reconcile/plan.js';

export function applyPlan(observed: ObservedState, plan: Plan): ObservedState {
  let { replicas, networks, volumes } = observed;
  const setState = (name: string, state: ReplicaState, exitCode?: number) => {
    replicas = replicas.map((r) => (r.name === name ? { ...r, state, exitCode } : r));
  };
  for (const { op } of sortSteps(plan)) {
    switch (op.kind) {
      case 'create-network':
        networks = [...networks, { name: op.name, key: op.key, labels: { [LABEL.project]: plan.project, [LABEL.network]: op.key } }];
        break;
      case 'remove-network':
        networks = networks.filter((n) => n.name !== op.name);
        break;
      case 'create-volume':
        volumes = [...volumes, { name: op.name, key: op.key, labels: { [LABEL.project]: plan.project, [LABEL.volume]: op.key } }];
        break;
      case 'remove-volume':
        volumes = volumes.filter((v) => v.name !== op.name);
        break;
      case 'create-replica': {
        const { replica } = op;
        if (replicas.some((r) => r.name === replica.name)) throw new Error(`name conflict: ${replica.name}`);
        replicas = [...replicas, observedReplica(replica.name, replica.service, replica.number, 'created', replica.labels, replica.oneoff, replica.project)];
        break;
      }
      case 'start-replica':
        setState(op.name, 'running');
        break;
      case 'stop-replica':
        setState(op.name, 'exited', 0);
        break;
      case 'kill-replica':
        setState(op.name, 'exited', 137);
        break;
      case 'remove-replica':
        replicas = replicas.filter((r) => r.name !== op.name);
        break;
      case 'await-dependency':
        break;
    }
  }
  return { project: observed.project, replicas, networks, volumes };
}

export function observedReplica(
  name: string,
  service: string,
  number: number,
  state: ReplicaState,
  labels: Record<string, string>,
  oneoff = false,
  project = 'p',
): ObservedReplica {
  return { id: `id-${name}`, name, project, service, number, oneoff, labels, state, restartCount: 0, ports: [] };
}
