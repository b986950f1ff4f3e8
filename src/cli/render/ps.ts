// `tug ps` output: a table for people, JSON lines with Compose's field names
// for scripts (one object per line, as docker compose prints since v2.21).
import type { ObservedReplica, PublishedPort } from '../../core/reconcile/observed.js';
import type { Chalk } from './colors.js';

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

/** The status with the replica's notes after it: what `ps` shows in its STATUS column. */
function statusWithNotes(r: ObservedReplica, now: number): string {
  const status = statusText(r, now);
  return r.notes?.length ? `${status}; ${r.notes.join('; ')}` : status;
}

export function portText(p: PublishedPort): string {
  const host = p.hostIp && p.hostIp !== '0.0.0.0' ? p.hostIp : '0.0.0.0';
  return `${host}:${p.published}->${p.target}/${p.protocol}`;
}

export function psJsonLine(r: ObservedReplica, now: number): string {
  return JSON.stringify({
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
    Publishers: r.ports.map((p) => ({ URL: p.hostIp || '0.0.0.0', TargetPort: p.target, PublishedPort: p.published, Protocol: p.protocol })),
    Labels: Object.entries(r.labels).map(([k, v]) => `${k}=${v}`).sort().join(','),
    Replica: r.number,
    Restarts: r.restartCount,
    Pid: r.pid ?? 0,
    StartedAt: r.startedAt ?? '',
    Notes: (r.notes ?? []).join('; '),
  });
}

export function psTable(rows: ObservedReplica[], now: number, c: Chalk): string {
  const header = ['NAME', 'SERVICE', 'STATUS', 'RESTARTS', 'PORTS'];
  const body = rows.map((r) => [r.name, r.service, statusWithNotes(r, now), String(r.restartCount), r.ports.map(portText).join(', ')]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i]!))).join('   ').trimEnd();
  const colored = (r: ObservedReplica, text: string) =>
    r.state === 'running' ? (r.health === 'unhealthy' ? c.red(text) : c.green(text)) : r.state === 'restarting' ? c.yellow(text) : c.dim(text);
  return [c.bold(line(header)), ...body.map((cells, i) => colored(rows[i]!, line(cells)))].join('\n') + '\n';
}
