// `tug events` output, in `docker compose events`' shape: a line per replica
// change for people (time, `container`, the action, the replica, then its
// attributes), or with --json one object per line with Compose's fields
// (time, type, action, id, service, attributes). Actions carry Docker's
// names, so `health` is `health_status: healthy` and an OOM kill is `oom`.
import type { ReplicaEvent } from '../../runtime/backend.js';

export interface ReplicaEventJson {
  time: string;
  type: 'container';
  action: string;
  id: string;
  service: string;
  attributes: Record<string, string>;
}

function dockerAction(event: ReplicaEvent): string {
  return event.action === 'health' ? `health_status: ${event.replica.health ?? 'starting'}` : event.action;
}

function attributes(event: ReplicaEvent): Record<string, string> {
  const r = event.replica;
  const out: Record<string, string> = { name: r.name };
  if (r.image !== undefined) out.image = r.image;
  // Docker puts the exit code on `die` only.
  if (event.action === 'die' && r.exitCode !== undefined) out.exitCode = String(r.exitCode);
  return out;
}

export function replicaEventJson(event: ReplicaEvent): ReplicaEventJson {
  return { time: event.time, type: 'container', action: dockerAction(event), id: event.replica.id, service: event.replica.service, attributes: attributes(event) };
}

export function replicaEventLine(event: ReplicaEvent): string {
  const attrs = Object.entries(attributes(event)).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}=${v}`);
  return `${event.time} container ${dockerAction(event)} ${event.replica.id} (${attrs.join(', ')})`;
}
