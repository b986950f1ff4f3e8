// A replica as `ps` shows it, in Compose's words: "Up 5 seconds (healthy)",
// "Exited (1) 2 minutes ago", and the row `ps --format json` prints (the same
// row the programmatic API's ps() returns). Pure: the clock comes in as `now`.
import type { ObservedReplica } from '../reconcile/observed.js';

export interface PsRow {
  ID: string;
  Name: string;
  Names: string;
  Image: string;
  Command: string;
  Project: string;
  Service: string;
  /** Unix seconds. */
  Created: number;
  State: string;
  Status: string;
  Health: string;
  ExitCode: number;
  Publishers: { URL: string; TargetPort: number; PublishedPort: number; Protocol: string }[];
  /** "k=v,k=v", sorted. */
  Labels: string;
  Replica: number;
  Restarts: number;
  Pid: number;
  StartedAt: string;
  /** What `ps` says after the status, e.g. "logs not kept: no space left on device". */
  Notes: string;
  /** With `--size`: what the replica wrote to its own root filesystem ("12.3kB"), or "-" for a host process. */
  Size?: string;
  /** Compose's field: the networks it is attached to, comma-separated (container replicas). */
  Networks?: string;
  /** tug's addition beside it: the replica's IPv4 address on each of those networks. */
  Addresses?: Record<string, string>;
}

export function humanDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 1) return 'Less than a second';
  if (s < 60) return `${s} second${s === 1 ? '' : 's'}`;
  const m = Math.round(s / 60);
  if (m === 1) return 'About a minute';
  if (m < 60) return `${m} minutes`;
  const h = Math.round(m / 60);
  if (h === 1) return 'About an hour';
  if (h < 48) return `${h} hours`;
  return `${Math.round(h / 24)} days`;
}

/** "Up 5 seconds (healthy)", "Exited (1) 2 minutes ago", "Restarting (1) 3 seconds ago". */
export function statusText(r: ObservedReplica, now: number): string {
  const since = (iso?: string) => (iso ? humanDuration(now - Date.parse(iso)) : '');
  // An exit nobody saw (the replica died with its engine) has no time: say nothing rather than "  ago".
  const ago = (iso?: string) => (iso ? ` ${since(iso)} ago` : '');
  switch (r.state) {
    case 'running':
      return `Up ${since(r.startedAt)}${r.health ? ` (${r.health})` : ''}`;
    case 'exited':
    case 'dead':
      return `Exited (${r.exitCode ?? 0})${ago(r.finishedAt)}`;
    case 'restarting':
      return `Restarting (${r.exitCode ?? 0})${ago(r.finishedAt)}`;
    case 'created':
      return 'Created';
    default:
      return r.state[0]!.toUpperCase() + r.state.slice(1);
  }
}

/** One replica as `ps --format json` prints it: Compose's field names, one object per line. */
export function psRow(r: ObservedReplica, now: number, size?: { bytes: number | undefined }): PsRow {
  const row: PsRow = {
    ID: r.id,
    Name: r.name,
    Names: r.name,
    Image: r.image ?? '',
    Command: r.command ?? '',
    Project: r.project,
    Service: r.service,
    Created: r.createdAt ? Math.floor(Date.parse(r.createdAt) / 1000) : 0,
    State: r.state,
    Status: statusText(r, now),
    Health: r.health ?? '',
    ExitCode: r.exitCode ?? 0,
    // Exposed-only ports are Publishers too, with no URL and PublishedPort 0; Compose sorts them all by target.
    Publishers: [
      ...r.ports.map((p) => ({ URL: p.hostIp || '0.0.0.0', TargetPort: p.target, PublishedPort: p.published, Protocol: p.protocol })),
      ...(r.exposed ?? []).map((e) => ({ URL: '', TargetPort: e.target, PublishedPort: 0, Protocol: e.protocol })),
    ].sort((a, b) => a.TargetPort - b.TargetPort),
    Labels: Object.entries(r.labels).map(([k, v]) => `${k}=${v}`).sort().join(','),
    Replica: r.number,
    Restarts: r.restartCount,
    Pid: r.pid ?? 0,
    StartedAt: r.startedAt ?? '',
    Notes: (r.notes ?? []).join('; '),
    ...(size && { Size: sizeText(size.bytes) }),
  };
  if (r.addresses && r.addresses.length > 0) {
    row.Networks = r.addresses.map((a) => a.network).join(',');
    row.Addresses = Object.fromEntries(r.addresses.map((a) => [a.network, a.address]));
  }
  return row;
}

/** `ps --size`: bytes as Docker prints them, "-" for a replica without a root filesystem of its own. */
export function sizeText(bytes: number | undefined): string {
  return bytes === undefined ? '-' : humanSize(bytes);
}

/** Docker's go-units HumanSize: decimal, 3 significant digits. */
export function humanSize(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let value = bytes;
  let i = 0;
  while (value >= 1000 && i < units.length - 1) {
    value /= 1000;
    i++;
  }
  return `${Number(value.toPrecision(3))}${units[i]}`;
}

