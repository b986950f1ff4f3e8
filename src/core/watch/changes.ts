// A change on the host's file system as the watcher reports it. Shared by the
// watcher (runtime), the batcher and the planner (engine), so neither side
// depends on chokidar's shapes.

export type ChangeKind = 'add' | 'change' | 'unlink' | 'addDir' | 'unlinkDir';

export interface PathChange {
  kind: ChangeKind;
  /** Absolute host path. */
  path: string;
}

export function isDeletion(kind: ChangeKind): boolean {
  return kind === 'unlink' || kind === 'unlinkDir';
}
