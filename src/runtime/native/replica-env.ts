// The environment of a native replica, process or container, and of what
// `tug exec` runs in it: one builder, so a command run with exec sees what
// the replica saw. Layered lowest first: what the replica's kind starts from
// (a default PATH and the invoking user's host variables for a process, the
// image's for a container) and HOME of the user it runs as, then the Compose
// `environment:`, then tug's own TUG_* (and for a process, volume) variables,
// which a service cannot spoof; exec's `-e` values last, as `docker exec -e`
// overrides the container's.
import { dictOf } from '../../core/dict.js';
import { DEFAULT_PATH } from '../../core/images/container-config.js';
import type { ReplicaSpec } from '../../core/reconcile/operations.js';
import type { HostReplicaSpec } from './host-env.js';

export interface ReplicaEnvInputs {
  /** TUG_VOLUME_* paths (engine/mounts.ts). */
  volumeEnv?: Readonly<Record<string, string>>;
  /** The home of the user the process runs as, when passwd lists that user. */
  home?: string;
  /** `tug exec -e` values. */
  extra?: Readonly<Record<string, string>>;
}

/** `base`, then the service's `environment:`, then TUG_PROJECT, TUG_SERVICE and TUG_REPLICA. */
export function serviceEnvironment(spec: ReplicaSpec, base: Readonly<Record<string, string>>): Record<string, string> {
  // No prototype: a variable named __proto__ must reach the process like any other.
  const env = dictOf<string>(base);
  for (const [key, value] of Object.entries(spec.service_spec.environment ?? {})) {
    if (value !== null && value !== undefined) env[key] = value;
  }
  env.TUG_PROJECT = spec.project;
  env.TUG_SERVICE = spec.service;
  env.TUG_REPLICA = String(spec.number);
  return env;
}

/** A process replica's (or its exec's) environment. */
export function replicaEnvironment(spec: HostReplicaSpec, inputs: ReplicaEnvInputs = {}): Record<string, string> {
  const base = dictOf<string>({ PATH: DEFAULT_PATH, ...spec.hostEnv });
  if (inputs.home !== undefined) base.HOME = inputs.home;
  return Object.assign(serviceEnvironment(spec, base), inputs.volumeEnv ?? {}, inputs.extra ?? {});
}
