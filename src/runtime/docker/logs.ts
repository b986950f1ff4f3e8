// `logs` on the engine: each container's log with timestamps, so lines from
// several replicas merge in time order. First what is there (one request per
// container, merged by time); then, when following, one follow stream per
// running container, resumed after the last line already shown, and new ones
// for containers that start later (a scale-up, a restart), found through the
// project's events.
import type { Readable } from 'node:stream';
import type Dockerode from 'dockerode';
import { LABEL } from '../../core/model/labels.js';
import type { LogLine, LogOptions } from '../backend.js';
import { engineError, isNotFound } from './engine-errors.js';
import { engineTime, replicaEvents } from './events.js';
import { keyToEngineTime, LogDecoder, type DecodedLine } from './log-decoder.js';
import { projectFilter } from './observe.js';
import { channel, type Channel } from '../channel.js';
import { after } from '../../timers.js';

interface Source {
  id: string;
  name: string;
  service: string;
}

interface KeyedLine extends LogLine {
  key: string;
}

export async function* readLogs(docker: Dockerode, project: string, opts: LogOptions, endpoint?: string): AsyncGenerator<LogLine> {
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  if (opts.signal?.aborted) stop.abort();
  const wantedService = (service: string | undefined) => !opts.services?.length || opts.services.includes(service ?? '');
  const wantedSource = (s: Source) => wantedService(s.service) && (!opts.replicas || opts.replicas.includes(s.name));
  // Subscribed before listing, so a container that starts in between is not missed.
  // Until exit, only the containers running now are followed: no subscription.
  const events = opts.follow && !opts.untilExit ? replicaEvents(docker, project, stop.signal, endpoint) : undefined;
  try {
    // Where follow streams of containers with no line shown yet begin: what came before was the backlog's.
    const t0 = engineTime(Math.max(Date.now(), opts.since ? Date.parse(opts.since) : 0));
    const listed = await docker.listContainers({ all: true, filters: projectFilter(project) });
    const sources = listed.map(toSource).filter(wantedSource);
    const backlog = await Promise.all(sources.map((s) => fetchBacklog(docker, s, opts)));
    const last = new Map<string, string>();
    backlog.forEach((lines, i) => {
      const tail = lines[lines.length - 1];
      if (tail) last.set(sources[i]!.id, tail.key);
    });
    for (const line of backlog.flat().sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))) yield strip(line);
    if (!opts.follow || stop.signal.aborted) return;

    const out = channel<LogLine>(stop.signal);
    const following = new Map<string, Readable | undefined>();
    // The engine ends a follow stream when its container stops: until exit, the stream is over once none is left.
    const endIfAllExited = () => {
      if (opts.untilExit && following.size === 0) out.end();
    };
    const follow = (source: Source, since: string | undefined) => {
      if (following.has(source.id) || stop.signal.aborted) return;
      followOne(docker, source, since, opts, following, out, last)
        .then(endIfAllExited)
        .catch((err: unknown) => {
          if (!stop.signal.aborted && !isNotFound(err)) out.end(engineError(err, `follow the log of ${source.name}`, endpoint));
          else endIfAllExited();
        });
    };
    const sinceFirst = opts.since ? engineTime(Math.max(Date.parse(opts.since), 0)) : undefined;
    for (const c of listed) {
      if (!wantedSource(toSource(c)) || !['running', 'restarting', 'paused'].includes(c.State)) continue;
      follow(toSource(c), t0);
    }
    endIfAllExited();
    if (events) {
      void (async () => {
        for await (const e of events) {
          const source = { id: e.replica.id, name: e.replica.name, service: e.replica.service };
          if ((e.action === 'start' || e.action === 'restart') && wantedSource(source)) follow(source, sinceFirst);
        }
      })().catch((err: unknown) => out.end(err instanceof Error ? err : new Error(String(err))));
    }
    const untilTimer = opts.until ? after(Date.parse(opts.until) - Date.now(), () => stop.abort()) : undefined;
    try {
      yield* out;
    } finally {
      untilTimer?.cancel();
      for (const stream of following.values()) stream?.destroy();
    }
  } finally {
    stop.abort();
    opts.signal?.removeEventListener('abort', onAbort);
  }
}

function toSource(c: Dockerode.ContainerInfo): Source {
  return { id: c.Id, name: (c.Names[0] ?? c.Id).replace(/^\//, ''), service: c.Labels[LABEL.service] ?? '' };
}

function strip(line: KeyedLine): LogLine {
  const { key: _key, ...rest } = line;
  return rest;
}

function logQuery(opts: LogOptions, follow: boolean, since: string | undefined, tail?: number): Record<string, unknown> {
  const query: Record<string, unknown> = { follow, stdout: true, stderr: true, timestamps: true };
  if (since) query.since = since;
  if (opts.until) query.until = engineTime(Date.parse(opts.until));
  if (tail !== undefined) query.tail = tail;
  return query;
}

async function fetchBacklog(docker: Dockerode, source: Source, opts: LogOptions): Promise<KeyedLine[]> {
  if (opts.tail === 0) return [];
  const since = opts.since ? engineTime(Date.parse(opts.since)) : undefined;
  let body: Buffer;
  try {
    body = (await docker.getContainer(source.id).logs(logQuery(opts, false, since, opts.tail) as { follow: false })) as unknown as Buffer;
  } catch (err) {
    if (isNotFound(err)) return [];
    throw err;
  }
  const decoder = new LogDecoder();
  const lines = [...decoder.push(Buffer.isBuffer(body) ? body : Buffer.from(String(body))), ...decoder.flush()];
  return lines.map((l) => keyed(source, l));
}

/**
 * Follows one container until we are told to stop or it stays stopped: the
 * engine ends a follow stream when the container stops, so a container found
 * running again (a restart that raced its start event) is followed on.
 * Lines up to the last one shown are skipped.
 */
async function followOne(
  docker: Dockerode,
  source: Source,
  since: string | undefined,
  opts: LogOptions,
  following: Map<string, Readable | undefined>,
  out: Channel<LogLine>,
  last: Map<string, string>,
): Promise<void> {
  following.set(source.id, undefined); // claimed while the request is in flight
  const container = docker.getContainer(source.id);
  try {
    for (let from = since; !out.ended; ) {
      const after = last.get(source.id);
      const stream = (await container.logs(logQuery(opts, true, after ? keyToEngineTime(after) : from) as { follow: true })) as unknown as Readable;
      if (out.ended) return void stream.destroy();
      following.set(source.id, stream);
      await pipeLines(stream, source, after, out, last);
      if (out.ended || !(await container.inspect()).State.Running) return;
      from = undefined;
    }
  } finally {
    following.delete(source.id);
  }
}

function pipeLines(stream: Readable, source: Source, after: string | undefined, out: Channel<LogLine>, last: Map<string, string>): Promise<void> {
  const decoder = new LogDecoder();
  const emit = (lines: DecodedLine[]) => {
    for (const l of lines) {
      if (after !== undefined && l.key !== '' && l.key <= after) continue;
      if (l.key !== '') last.set(source.id, l.key);
      out.push(strip(keyed(source, l)));
    }
  };
  return new Promise<void>((resolve, reject) => {
    stream.on('data', (chunk: Buffer) => emit(decoder.push(chunk)));
    stream.once('end', () => {
      emit(decoder.flush());
      resolve();
    });
    stream.once('close', () => resolve());
    stream.once('error', (err) => (out.ended ? resolve() : reject(err)));
  });
}

function keyed(source: Source, l: DecodedLine): KeyedLine {
  return { replica: source.name, service: source.service, stream: l.stream, time: l.time, text: l.text, key: l.key };
}
