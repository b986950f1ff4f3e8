// Published ports checked before anything starts, so `up` fails with the name
// of whoever holds a port instead of a replica dying halfway with EADDRINUSE.
// Two kinds of conflict: the same fixed host port wanted twice by this project
// (e.g. a fixed port on a scaled service), and a port already taken on the
// host: by a tug replica, or by some process found through /proc.
import { createSocket } from 'node:dgram';
import { readdir, readFile, readlink } from 'node:fs/promises';
import { createServer } from 'node:net';
import { TugError } from '../../core/errors.js';
import type { ObservedReplica } from '../../core/reconcile/observed.js';
import type { ReplicaSpec } from '../../core/reconcile/operations.js';
import { parentPid, processCommandLine } from './proc-identity.js';

export interface PortRequest {
  replica: string;
  /** '' (or 0.0.0.0 / ::) for every address. */
  hostIp: string;
  port: number;
  protocol: 'tcp' | 'udp' | 'sctp';
}

const HINT = 'stop it or choose another published port';

/** The fixed host ports the replicas publish (random ports and ranges are the kernel's to choose). */
export function portRequests(specs: readonly ReplicaSpec[]): PortRequest[] {
  const out: PortRequest[] = [];
  for (const spec of specs) {
    for (const p of spec.service_spec.ports ?? []) {
      if (!p.published || !/^\d+$/.test(p.published)) continue;
      out.push({ replica: spec.name, hostIp: p.host_ip ?? '', port: Number(p.published), protocol: p.protocol });
    }
  }
  return out;
}

export interface PortCheckOptions {
  /** "tcp/8080": ports that replicas stopping first will free, so a current holder is no conflict. */
  freed?: ReadonlySet<string>;
}

export async function checkPorts(
  requests: readonly PortRequest[],
  ownedBy: readonly ObservedReplica[],
  opts: PortCheckOptions = {},
): Promise<TugError[]> {
  const errors: TugError[] = [];
  const conflicting = new Set<string>();
  for (const [a, b] of duplicates(requests)) {
    conflicting.add(`${a.protocol}/${a.port}`);
    errors.push(
      new TugError({
        code: 'native.port-conflict',
        message:
          a.replica === b.replica
            ? `replica "${a.replica}" publishes host port ${a.port}/${a.protocol} twice`
            : `host port ${a.port}/${a.protocol} is published by both "${a.replica}" and "${b.replica}"`,
        hint: 'publish a different host port for one of them, or leave the host port out to get a random one',
      }),
    );
  }
  const seen = new Set<string>();
  for (const req of requests) {
    const key = `${req.protocol}/${req.port}/${req.hostIp}`;
    const portKey = `${req.protocol}/${req.port}`;
    if (seen.has(key) || conflicting.has(portKey) || opts.freed?.has(portKey) || req.protocol === 'sctp') continue;
    seen.add(key);
    const problem = await tryBind(req);
    if (problem === undefined) continue;
    if (problem === 'EADDRINUSE') {
      const holder = await describeHolder(req, ownedBy);
      if (holder === null) continue; // held by the very replica asking (it is running already)
      errors.push(
        new TugError({
          code: 'native.port-in-use',
          message: `host port ${where(req)} wanted by "${req.replica}" is already in use by ${holder}`,
          hint: HINT,
        }),
      );
    } else {
      errors.push(bindError(req, problem));
    }
  }
  return errors;
}

function* duplicates(requests: readonly PortRequest[]): Generator<[PortRequest, PortRequest]> {
  const reported = new Set<string>();
  for (let i = 0; i < requests.length; i++) {
    for (let j = i + 1; j < requests.length; j++) {
      const a = requests[i]!;
      const b = requests[j]!;
      const key = `${a.protocol}/${a.port}`;
      if (a.port !== b.port || a.protocol !== b.protocol || !overlap(a.hostIp, b.hostIp) || reported.has(key)) continue;
      reported.add(key);
      yield [a, b];
    }
  }
}

const isAny = (ip: string): boolean => ip === '' || ip === '0.0.0.0' || ip === '::' || ip === '[::]';
const overlap = (a: string, b: string): boolean => isAny(a) || isAny(b) || a === b;
const where = (r: PortRequest): string => `${isAny(r.hostIp) ? '' : `${r.hostIp}:`}${r.port}/${r.protocol}`;

/** Binds the port for a moment; undefined when free, else the error code. */
async function tryBind(req: PortRequest): Promise<string | undefined> {
  const ip = req.hostIp.replace(/^\[|\]$/g, '');
  // '' means every address: '::' covers IPv4 too on a dual-stack host.
  const hosts = ip === '' ? ['::', '0.0.0.0'] : [ip];
  for (const host of hosts) {
    const code = req.protocol === 'udp' ? await bindUdp(host, req.port) : await bindTcp(host, req.port);
    if (code === 'EAFNOSUPPORT' && host === '::') continue; // no IPv6 here
    return code;
  }
  return undefined;
}

function bindTcp(host: string, port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(undefined)));
  });
}

function bindUdp(host: string, port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
    socket.once('error', (err: NodeJS.ErrnoException) => {
      socket.close();
      resolve(err.code ?? err.message);
    });
    socket.bind({ address: host, port, exclusive: true }, () => socket.close(() => resolve(undefined)));
  });
}

function bindError(req: PortRequest, code: string): TugError {
  if (code === 'EACCES') {
    return new TugError({
      code: 'native.port-permission',
      message: `"${req.replica}" cannot publish host port ${where(req)}: ports below 1024 need root or CAP_NET_BIND_SERVICE`,
      hint: 'choose a published port above 1023',
    });
  }
  if (code === 'EADDRNOTAVAIL') {
    return new TugError({
      code: 'native.port-address',
      message: `"${req.replica}" publishes port ${req.port} on ${req.hostIp}, which is not an address of this machine`,
      hint: 'use an address of this machine, or leave the host address out',
    });
  }
  return new TugError({ code: 'native.port-check', message: `cannot check host port ${where(req)} for "${req.replica}": ${code}`, hint: HINT });
}

/** "replica "p-web-1"", "process 1234 (node server.js)", "another process"; null when it is the asking replica itself. */
async function describeHolder(req: PortRequest, ownedBy: readonly ObservedReplica[]): Promise<string | null> {
  const byPort = ownedBy.find((r) => r.ports.some((p) => p.published === req.port && p.protocol === req.protocol && overlap(p.hostIp, req.hostIp)));
  const pid = byPort ? undefined : await findListener(req.port, req.protocol).catch(() => undefined);
  // The listener may be a child of the replica's main process (sh -c, npm start...).
  const lineage = pid === undefined ? [] : ancestry(pid);
  const replica = byPort ?? ownedBy.find((r) => r.pid !== undefined && lineage.includes(r.pid));
  if (replica) return replica.name === req.replica ? null : `replica "${replica.name}"`;
  if (pid === undefined) return 'another process';
  const cmd = processCommandLine(pid);
  return cmd ? `process ${pid} (${truncate(cmd, 80)})` : `process ${pid}`;
}

function ancestry(pid: number): number[] {
  const out: number[] = [];
  for (let p: number | undefined = pid; p !== undefined && p > 1 && out.length < 64; p = parentPid(p)) out.push(p);
  return out;
}

const truncate = (s: string, n: number): string => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/** The pid of a process with a listening socket on the port: /proc/net/<proto>(6) inode → /proc/<pid>/fd. */
export async function findListener(port: number, protocol: 'tcp' | 'udp' | 'sctp'): Promise<number | undefined> {
  const proto = protocol === 'udp' ? 'udp' : 'tcp';
  const inodes = new Set<string>();
  for (const table of [`/proc/net/${proto}`, `/proc/net/${proto}6`]) {
    const text = await readFile(table, 'utf8').catch(() => '');
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      const [local, state, inode] = [cols[1], cols[3], cols[9]];
      if (!local || !inode || inode === '0') continue;
      const listening = proto === 'tcp' ? state === '0A' : state === '07';
      if (listening && parseInt(local.slice(local.lastIndexOf(':') + 1), 16) === port) inodes.add(inode);
    }
  }
  if (inodes.size === 0) return undefined;
  const wanted = new Set([...inodes].map((i) => `socket:[${i}]`));
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const fds = await readdir(`/proc/${entry}/fd`).catch(() => [] as string[]);
    for (const fd of fds) {
      const target = await readlink(`/proc/${entry}/fd/${fd}`).catch(() => '');
      if (wanted.has(target)) return Number(entry);
    }
  }
  return undefined;
}
