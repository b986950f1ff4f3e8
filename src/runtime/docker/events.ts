// Replica changes as the engine reports them: GET /events filtered on
// containers of the project, each mapped to a ReplicaEvent with a fresh
// snapshot (one inspect per event, in arrival order). The subscription asks
// for events since the caller's `since` (else the moment of the call), so a
// change made while the request is in flight is not lost, and neither is a
// `die` that Engine 20.10 sends before its container list stops saying
// "running" (the list is updated after the exit is cleaned up; an inspect
// waits for that, so snapshots are right). The replay reaches LIST_LAG_MS
// further back, for a replica that exited just before the command began and
// is still listed as running. Snapshots are current, so a replayed event
// never tells anything stale.
import type { Readable } from 'node:stream';
import type Dockerode from 'dockerode';
import type { ObservedReplica } from '../../core/reconcile/observed.js';
import type { ReplicaEvent, ReplicaEventAction } from '../backend.js';
import { engineError, isNotFound } from './engine-errors.js';
import { fromEventActor, fromInspect, projectFilter } from './observe.js';
import { channel } from '../channel.js';
import { readJsonLines } from './streams.js';

interface EngineEvent {
  Type?: string;
  Action?: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
  time?: number;
  timeNano?: number;
}

const ACTIONS: Readonly<Record<string, ReplicaEventAction>> = {
  create: 'create',
  start: 'start',
  oom: 'oom',
  die: 'die',
  restart: 'restart',
  stop: 'stop',
  kill: 'kill',
  destroy: 'remove',
};

/**
 * How long the engine may go on listing an exited container as running:
 * measured at 1.5-2 s with a few networks and published ports on a loaded
 * machine; replaying more is harmless, since every snapshot is current.
 */
const LIST_LAG_MS = 10_000;

/** "health_status: healthy" → health; the other container actions by name; the rest (exec_*, attach…) are not replica changes. */
export function toAction(engineAction: string | undefined): ReplicaEventAction | undefined {
  if (!engineAction) return undefined;
  if (engineAction.startsWith('health_status')) return 'health';
  return ACTIONS[engineAction];
}

/** Unix seconds with nanoseconds, the form the engine's `since`/`until` accept. */
export function engineTime(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  const nanos = Math.round((ms - seconds * 1000) * 1e6);
  return `${seconds}.${String(nanos).padStart(9, '0')}`;
}

/** `docker` may still be connecting: `since` is fixed now (or earlier, when asked), so nothing from then on is missed. */
export function replicaEvents(
  client: Dockerode | Promise<Dockerode>,
  project: string,
  signal: AbortSignal,
  endpoint?: string,
  sinceIso?: string,
): AsyncIterable<ReplicaEvent> {
  let stream: Readable | undefined;
  const events = channel<ReplicaEvent>(signal, () => stream?.destroy());
  const asked = sinceIso === undefined ? NaN : Date.parse(sinceIso);
  const since = engineTime(Number.isNaN(asked) ? Date.now() : Math.min(asked, Date.now()) - LIST_LAG_MS);
  let chain = Promise.resolve();

  let docker: Dockerode;
  const handle = async (ev: EngineEvent): Promise<void> => {
    const action = toAction(ev.Action);
    const id = ev.Actor?.ID;
    if (ev.Type !== 'container' || !action || !id || events.ended) return;
    const replica = await snapshot(docker, id, action, ev.Actor?.Attributes ?? {});
    const time = new Date(ev.timeNano ? ev.timeNano / 1e6 : (ev.time ?? Date.now() / 1000) * 1000).toISOString();
    events.push({ action, replica, time });
  };

  Promise.resolve(client)
    .then((ready) => (docker = ready).getEvents({ since, filters: { type: ['container'], ...projectFilter(project) } } as unknown as Dockerode.GetEventsOptions))
    .then(async (response) => {
      stream = response as unknown as Readable;
      if (events.ended) return void stream.destroy();
      await readJsonLines(stream, (ev) => {
        chain = chain.then(() => handle(ev as EngineEvent)).catch((err: unknown) => events.end(engineError(err, 'read engine events', endpoint)));
      });
      await chain;
      events.end();
    })
    .catch((err: unknown) => events.end(events.ended ? undefined : engineError(err, 'subscribe to engine events', endpoint)));
  return events;
}

async function snapshot(docker: Dockerode, id: string, action: ReplicaEventAction, attributes: Record<string, string>): Promise<ObservedReplica> {
  if (action !== 'remove') {
    try {
      return fromInspect(await docker.getContainer(id).inspect());
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
  // Gone already (a replayed event of a removed container, say): what the event itself says, as removed.
  return fromEventActor(id, attributes);
}
