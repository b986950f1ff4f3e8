// How one plan step reads to a user: a subject ("Container quickstart-web-1")
// and verbs for while it runs and once it is done, in docker compose's style.
import type { Operation } from '../../core/reconcile/operations.js';

export interface StepText {
  subject: string;
  /** The service (or resource) a step belongs to, for grouping. */
  group: string;
  doing: string;
  done: string;
}

export function stepText(op: Operation): StepText {
  switch (op.kind) {
    case 'create-network':
      return { subject: `Network ${op.name}`, group: `network ${op.name}`, doing: 'Creating', done: 'Created' };
    case 'remove-network':
      return { subject: `Network ${op.name}`, group: `network ${op.name}`, doing: 'Removing', done: 'Removed' };
    case 'create-volume':
      return { subject: `Volume ${op.name}`, group: `volume ${op.name}`, doing: 'Creating', done: 'Created' };
    case 'remove-volume':
      return { subject: `Volume ${op.name}`, group: `volume ${op.name}`, doing: 'Removing', done: 'Removed' };
    case 'create-replica':
      return { subject: `Replica ${op.replica.name}`, group: op.service, doing: 'Creating', done: 'Created' };
    case 'start-replica':
      return { subject: `Replica ${op.name}`, group: op.service, doing: 'Starting', done: 'Started' };
    case 'stop-replica':
      return { subject: `Replica ${op.name}`, group: op.service, doing: 'Stopping', done: 'Stopped' };
    case 'kill-replica':
      return { subject: `Replica ${op.name}`, group: op.service, doing: 'Killing', done: 'Killed' };
    case 'remove-replica':
      return { subject: `Replica ${op.name}`, group: op.service, doing: 'Removing', done: 'Removed' };
    case 'await-dependency': {
      const verb = op.condition === 'service_healthy' ? 'healthy' : op.condition === 'service_completed_successfully' ? 'completed' : 'started';
      return { subject: `${op.service} waits for ${op.dependency}`, group: op.service, doing: `Waiting until ${verb}`, done: `${op.dependency} ${verb}` };
    }
  }
}
