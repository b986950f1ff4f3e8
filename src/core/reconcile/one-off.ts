// Plans for `run`: a one-off replica is created and started like any other
// step of a plan (after the networks and volumes its service needs), and with
// --rm removed the same way, so it runs under the project lock, through the
// executor and the backend's preflight, never beside them.
import type { Project } from '../model/types.js';
import type { ObservedState } from './observed.js';
import type { Plan, ReplicaSpec } from './operations.js';
import { PlanBuilder } from './plan-builder.js';
import { hasProcess } from './replica-state.js';
import { planResources } from './resources.js';

/** The resources `replica`'s service needs that do not exist yet (`foreign`: see ReconcileOptions.foreignVolumes), then the replica, created and started. */
export function planOneOff(project: Project, observed: ObservedState, replica: ReplicaSpec, foreign: readonly string[] = []): Plan {
  const builder = new PlanBuilder(project.name);
  const resources = planResources(builder, project, [replica.service], observed, foreign);
  const create = builder.add({ kind: 'create-replica', service: replica.service, replica }, resources.forService(replica.service_spec));
  builder.add({ kind: 'start-replica', service: replica.service, name: replica.name }, [create]);
  return builder.build();
}

/** `run --rm` once the one-off has ended: stopped if it still runs, then removed with its anonymous volumes, as `docker run --rm` does. */
export function planOneOffRemoval(observed: ObservedState, name: string, stopTimeoutMs: number): Plan {
  const builder = new PlanBuilder(observed.project);
  const replica = observed.replicas.find((r) => r.name === name);
  if (!replica) return builder.build();
  const stop = hasProcess(replica)
    ? builder.add({ kind: 'stop-replica', service: replica.service, name, id: replica.id, timeoutMs: stopTimeoutMs })
    : undefined;
  builder.add({ kind: 'remove-replica', service: replica.service, name, id: replica.id, reason: 'oneoff', removeVolumes: true }, [stop]);
  return builder.build();
}
