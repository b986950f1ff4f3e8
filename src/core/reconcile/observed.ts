// What a backend reports about a project: a snapshot, in our own types. The
// planner compares it with the desired Project; nothing here is backend-specific.

export type ReplicaState = 'created' | 'running' | 'restarting' | 'paused' | 'exited' | 'dead' | 'removing';
export type HealthState = 'starting' | 'healthy' | 'unhealthy';

export interface PublishedPort {
  hostIp: string;
  published: number;
  target: number;
  protocol: 'tcp' | 'udp' | 'sctp';
}

export interface ExposedPort {
  target: number;
  protocol: 'tcp' | 'udp' | 'sctp';
}

export interface ObservedReplica {
  /** Backend identity (the replica name on native, the container ID on docker). */
  id: string;
  name: string;
  project: string;
  service: string;
  /** Replica number; 0 for one-off replicas. */
  number: number;
  oneoff: boolean;
  labels: Record<string, string>;
  state: ReplicaState;
  /** Absent when the service has no health check. */
  health?: HealthState;
  exitCode?: number;
  restartCount: number;
  /** ISO timestamps. */
  createdAt?: string;
  startedAt?: string;
  finishedAt?: string;
  /** Process ID of the replica's main process, when the backend knows it. */
  pid?: number;
  ports: PublishedPort[];
  /** Image reference or, on native, the command line. */
  image?: string;
  command?: string;
  /**
   * The replica's own anonymous volumes: backend volume name by target, from
   * the backend's record of what it created (never guessed from a name). A
   * recreate inherits them; `down -v` removes them with the replica.
   */
  anonymousVolumes?: Record<string, string>;
  /** Its IPv4 address on each network it is attached to (native container mode; engine-side network names). */
  addresses?: { network: string; address: string }[];
  /** Ports it exposes (`expose:`, an image's EXPOSE) that are not published, while it runs: `ps` shows them as `8080/tcp`. */
  exposed?: ExposedPort[];
  /** Things about the replica a user should know that its state does not say (e.g. "logs not kept: no space left on device"). */
  notes?: string[];
}

export interface ObservedNetwork {
  name: string;
  /** The Compose key (`com.docker.compose.network` label), when tug created it. */
  key?: string;
  labels: Record<string, string>;
}

export interface ObservedVolume {
  name: string;
  key?: string;
  labels: Record<string, string>;
}

export interface ObservedState {
  project: string;
  replicas: ObservedReplica[];
  networks: ObservedNetwork[];
  volumes: ObservedVolume[];
}

export function emptyObservedState(project: string): ObservedState {
  return { project, replicas: [], networks: [], volumes: [] };
}
