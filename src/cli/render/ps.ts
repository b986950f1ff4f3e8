// `tug ps` output: a table for people, JSON lines with Compose's field names
// for scripts (one object per line, as docker compose prints since v2.21).
import type { ObservedReplica, PublishedPort } from '../../core/reconcile/observed.js';
import { psRow, sizeText, statusText } from '../../core/render/ps-row.js';
import type { Chalk } from './colors.js';

/** The status with the replica's notes after it: what `ps` shows in its STATUS column. */
function statusWithNotes(r: ObservedReplica, now: number): string {
  const status = statusText(r, now);
  return r.notes?.length ? `${status}; ${r.notes.join('; ')}` : status;
}

export function portText(p: PublishedPort): string {
  const host = p.hostIp && p.hostIp !== '0.0.0.0' ? p.hostIp : '0.0.0.0';
  return `${host}:${p.published}->${p.target}/${p.protocol}`;
}

/**
 * The PORTS column as `docker ps` writes it: the ports only exposed first,
 * consecutive ones of a protocol as one range (`8000-8002/tcp`, a range
 * ended by a gap printed at once, the open ones after in the order they
 * began), then the published ones.
 */
export function portsText(r: Pick<ObservedReplica, 'ports' | 'exposed'>): string {
  const done: string[] = [];
  const open = new Map<string, { first: number; last: number }>();
  const range = (protocol: string, g: { first: number; last: number }) => `${g.first === g.last ? g.first : `${g.first}-${g.last}`}/${protocol}`;
  for (const e of [...(r.exposed ?? [])].sort((a, b) => a.target - b.target)) {
    const group = open.get(e.protocol);
    if (group && e.target === group.last + 1) group.last = e.target;
    else {
      if (group) done.push(range(e.protocol, group));
      // A Map keeps a key's first insertion order, as Docker's list of group keys does.
      open.set(e.protocol, { first: e.target, last: e.target });
    }
  }
  return [...done, ...[...open].map(([protocol, g]) => range(protocol, g)), ...r.ports.map(portText)].join(', ');
}

/** `sizes` (ps --size): bytes per replica ID, undefined for one without a root filesystem of its own. */
export type ReplicaSizes = Readonly<Record<string, number | undefined>>;

export function psJsonLine(r: ObservedReplica, now: number, sizes?: ReplicaSizes): string {
  return JSON.stringify(psRow(r, now, sizes && { bytes: sizes[r.id] }));
}

/** A replica's addresses, compactly: "10.1.0.2", or one per network on several ("10.1.0.2, 10.2.0.2"). */
function addressText(r: ObservedReplica): string {
  return (r.addresses ?? []).map((a) => a.address).join(', ');
}

export function psTable(rows: ObservedReplica[], now: number, c: Chalk, sizes?: ReplicaSizes): string {
  // The ADDRESS column only where some replica has one (container mode), so process-mode output is unchanged.
  const withAddresses = rows.some((r) => (r.addresses?.length ?? 0) > 0);
  const header = ['NAME', 'SERVICE', 'STATUS', 'RESTARTS', ...(withAddresses ? ['ADDRESS'] : []), ...(sizes ? ['SIZE'] : []), 'PORTS'];
  const body = rows.map((r) => [
    r.name,
    r.service,
    statusWithNotes(r, now),
    String(r.restartCount),
    ...(withAddresses ? [addressText(r)] : []),
    ...(sizes ? [sizeText(sizes[r.id])] : []),
    portsText(r),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i]!))).join('   ').trimEnd();
  const colored = (r: ObservedReplica, text: string) =>
    r.state === 'running' ? (r.health === 'unhealthy' ? c.red(text) : c.green(text)) : r.state === 'restarting' ? c.yellow(text) : c.dim(text);
  return [c.bold(line(header)), ...body.map((cells, i) => colored(rows[i]!, line(cells)))].join('\n') + '\n';
}
