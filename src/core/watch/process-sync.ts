// What `sync` means for a replica that runs as a plain host process (native
// runtime, process mode): the replica sees the host's file system, so a sync
// copies within the host, and tug only ever writes inside the project
// directory. A target outside it (as written, or once symlinks are resolved)
// is refused; a target that is the rule's own path needs nothing (the process
// already sees the files); a target inside the watched path is refused too,
// because every copy would be seen as a change and copied again, forever.
// Pure: the caller resolves the real paths.
import { posix } from 'node:path';
import { TugError } from '../errors.js';
import { isInside } from './paths.js';
import type { ServiceWatchRule } from './rules.js';

/** Real (symlink-free) paths, as the file system resolves them now. */
export interface ResolvedPaths {
  project: string;
  source: string;
  /** The target's real path; for a target that does not exist yet, its nearest existing ancestor's real path plus the rest. */
  target: string;
}

export type ProcessSyncDecision =
  | { kind: 'copy'; service: string; index: number; target: string }
  | { kind: 'in-place'; service: string; index: number; notice: string }
  | { kind: 'refused'; service: string; index: number; error: TugError };

/** The absolute host path a process-mode target names: relative targets are relative to the project directory. */
export function processTarget(target: string, projectDir: string): string {
  return posix.resolve(projectDir, target);
}

export function decideProcessSync(entry: ServiceWatchRule, projectDir: string, real: ResolvedPaths): ProcessSyncDecision {
  const { service, index, rule } = entry;
  const target = processTarget(rule.target ?? '', projectDir);
  const at = { service, index };
  const refuse = (message: string, hint: string): ProcessSyncDecision => ({
    kind: 'refused',
    ...at,
    error: new TugError({
      code: 'watch.sync-outside-project',
      message: `service "${service}": ${message}`,
      path: ['services', service, 'develop', 'watch', index, 'target'],
      hint,
    }),
  });
  const why = `in process mode a replica runs in the host's file system, so a sync writes on the host, and tug writes only inside the project directory ${projectDir}`;
  const modeHint = 'run the service in a container (an image, or the docker backend) to sync into its own file system, or use action: restart';
  if (!isInside(target, projectDir)) return refuse(`cannot sync ${rule.path} to ${target}: ${why}`, modeHint);
  if (!isInside(real.target, real.project)) {
    return refuse(`cannot sync ${rule.path} to ${target}: it leads through a symlink to ${real.target}, outside the project; ${why}`, modeHint);
  }
  if (real.target === real.source) {
    return {
      kind: 'in-place',
      ...at,
      notice: `service "${service}": watch rule ${index} syncs ${rule.path} onto itself; the process already sees the files, so nothing is copied`,
    };
  }
  if (isInside(real.target, real.source)) {
    return refuse(
      `cannot sync ${rule.path} to ${target}: the target is inside the watched path, so every copy would be seen as a change and copied again`,
      'pick a target outside the watched path, or ignore it in the rule',
    );
  }
  return { kind: 'copy', ...at, target };
}
