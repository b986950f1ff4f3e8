// What a reload of the project files changed, per service, for the one line
// each changed service gets: added, removed, rescaled (only its replica count
// moved) or reconfigured (anything that recreates its replicas, or how it is
// built or ordered). Pure: both models are loaded by the caller.
import { serviceConfigHash, canonicalJson } from '../model/hash.js';
import type { Project, ServiceSpec } from '../model/types.js';
import { replicaCount } from '../load/check.js';

/** How a reload changed one service. */
export type ServiceChange = 'added' | 'removed' | 'scaled' | 'reconfigured';

export interface ServiceReloadChange {
  service: string;
  change: ServiceChange;
}

export function changedServices(before: Project, after: Project): ServiceReloadChange[] {
  const out: ServiceReloadChange[] = [];
  for (const [service, svc] of Object.entries(after.services)) {
    const old = Object.hasOwn(before.services, service) ? before.services[service] : undefined;
    if (!old) out.push({ service, change: 'added' });
    else if (reconfigured(old, svc)) out.push({ service, change: 'reconfigured' });
    else if (replicaCount(old) !== replicaCount(svc)) out.push({ service, change: 'scaled' });
  }
  for (const service of Object.keys(before.services)) {
    if (!Object.hasOwn(after.services, service)) out.push({ service, change: 'removed' });
  }
  return out.sort((a, b) => (a.service < b.service ? -1 : a.service > b.service ? 1 : 0));
}

/** The config hash leaves out build, depends_on and x- fields: a change there still matters to the user (a new image, a new rule). */
function reconfigured(a: ServiceSpec, b: ServiceSpec): boolean {
  if (serviceConfigHash(a) !== serviceConfigHash(b)) return true;
  const rest = (s: ServiceSpec) => canonicalJson({ build: s.build, depends_on: s.depends_on, develop: s.develop, x: xFields(s) });
  return rest(a) !== rest(b);
}

function xFields(s: ServiceSpec): Record<string, unknown> {
  return Object.fromEntries(Object.entries(s).filter(([k]) => k.startsWith('x-')));
}
