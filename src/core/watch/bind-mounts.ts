// A sync rule whose files the replica already sees through a bind mount needs
// no copying: when the rule's path lies inside a bind mount's source and the
// rule's target is where that path appears in the container. Compose skips
// any rule under a bind mount, wherever its target; here only the rules the
// mount really covers are skipped, so a sync to another place still happens.
import { posix } from 'node:path';
import type { ServiceSpec, VolumeMount } from '../model/types.js';
import { isInside, trimSlash } from './paths.js';
import type { WatchRule } from './rules.js';

/** The bind mount that already puts the rule's files at its target, if any. */
export function bindMountCovering(svc: ServiceSpec, rule: WatchRule): VolumeMount | undefined {
  if (rule.target === undefined) return undefined;
  const target = posix.normalize(rule.target);
  for (const mount of svc.volumes ?? []) {
    if (mount.type !== 'bind' || !mount.source) continue;
    const source = trimSlash(mount.source);
    const path = trimSlash(rule.path);
    if (!isInside(path, source)) continue;
    const seenAt = posix.join(mount.target, path.slice(source.length));
    if (trimSlash(seenAt) === trimSlash(target)) return mount;
  }
  return undefined;
}
