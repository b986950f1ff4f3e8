// The wire protocol between the CLI (client) and a project's engine process:
// newline-delimited JSON over a Unix socket. A request gets exactly one
// response, except streaming methods (`events`), which send `event` messages
// until the client closes the connection or the engine ends the stream.
import type { ObservedReplica } from '../../core/reconcile/observed.js';
import type { HostReplicaSpec } from './host-env.js';
import type { ReplicaEvent } from '../backend.js';

export interface EngineMethods {
  /** Liveness and identity; `recovered` says what this engine repaired after a crash, in the first answer only. */
  /** `confirming`: only confirming an events subscription (the recovery report is kept for a real ping). */
  ping: { params: { confirming?: boolean }; result: { pid: number; project: string; version: string; startedAt: string; recovered: RecoveryReport } };
  /** All replicas of the project the engine knows (running or not, one-offs too). */
  list: { params: Record<string, never>; result: ObservedReplica[] };
  create: { params: { spec: HostReplicaSpec }; result: ObservedReplica };
  start: { params: { id: string }; result: ObservedReplica };
  stop: { params: { id: string; timeoutMs: number }; result: ObservedReplica };
  kill: { params: { id: string; signal: string }; result: ObservedReplica };
  /** `removeVolumes`: its anonymous volumes go too (absent: they stay). */
  remove: { params: { id: string; removeVolumes?: boolean }; result: null };
  /**
   * A `tug exec` command started by the CLI in its own process group: the
   * engine ends that group with the replica (stop, exit, remove, down). When
   * the replica is not running, the group is killed at once and this fails.
   */
  adoptExec: { params: { id: string; pid: number; procStart: number }; result: null };
  /** The spec a replica was created from (for exec: environment, working dir, user). */
  inspect: { params: { id: string }; result: { replica: ObservedReplica; spec: HostReplicaSpec } };
  /** Container mode: a project network's bridge, firewall rules and DNS listener go (`down`); nothing when none was made. */
  removeNetwork: { params: { name: string }; result: null };
  /** Container mode: a raw cgroup and network sample of each running container replica (CPU % needs two). */
  stats: { params: Record<string, never>; result: StatsSample[] };
  /** Streaming: ReplicaEvent messages. */
  events: { params: Record<string, never>; result: null };
  /** Stop every replica and exit (tests, and `down` of the last replica). */
  shutdown: { params: Record<string, never>; result: null };
}

export type EngineMethod = keyof EngineMethods;

export interface StatsSample {
  replica: string;
  service: string;
  cpuNanos?: number;
  memoryUsage?: number;
  /** Absent when unlimited. */
  memoryLimit?: number;
  memoryCache?: number;
  pids?: number;
  rxBytes: number;
  txBytes: number;
  /** Engine clock, nanoseconds (process.hrtime). */
  atNanos: number;
}

export interface RecoveryReport {
  /** Replicas whose processes outlived a crashed engine and were killed. */
  reaped: string[];
  /** When the previous engine died without shutting down (ISO), if it did. */
  previousEngineCrashedAt?: string;
  /** The saved state was damaged: what was wrong, and where it was moved. */
  stateProblem?: string;
  /** Process groups killed that only damaged records named. */
  reapedGroups?: number;
}

export interface EngineRequest<M extends EngineMethod = EngineMethod> {
  id: number;
  method: M;
  params: EngineMethods[M]['params'];
}

export interface WireError {
  code: string;
  message: string;
  hint?: string;
}

export type EngineMessage =
  | { id: number; result: unknown }
  | { id: number; error: WireError }
  | { id: number; event: ReplicaEvent };
