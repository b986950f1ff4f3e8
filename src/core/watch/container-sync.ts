// What `sync` may write into a container replica of the native runtime, decided
// once per rule from the file. A container rooted in an image has a writable
// root (the image's layers under a private upper directory): any absolute
// target will do. A container rooted in the host's own file system has that
// root read-only (writes must never reach the host), and is writable only in
// its volumes, its tmpfs mounts and bind mounts the file made writable, and
// its private /tmp, /run and /var/tmp: a target elsewhere is refused here,
// with the places that would work, instead of failing on every change.
// Pure.
import { posix } from 'node:path';
import { TugError } from '../errors.js';
import type { ServiceSpec } from '../model/types.js';
import { isInside } from './paths.js';
import type { ServiceWatchRule } from './rules.js';

/** Private tmpfs directories of every host-rooted container (container/rootfs/host-root.ts). */
export const HOST_ROOT_PRIVATE_DIRS = ['/tmp', '/run', '/var/tmp'] as const;

/** Whether the service's containers are rooted in an image (its own, or the one built for it). */
export function hasImageRoot(svc: ServiceSpec): boolean {
  return (typeof svc.image === 'string' && svc.image !== '') || svc.build !== undefined;
}

/** Where a host-rooted container of the service can be written: its writable mounts and private directories. */
export function writableHostRootDirs(svc: ServiceSpec): string[] {
  const mounts = (svc.volumes ?? []).filter((m) => m.type !== 'image' && m.read_only !== true);
  return [...mounts.map((m) => posix.normalize(m.target)), ...HOST_ROOT_PRIVATE_DIRS];
}

/** undefined when the rule's target can be written in the service's containers; else why not. */
export function containerSyncRefusal(entry: ServiceWatchRule, svc: ServiceSpec): TugError | undefined {
  const { service, index, rule } = entry;
  const target = rule.target === undefined ? undefined : posix.normalize(rule.target);
  const path = ['services', service, 'develop', 'watch', index, 'target'];
  if (target === undefined || !target.startsWith('/') || target === '/') {
    return new TugError({
      code: 'watch.container-target',
      message: `service "${service}": watch rule ${index} syncs to ${JSON.stringify(rule.target ?? '')}, which is not a directory below / in the container`,
      path,
      hint: 'give the rule an absolute target, such as /app',
    });
  }
  if (hasImageRoot(svc)) return undefined;
  const writable = writableHostRootDirs(svc);
  if (writable.some((dir) => isInside(target, dir))) return undefined;
  return new TugError({
    code: 'watch.sync-read-only-root',
    message: `service "${service}": watch rule ${index} syncs to ${target}, but the service's containers are rooted in the host's file system, read-only: only ${writable.join(', ')} can be written there`,
    path,
    hint: 'sync into a volume (add one at the target) or a private directory such as /tmp, or give the service an image',
  });
}
