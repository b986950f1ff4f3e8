// A service's published ports as proxy listeners (pure). A fixed port is one
// listener serving every replica of the service, so it works at any scale; no
// published port means a random free one (as with Docker's "8080"). A
// published range gives each replica its own port of the range, serving only
// that replica (core/model/port-range.ts says which).
import { TugError } from '../../../../core/errors.js';
import type { ServiceSpec } from '../../../../core/model/types.js';
import { isPublishedRange, replicaCandidates } from '../../../../core/model/port-range.js';

export interface ListenerPlan {
  protocol: 'tcp' | 'udp';
  hostIp: string;
  /** Ports to try in order; [0] lets the kernel choose. */
  candidates: number[];
  target: number;
  /** A port of a published range: this replica's own listener, not the service's. */
  own: boolean;
  /** Its place in the service's `ports:`. */
  index: number;
}

function portError(service: string, index: number, message: string, hint?: string): TugError {
  return new TugError({ code: 'proxy.port', message: `service ${service}: ${message}`, path: ['services', service, 'ports', index], hint });
}

/** The listeners of replica `replica` (1-based; 0 for a one-off) of `service`: its service's shared ones and its own. */
export function planListeners(service: string, svc: ServiceSpec, replica = 0): ListenerPlan[] {
  const out: ListenerPlan[] = [];
  (svc.ports ?? []).forEach((port, i) => {
    if (port.protocol === 'sctp') throw portError(service, i, 'SCTP ports are not supported by tug\'s port proxy', 'publish it with the docker backend');
    let candidates = [0];
    if (port.published !== undefined && port.published !== '') {
      const published = replicaCandidates(port.published, replica);
      if (!published) {
        const short = replicaCandidates(port.published, 0) !== undefined;
        throw short
          ? portError(service, i, `published range ${port.published} has no port left for replica ${replica}`, `widen the range, or scale ${service} down`)
          : portError(service, i, `invalid published port "${port.published}"`);
      }
      candidates = published;
    }
    out.push({ protocol: port.protocol, hostIp: port.host_ip ?? '0.0.0.0', candidates, target: port.target, own: isPublishedRange(port.published), index: i });
  });
  return out;
}
