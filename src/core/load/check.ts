// Semantic checks that a schema cannot express: references to networks,
// volumes, secrets and configs that are not declared, `container_name` on a
// scaled service, and two services publishing the same host port.
import { TugError, type PathSegment } from '../errors.js';
import type { PortSpec, Project, ServiceSpec } from '../model/types.js';
import { closest } from './suggest.js';

export function checkProject(project: Project): TugError[] {
  const errors: TugError[] = [];
  for (const [name, svc] of Object.entries(project.services)) {
    checkReferences(name, svc, project, errors);
    const replicas = replicaCount(svc);
    if (svc.container_name && replicas > 1) {
      errors.push(
        new TugError({
          code: 'check.container-name-scaled',
          message: `service "${name}" sets container_name "${svc.container_name}" but asks for ${replicas} replicas`,
          path: ['services', name, 'container_name'],
          expected: 'a single replica when container_name is set',
          hint: 'remove container_name, or scale the service to 1',
        }),
      );
    }
  }
  errors.push(...checkPublishedPorts(project));
  return errors;
}

/** `scale` wins over `deploy.replicas`; the default is one replica. */
export function replicaCount(svc: ServiceSpec): number {
  if (typeof svc.scale === 'number') return svc.scale;
  if (typeof svc.deploy?.replicas === 'number') return svc.deploy.replicas;
  return 1;
}

function checkReferences(name: string, svc: ServiceSpec, project: Project, errors: TugError[]): void {
  const unknown = (kind: string, key: string, known: Record<string, unknown>, path: PathSegment[]) => {
    const guess = closest(key, Object.keys(known));
    errors.push(
      new TugError({
        code: `check.unknown-${kind}`,
        message: `service "${name}" refers to undefined ${kind} "${key}"`,
        path,
        expected: `a ${kind} declared under the top-level "${kind}s:" key`,
        hint: guess ? `did you mean "${guess}"?` : `declare it under top-level "${kind}s:"`,
      }),
    );
  };
  for (const net of Object.keys(svc.networks ?? {})) {
    if (net === 'default' || Object.hasOwn(project.networks, net)) continue;
    unknown('network', net, project.networks, ['services', name, 'networks', net]);
  }
  (svc.volumes ?? []).forEach((m, i) => {
    if (m.type === 'volume' && m.source && !Object.hasOwn(project.volumes, m.source)) {
      unknown('volume', m.source, project.volumes, ['services', name, 'volumes', i]);
    }
  });
  for (const kind of ['secret', 'config'] as const) {
    const declared = kind === 'secret' ? project.secrets : project.configs;
    const refs = (svc[`${kind}s`] ?? []) as { source?: string }[];
    refs.forEach((ref, i) => {
      if (ref.source && !Object.hasOwn(declared, ref.source)) unknown(kind, ref.source, declared, ['services', name, `${kind}s`, i]);
    });
  }
}

interface PortClaim {
  service: string;
  index: number;
}

/** The claims on one host port and protocol: by host IP, and the one on every address if any. */
interface PortClaims {
  anyAddress?: PortClaim;
  byIp: Map<string, PortClaim>;
}

/**
 * Only fixed single ports can clash at load time; ranges and random ports are
 * allocated later. A claim on every address (no host_ip, 0.0.0.0, ::) clashes
 * with any other claim on the port; specific addresses clash only when equal.
 */
function checkPublishedPorts(project: Project): TugError[] {
  const claims = new Map<string, PortClaims>();
  const errors: TugError[] = [];
  for (const [service, svc] of Object.entries(project.services)) {
    (svc.ports ?? []).forEach((port: PortSpec, index) => {
      if (!port.published || !/^\d+$/.test(port.published)) return;
      const key = `${port.published}/${port.protocol}`;
      const hostIp = port.host_ip ?? '';
      const everywhere = hostIp === '' || isWildcard(hostIp);
      let onPort = claims.get(key);
      if (!onPort) claims.set(key, (onPort = { byIp: new Map() }));
      const clash = onPort.anyAddress ?? (everywhere ? onPort.byIp.values().next().value : onPort.byIp.get(hostIp));
      if (clash) {
        const holder = clash.service === service ? `another entry of "${service}"` : `service "${clash.service}"`;
        errors.push(
          new TugError({
            code: 'check.duplicate-port',
            message: `service "${service}" publishes host port ${key}, already published by ${holder}`,
            path: ['services', service, 'ports', index],
            expected: 'each host port published once in the project',
            hint: 'pick another host port, or leave "published" empty for a random one',
          }),
        );
      }
      const claim = { service, index };
      if (everywhere) onPort.anyAddress ??= claim;
      else if (!onPort.byIp.has(hostIp)) onPort.byIp.set(hostIp, claim);
    });
  }
  return errors;
}

function isWildcard(ip: string): boolean {
  return ip === '0.0.0.0' || ip === '::' || ip === '[::]';
}
