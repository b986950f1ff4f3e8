// A change on the host's file system as the watcher reports it, and a path to
// sync into replicas. Shared by the watcher and the file syncs (runtime) and
// the batcher and the planner (engine), so neither side depends on the other's
// libraries.

export type ChangeKind = 'add' | 'change' | 'unlink' | 'addDir' | 'unlinkDir';

export interface PathChange {
  kind: ChangeKind;
  /** Absolute host path. */
  path: string;
}

export function isDeletion(kind: ChangeKind): boolean {
  return kind === 'unlink' || kind === 'unlinkDir';
}

/** One path to bring in step in a replica: copied when it exists on the host then, removed when not. */
export interface SyncPath {
  /** Absolute host path. */
  hostPath: string;
  /** Where it goes in the replica: the rule's target joined with `rel`. */
  target: string;
  /** The path relative to the rule's `path` ("" for the rule's own path); its directories are implied. */
  rel: string;
}
