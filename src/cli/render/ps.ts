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
    r.ports.map(portText).join(', '),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i]!))).join('   ').trimEnd();
  const colored = (r: ObservedReplica, text: string) =>
    r.state === 'running' ? (r.health === 'unhealthy' ? c.red(text) : c.green(text)) : r.state === 'restarting' ? c.yellow(text) : c.dim(text);
  return [c.bold(line(header)), ...body.map((cells, i) => colored(rows[i]!, line(cells)))].join('\n') + '\n';
}
