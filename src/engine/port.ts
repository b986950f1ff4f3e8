// `port SERVICE PRIVATE_PORT`: the host address a replica's private port is
// published on, as Compose's `port` prints it ("0.0.0.0:32768"). A published
// port is reported by the backend with the number it was bound to, so a random
// one ("8080" in the file) shows its real number.
import { TugError, usageError } from '../core/errors.js';
import type { EngineContext } from './context.js';
import { ps } from './ps.js';

export interface PortOptions {
  protocol?: 'tcp' | 'udp';
  /** 1-based replica number (default 1). */
  index?: number;
}

export async function port(ctx: EngineContext, project: string, service: string, privatePort: string, opts: PortOptions = {}): Promise<string> {
  const target = Number(privatePort);
  if (!/^\d+$/.test(privatePort) || target < 1 || target > 65535) throw usageError(`invalid private port "${privatePort}"`, 'give a port number from 1 to 65535');
  const index = opts.index ?? 1;
  if (!Number.isInteger(index) || index < 1) throw usageError(`invalid --index "${opts.index}"`, 'give a replica number from 1');
  const protocol = opts.protocol ?? 'tcp';
  const replicas = (await ps(ctx, project, { services: [service] })).filter((r) => !r.oneoff);
  const replica = replicas.find((r) => r.number === index);
  if (!replica) {
    throw new TugError({
      code: 'port.no-replica',
      message: replicas.length === 0 ? `service ${service} has no running replica` : `service ${service} has no running replica number ${index}`,
      hint: replicas.length === 0 ? 'start it with tug up' : `choose --index from ${replicas.map((r) => r.number).join(', ')}`,
    });
  }
  const published = replica.ports.find((p) => p.target === target && p.protocol === protocol);
  if (!published) {
    throw new TugError({ code: 'port.not-published', message: `no port ${target}/${protocol} is published for service ${service}`, hint: 'publish it with ports: in the Compose file' });
  }
  return `${published.hostIp || '0.0.0.0'}:${published.published}`;
}
