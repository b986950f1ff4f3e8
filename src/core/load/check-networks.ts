// Load-time checks of what a runtime would refuse later, tied to the file so
// the error can point at the line: configured subnets that overlap, an
// `ipv4_address` outside its network's configured subnet, a memory limit below
// what a process needs to start (Docker's 6 MiB minimum), a
// `network_mode`/`pid`/`ipc` of `service:X` whose X has no replicas to join,
// and name settings beside a network_mode that takes X's names (Docker's
// "conflicting options").
// Pure; facts of the machine (a subnet colliding with a host route) are the
// backend's preflight.
import { TugError } from '../errors.js';
import { contains, formatCidr, ipToInt, overlaps, parseCidr, type Ipv4Net } from '../model/ipv4.js';
import type { Project, ServiceSpec } from '../model/types.js';
import { replicaCount } from './check.js';

export const MIN_MEMORY_BYTES = 6 * 1024 * 1024;

/** The IPv4 subnets a network's ipam.config sets, with their index. */
function configuredSubnets(project: Project, key: string): { index: number; net: Ipv4Net; text: string }[] {
  const config = project.networks[key]?.ipam?.config ?? [];
  const out: { index: number; net: Ipv4Net; text: string }[] = [];
  config.forEach((c, index) => {
    const text = typeof c.subnet === 'string' ? c.subnet : undefined;
    const net = text ? parseCidr(text) : undefined;
    if (text && net) out.push({ index, net, text });
  });
  return out;
}

function checkSubnets(project: Project, errors: TugError[]): void {
  const seen: { key: string; net: Ipv4Net; text: string }[] = [];
  for (const key of Object.keys(project.networks)) {
    for (const s of configuredSubnets(project, key)) {
      const other = seen.find((o) => overlaps(o.net, s.net));
      if (other) {
        errors.push(new TugError({
          code: 'check.subnet-overlap',
          message: `network "${key}": subnet ${s.text} overlaps subnet ${other.text} of network "${other.key}"`,
          path: ['networks', key, 'ipam', 'config', s.index, 'subnet'],
          hint: 'give each network a subnet of its own',
        }));
      }
      seen.push({ key, ...s });
    }
  }
}

function checkAddresses(name: string, svc: ServiceSpec, project: Project, errors: TugError[]): void {
  for (const [key, attachment] of Object.entries(svc.networks ?? {})) {
    const wanted = attachment?.ipv4_address;
    if (typeof wanted !== 'string') continue;
    const subnets = configuredSubnets(project, key);
    const ip = ipToInt(wanted);
    const path = ['services', name, 'networks', key, 'ipv4_address'];
    if (ip === undefined) {
      errors.push(new TugError({ code: 'check.ipv4-address', message: `service "${name}": ipv4_address ${JSON.stringify(wanted)} is not an IPv4 address`, path, expected: 'an address such as 10.5.0.7' }));
    } else if (subnets.length > 0 && !subnets.some((s) => contains(s.net, ip))) {
      errors.push(new TugError({
        code: 'check.ipv4-address',
        message: `service "${name}": ipv4_address ${wanted} is outside the subnet ${subnets.map((s) => formatCidr(s.net)).join(', ')} of network "${key}"`,
        path,
        hint: `choose an address inside ${subnets[0]!.text}`,
      }));
    }
  }
}

function memoryLimit(svc: ServiceSpec): { bytes: number; path: (string | number)[] } | undefined {
  const limits = (svc.deploy as { resources?: { limits?: { memory?: unknown } } } | undefined)?.resources?.limits;
  if (typeof limits?.memory === 'number') return { bytes: limits.memory, path: ['deploy', 'resources', 'limits', 'memory'] };
  if (typeof svc.mem_limit === 'number') return { bytes: svc.mem_limit, path: ['mem_limit'] };
  return undefined;
}

function checkMemory(name: string, svc: ServiceSpec, errors: TugError[]): void {
  const limit = memoryLimit(svc);
  if (!limit || limit.bytes <= 0 || limit.bytes >= MIN_MEMORY_BYTES) return;
  errors.push(new TugError({
    code: 'check.memory-too-low',
    message: `service "${name}": memory limit of ${limit.bytes} bytes is below the 6 MiB a process needs to start`,
    path: ['services', name, ...limit.path],
    expected: 'at least 6m',
    hint: 'raise it to 6m or more, or remove the limit',
  }));
}

function checkJoins(name: string, svc: ServiceSpec, project: Project, errors: TugError[]): void {
  for (const field of ['network_mode', 'pid', 'ipc'] as const) {
    const value = svc[field];
    if (typeof value !== 'string' || !value.startsWith('service:')) continue;
    const target = value.slice('service:'.length);
    const spec = project.services[target];
    if (!spec || replicaCount(spec) > 0) continue; // an unknown service is the dependency graph's error
    errors.push(new TugError({
      code: 'check.join-no-replicas',
      message: `service "${name}": ${field}: ${value} names a service scaled to 0, so there is nothing to join`,
      path: ['services', name, field],
      hint: `give ${target} at least one replica`,
    }));
  }
}

/**
 * Sharing X's network means sharing its /etc/hosts, resolv.conf and host
 * name: settings of these beside it would be silently lost, so Docker's daemon
 * refuses them ("conflicting options: ... and the network mode").
 */
const JOINED_NETWORK_CONFLICTS = ['extra_hosts', 'dns', 'dns_search', 'dns_opt', 'hostname'] as const;

function checkJoinedNetworkConflicts(name: string, svc: ServiceSpec, errors: TugError[]): void {
  const mode = svc.network_mode;
  if (typeof mode !== 'string' || !/^(service|container):/.test(mode)) return;
  for (const field of JOINED_NETWORK_CONFLICTS) {
    const value: unknown = svc[field];
    const set = Array.isArray(value) ? value.length > 0 : typeof value === 'object' && value !== null ? Object.keys(value).length > 0 : value !== undefined && value !== '';
    if (!set) continue;
    errors.push(new TugError({
      code: 'check.network-mode-conflict',
      message: `service "${name}": ${field} cannot be combined with network_mode: ${mode}, whose ${field === 'hostname' ? 'host name' : 'name settings'} it shares`,
      path: ['services', name, field],
      hint: `set ${field} on ${mode.slice(mode.indexOf(':') + 1)} instead, or remove it here`,
    }));
  }
}

export function checkNetworksAndLimits(project: Project): TugError[] {
  const errors: TugError[] = [];
  checkSubnets(project, errors);
  for (const [name, svc] of Object.entries(project.services)) {
    checkAddresses(name, svc, project, errors);
    checkMemory(name, svc, errors);
    checkJoins(name, svc, project, errors);
    checkJoinedNetworkConflicts(name, svc, errors);
  }
  return errors;
}
