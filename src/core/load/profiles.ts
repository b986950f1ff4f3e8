// Profiles decide which services are enabled. A service without profiles is
// always on; otherwise it needs an active profile (or "*"). Naming a disabled
// service on the command line switches on all of its profiles, as Compose does.
import type { ServiceSpec } from '../model/types.js';
import { dict, own } from '../dict.js';

export interface ProfileSelection {
  enabled: Record<string, ServiceSpec>;
  disabled: Record<string, ServiceSpec>;
  activeProfiles: string[];
}

export function selectByProfiles(
  services: Record<string, ServiceSpec>,
  requestedProfiles: readonly string[],
  namedServices: readonly string[] = [],
): ProfileSelection {
  const active = new Set(requestedProfiles.filter((p) => p !== ''));
  for (const name of namedServices) {
    for (const p of own(services, name)?.profiles ?? []) active.add(p);
  }
  const enabled = dict<ServiceSpec>();
  const disabled = dict<ServiceSpec>();
  for (const [name, svc] of Object.entries(services)) {
    const profiles = svc.profiles ?? [];
    const on = profiles.length === 0 || active.has('*') || profiles.some((p) => active.has(p));
    (on ? enabled : disabled)[name] = svc;
  }
  return { enabled, disabled, activeProfiles: [...active].sort() };
}

/** All profile names used in the project (for `config --profiles`). */
export function allProfiles(services: Record<string, ServiceSpec>): string[] {
  const all = new Set<string>();
  for (const svc of Object.values(services)) for (const p of svc.profiles ?? []) all.add(p);
  return [...all].sort();
}
