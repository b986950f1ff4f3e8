// The engine's embedded DNS server: one UDP and one TCP listener on each
// network's gateway address, the nameserver in every replica's resolv.conf.
// Project names are answered from the NameTable (every running replica's
// address on the asking network, shuffled, TTL 0 so scaling shows at once);
// other names are relayed byte for byte to the replica's `dns:` servers or the
// host's resolvers, except from internal networks, which have no way out.
// Only clients inside the network's subnet get an answer.
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { after } from '../../../../timers.js';
import { contains, ipToInt, type Ipv4Net } from '../network/ipam.js';
import { buildResponse, DnsFormatError, parseQuery, RCODE, TYPE_A, TYPE_ANY, type DnsQuery } from './dns-message.js';
import type { NameTable } from './name-table.js';

export interface Upstream {
  host: string;
  port: number;
}

export interface DnsNetwork {
  name: string;
  gateway: string;
  subnet: Ipv4Net;
  internal: boolean;
}

export interface DnsServerOptions {
  table: NameTable;
  /** Where names that are not the project's go (the host's resolvers). */
  upstreams: readonly Upstream[];
  /** Replaced in tests; Fisher-Yates with Math.random otherwise. */
  shuffle?: (addresses: string[]) => string[];
  forwardTimeoutMs?: number;
  /** Connections idle this long are closed (TCP). */
  idleTimeoutMs?: number;
}

interface Listener {
  network: DnsNetwork;
  udp: UdpSocket;
  tcp: Server;
  connections: Set<Socket>;
}

function shuffle(addresses: string[]): string[] {
  for (let i = addresses.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [addresses[i], addresses[j]] = [addresses[j]!, addresses[i]!];
  }
  return addresses;
}

export class DnsServer {
  private readonly listeners = new Map<string, Listener>();

  constructor(private readonly opts: DnsServerOptions) {}

  /** Starts answering on the network's gateway (port 53 unless given). */
  async listen(network: DnsNetwork, port = 53): Promise<void> {
    if (this.listeners.has(network.name)) return;
    const udp = createSocket({ type: 'udp4' });
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(port, network.gateway, () => {
        udp.off('error', reject);
        resolve();
      });
    });
    udp.on('error', () => undefined);
    udp.on('message', (msg, rinfo) => {
      void this.answer(network, msg, rinfo.address, 'udp').then((reply) => {
        if (reply) udp.send(reply, rinfo.port, rinfo.address);
      });
    });
    const connections = new Set<Socket>();
    const tcp = createServer((socket) => this.serveTcp(network, socket, connections));
    try {
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen({ host: network.gateway, port, exclusive: true }, () => {
          tcp.off('error', reject);
          resolve();
        });
      });
    } catch (err) {
      udp.close();
      throw err;
    }
    tcp.on('error', () => undefined);
    this.listeners.set(network.name, { network, udp, tcp, connections });
  }

  async unlisten(networkName: string): Promise<void> {
    const l = this.listeners.get(networkName);
    if (!l) return;
    this.listeners.delete(networkName);
    for (const c of l.connections) c.destroy();
    l.udp.close();
    await new Promise<void>((resolve) => l.tcp.close(() => resolve()));
  }

  async close(): Promise<void> {
    await Promise.all([...this.listeners.keys()].map((n) => this.unlisten(n)));
  }

  private serveTcp(network: DnsNetwork, socket: Socket, connections: Set<Socket>): void {
    connections.add(socket);
    socket.setTimeout(this.opts.idleTimeoutMs ?? 10_000, () => socket.destroy());
    socket.on('error', () => undefined).on('close', () => connections.delete(socket));
    let buffered = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
        const msg = buffered.subarray(2, 2 + buffered.readUInt16BE(0));
        buffered = buffered.subarray(2 + msg.length);
        void this.answer(network, msg, socket.remoteAddress ?? '', 'tcp').then((reply) => {
          if (!reply || socket.destroyed) return;
          const len = Buffer.alloc(2);
          len.writeUInt16BE(reply.length, 0);
          socket.write(Buffer.concat([len, reply]));
        });
      }
    });
  }

  /** The reply to one message from `client` (undefined: drop it). */
  async answer(network: DnsNetwork, msg: Buffer, client: string, transport: 'udp' | 'tcp'): Promise<Buffer | undefined> {
    let query: DnsQuery;
    try {
      query = parseQuery(msg);
    } catch (err) {
      if (!(err instanceof DnsFormatError) || msg.length < 12) return undefined;
      return buildResponse({ id: msg.readUInt16BE(0), opcode: 0, recursionDesired: false, questions: [] }, { rcode: RCODE.formErr });
    }
    const ip = ipToInt(client.replace(/^::ffff:/, ''));
    if (ip === undefined || !contains(network.subnet, ip)) return buildResponse(query, { rcode: RCODE.refused });
    if (query.opcode !== 0 || query.questions.length !== 1) return buildResponse(query, { rcode: RCODE.notImp });
    const question = query.questions[0]!;
    const asking = this.opts.table.client(network.name, client.replace(/^::ffff:/, ''));
    const local = this.opts.table.resolve(network.name, question.name, asking);
    if (local !== undefined) {
      const addresses = question.type === TYPE_A || question.type === TYPE_ANY ? (this.opts.shuffle ?? shuffle)([...local]) : [];
      return buildResponse(query, { rcode: RCODE.noError, addresses, ttl: 0, authoritative: true });
    }
    if (network.internal) return buildResponse(query, { rcode: RCODE.nxDomain });
    const upstreams = asking?.dns?.length ? asking.dns.map((host) => ({ host, port: 53 })) : this.opts.upstreams;
    for (const upstream of upstreams) {
      const reply = await (transport === 'udp' ? this.forwardUdp(msg, upstream) : this.forwardTcp(msg, upstream));
      if (reply) return reply;
    }
    return buildResponse(query, { rcode: RCODE.servFail });
  }

  private forwardUdp(msg: Buffer, upstream: Upstream): Promise<Buffer | undefined> {
    return new Promise((resolve) => {
      const socket = createSocket({ type: upstream.host.includes(':') ? 'udp6' : 'udp4' });
      const done = (reply?: Buffer) => {
        timer.cancel();
        socket.close();
        resolve(reply);
      };
      const timer = after(this.opts.forwardTimeoutMs ?? 2_000, () => done());
      socket.on('error', () => done());
      socket.on('message', (reply) => {
        if (reply.length >= 2 && reply.readUInt16BE(0) === msg.readUInt16BE(0)) done(reply);
      });
      socket.send(msg, upstream.port, upstream.host);
    });
  }

  private forwardTcp(msg: Buffer, upstream: Upstream): Promise<Buffer | undefined> {
    return new Promise((resolve) => {
      const socket = connect({ host: upstream.host, port: upstream.port });
      let buffered = Buffer.alloc(0);
      const done = (reply?: Buffer) => {
        timer.cancel();
        socket.destroy();
        resolve(reply);
      };
      const timer = after(this.opts.forwardTimeoutMs ?? 2_000, () => done());
      socket.on('error', () => done());
      socket.on('connect', () => {
        const len = Buffer.alloc(2);
        len.writeUInt16BE(msg.length, 0);
        socket.write(Buffer.concat([len, msg]));
      });
      socket.on('data', (chunk: Buffer) => {
        buffered = Buffer.concat([buffered, chunk]);
        if (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) done(buffered.subarray(2, 2 + buffered.readUInt16BE(0)));
      });
    });
  }
}
