// The typed operations a plan is made of. Each is one call to a backend (or,
// for `await-dependency`, one wait on backend events). The executor maps each
// kind to exactly one handler, so a new kind without a handler does not compile.
import type { DependencyCondition, FileObjectSpec, NetworkSpec, ServiceSpec, VolumeSpec } from '../model/types.js';

/**
 * Everything a backend needs to create one replica, and nothing it must look
 * up elsewhere: no backend-specific types, no project kept on the side.
 */
export interface ReplicaSpec {
  project: string;
  service: string;
  /** 1-based replica number; 0 for one-off replicas. */
  number: number;
  name: string;
  oneoff: boolean;
  /** All labels, including the config hash (see core/model/labels.ts). */
  labels: Record<string, string>;
  /** The normalized service definition. */
  service_spec: ServiceSpec;
  /** Absolute project directory: relative working_dir and paths resolve against it. */
  projectDir: string;
  /** Engine-side names of the networks and volumes the service uses, by Compose key. */
  networkNames: Record<string, string>;
  volumeNames: Record<string, string>;
  /** Engine names of the networks and volumes above that are external: they must exist, never made or removed. */
  externalNetworks: string[];
  externalVolumes: string[];
  /** The top-level definitions of the secrets and configs the service is granted, by name. */
  secrets: Record<string, FileObjectSpec>;
  configs: Record<string, FileObjectSpec>;
  /**
   * Backend volume names by target: the anonymous volumes of the replica this
   * one replaces. A backend mounts them instead of making new ones, so a
   * recreate keeps anonymous data, as Compose does.
   */
  inheritedVolumes?: Record<string, string>;
}

export type RemoveReason = 'scale-down' | 'orphan' | 'down' | 'recreate' | 'oneoff';

export type Operation =
  | { kind: 'create-network'; key: string; name: string; spec: NetworkSpec }
  | { kind: 'remove-network'; name: string }
  | { kind: 'create-volume'; key: string; name: string; spec: VolumeSpec }
  | { kind: 'remove-volume'; name: string }
  | { kind: 'create-replica'; service: string; replica: ReplicaSpec }
  | { kind: 'start-replica'; service: string; name: string }
  | { kind: 'stop-replica'; service: string; name: string; id: string; timeoutMs: number }
  | { kind: 'kill-replica'; service: string; name: string; id: string; signal: string }
  | {
      kind: 'remove-replica';
      service: string;
      name: string;
      id: string;
      reason: RemoveReason;
      /** Its anonymous volumes go too (`down -v`, `run --rm`); otherwise they stay, as with Compose. */
      removeVolumes: boolean;
    }
  | {
      kind: 'await-dependency';
      /** The service that waits. */
      service: string;
      dependency: string;
      condition: DependencyCondition;
      required: boolean;
    };

export type OperationKind = Operation['kind'];

export interface PlanStep {
  /** Unique within the plan, e.g. "3". */
  id: string;
  op: Operation;
  /** Steps that must finish first. */
  after: string[];
}

export interface Plan {
  project: string;
  steps: PlanStep[];
}
