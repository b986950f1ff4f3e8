// Names of the kernel objects tug creates for a project: cgroup paths, network
// namespaces, bridges and veths. Each embeds a hash of (TUG_HOME, project,
// object), so two TUG_HOMEs or projects never collide, and the name fits the
// kernel's limits (15 characters for an interface). Names are only ever used
// to create objects and, from the ledger, to remove them: nothing is found by
// matching a name pattern.
import { createHash } from 'node:crypto';

/** Where every tug container cgroup lives, in each hierarchy. */
export const CGROUP_ROOT = '/tug';

function digest(...parts: string[]): string {
  return createHash('sha256').update(parts.join('\0')).digest('hex');
}

/** `/tug/<hash>-<project>`: the parent of the project's container cgroups. */
export function projectCgroup(home: string, project: string): string {
  return `${CGROUP_ROOT}/${digest(home).slice(0, 8)}-${project}`;
}

export function replicaCgroup(home: string, project: string, replica: string): string {
  return `${projectCgroup(home, project)}/${replica}`;
}

/** A network namespace name (a file in /run/netns). */
export function netnsName(home: string, project: string, replica: string): string {
  return `tug-${digest(home, project, 'netns', replica).slice(0, 16)}`;
}

/** A bridge for a project network: "tugb" + 11 hex digits (15 characters). */
export function bridgeName(home: string, project: string, network: string): string {
  return `tugb${digest(home, project, 'bridge', network).slice(0, 11)}`;
}

/** The host end of a replica's veth on one network: "tugv" + 11 hex digits. */
export function vethName(home: string, project: string, replica: string, network: string): string {
  return `tugv${digest(home, project, 'veth', replica, network).slice(0, 11)}`;
}

/** A transient name for the container end while it is created in the host namespace. */
export function peerName(home: string, project: string, replica: string, network: string): string {
  return `tugp${digest(home, project, 'peer', replica, network).slice(0, 11)}`;
}

/** The nftables table of a project's forwarded ports (network/port-dnat.ts): "tug_" + 16 hex digits. */
export function dnatTableName(home: string, project: string): string {
  return `tug_${digest(home, project, 'dnat').slice(0, 16)}`;
}
