// Shared by the TCP and UDP proxies: their options, and binding the first free
// candidate port with a clear error naming the port when none is free.
import type { Socket as UdpSocket } from 'node:dgram';
import type { Server } from 'node:net';
import { TugError } from '../../../../core/errors.js';

export interface ProxyOptions {
  service: string;
  hostIp: string;
  candidates: readonly number[];
  /** TCP: open connections at most; UDP: client sessions at most. */
  maxConnections?: number;
  /** A connection (or UDP session) with no traffic this long is closed. */
  idleTimeoutMs?: number;
  /** TCP: a replica that has not accepted within this long is skipped. */
  connectTimeoutMs?: number;
  /** A cap shared with the engine's other relays (engine/forward-budget.ts): a TCP connection past it is closed, a UDP datagram that would open a session dropped. */
  budget?: { take(): boolean; give(): void };
}

type Bindable = Server | UdpSocket;

function bind(socket: Bindable, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    const done = () => {
      socket.off('error', reject);
      const address = socket.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    };
    if ('listen' in socket) socket.listen({ host, port, exclusive: true }, done);
    else socket.bind({ address: host, port, exclusive: true }, done);
  });
}

export async function listenFirstFree<T extends Bindable>(opts: ProxyOptions, make: () => T): Promise<{ server: T; port: number }> {
  let last: NodeJS.ErrnoException | undefined;
  for (const candidate of opts.candidates) {
    const server = make();
    try {
      const port = await bind(server, opts.hostIp, candidate);
      server.on('error', () => undefined);
      return { server, port };
    } catch (err) {
      last = err as NodeJS.ErrnoException;
      server.close();
    }
  }
  const ports = opts.candidates.length > 1 ? `${opts.candidates[0]}-${opts.candidates.at(-1)}` : String(opts.candidates[0]);
  const why = last?.code === 'EADDRINUSE' ? 'already in use' : last?.code === 'EADDRNOTAVAIL' ? 'no such address on this machine' : last?.message;
  throw new TugError({
    code: 'proxy.port-in-use',
    message: `service ${opts.service}: cannot publish ${opts.hostIp}:${ports}: ${why}`,
    hint: last?.code === 'EADDRINUSE' ? 'stop what uses it, or publish another port' : undefined,
  });
}
