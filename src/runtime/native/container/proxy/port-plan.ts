// A service's published ports as proxy listeners (pure). One listener serves
// every replica of the service, so a fixed published port works at any scale.
// No published port means a random free one (as with Docker's "8080"); a
// published range means the first free port of it.
import { TugError } from '../../../../core/errors.js';
import type { ServiceSpec } from '../../../../core/model/types.js';
import { publishedCandidates } from '../../../../core/model/port-range.js';

export interface ListenerPlan {
  protocol: 'tcp' | 'udp';
  hostIp: string;
  /** Ports to try in order; [0] lets the kernel choose. */
  candidates: number[];
  target: number;
}

function portError(service: string, index: number, message: string, hint?: string): TugError {
  return new TugError({ code: 'proxy.port', message: `service ${service}: ${message}`, path: ['services', service, 'ports', index], hint });
}

export function planListeners(service: string, svc: ServiceSpec): ListenerPlan[] {
  const out: ListenerPlan[] = [];
  (svc.ports ?? []).forEach((port, i) => {
    if (port.protocol === 'sctp') throw portError(service, i, 'SCTP ports are not supported by tug\'s port proxy', 'publish it with the docker backend');
    let candidates = [0];
    if (port.published !== undefined && port.published !== '') {
      const published = publishedCandidates(port.published);
      if (!published) throw portError(service, i, `invalid published port "${port.published}"`);
      candidates = published;
    }
    out.push({ protocol: port.protocol, hostIp: port.host_ip ?? '0.0.0.0', candidates, target: port.target });
  });
  return out;
}
