// Host processes need a little of the invoking user's environment (PATH to find
// `node`, HOME, the locale...), which containers and other backends never see.
// That is the native runtime's business: the CLI side of the backend picks
// these variables when it creates a replica, and the engine keeps them with
// the replica's spec, so a restart after the CLI has gone runs the same way.
import type { NetworkSpec } from '../../core/model/types.js';
import type { ReplicaSpec } from '../../core/reconcile/operations.js';

/** A ReplicaSpec as the native engine holds it: with the host variables a process replica inherits. */
export interface HostReplicaSpec extends ReplicaSpec {
  hostEnv: Record<string, string>;
  /** The image (its ID in the user's image store) the native images facet resolved for the service, when it has one. */
  image?: { id: string };
  /** How the replica runs (container/isolation-mode.ts decided it on the CLI side); absent: a host process. */
  isolation?: 'container' | 'process';
  /**
   * Container mode: the definitions of the service's networks by Compose key,
   * so the engine (which owns bridges, addresses and their cleanup) can create
   * a network when the first replica on it starts.
   */
  networkSpecs?: Record<string, NetworkSpec>;
}

const HOST_VARIABLES = ['PATH', 'HOME', 'USER', 'LOGNAME', 'SHELL', 'LANG', 'LC_ALL', 'TZ', 'TERM', 'TMPDIR'];

/** The part of the user's environment a host process needs. */
export function hostEnvironment(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of HOST_VARIABLES) {
    const value = Object.hasOwn(env, key) ? env[key] : undefined;
    if (value !== undefined) out[key] = value;
  }
  return out;
}
