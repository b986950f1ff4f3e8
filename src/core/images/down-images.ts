// Which image names `down --rmi` removes, as Compose chooses them: `all`, the
// image of every service (its `image:`, or the `<project>-<service>` name a
// build gets); `local`, only those built images that have no name of the
// file's own (no custom tag). Without the file, the replicas' images stand in.
import type { ObservedState } from '../reconcile/observed.js';
import type { Project } from '../model/types.js';

export type RmiMode = 'local' | 'all';

export function imagesToRemove(name: string, project: Project | undefined, observed: ObservedState, mode: RmiMode): string[] {
  const names = new Set<string>();
  if (project) {
    for (const [service, svc] of Object.entries({ ...project.disabledServices, ...project.services })) {
      if (svc.image && mode === 'all') names.add(svc.image);
      else if (!svc.image && svc.build) names.add(`${name}-${service}`);
    }
  } else {
    for (const r of observed.replicas) {
      if (!r.image) continue;
      if (mode === 'all' || r.image === `${name}-${r.service}`) names.add(r.image);
    }
  }
  return [...names].sort();
}
