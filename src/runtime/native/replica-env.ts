// The environment of a process replica, and of what `tug exec` runs in it:
// one builder, so a command run with exec sees what the replica saw. Layered
// lowest first: a default PATH, the invoking user's host variables (host-env.ts),
// HOME of the user it runs as, the Compose `environment:`, then tug's own
// TUG_* and volume variables, which a service cannot spoof; exec's `-e`
// values last, as `docker exec -e` overrides the container's.
import { dictOf } from '../../core/dict.js';
import type { HostReplicaSpec } from './host-env.js';

export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface ReplicaEnvInputs {
  /** TUG_VOLUME_* paths (engine/mounts.ts). */
  volumeEnv?: Readonly<Record<string, string>>;
  /** The home of the user the process runs as, when passwd lists that user. */
  home?: string;
  /** `tug exec -e` values. */
  extra?: Readonly<Record<string, string>>;
}

export function replicaEnvironment(spec: HostReplicaSpec, inputs: ReplicaEnvInputs = {}): Record<string, string> {
  // No prototype: a variable named __proto__ must reach the process like any other.
  const env = dictOf<string>({ PATH: DEFAULT_PATH, ...spec.hostEnv });
  if (inputs.home !== undefined) env.HOME = inputs.home;
  for (const [key, value] of Object.entries(spec.service_spec.environment ?? {})) {
    if (value !== null && value !== undefined) env[key] = value;
  }
  env.TUG_PROJECT = spec.project;
  env.TUG_SERVICE = spec.service;
  env.TUG_REPLICA = String(spec.number);
  Object.assign(env, inputs.volumeEnv ?? {}, inputs.extra ?? {});
  return env;
}
