// Reading replica logs straight from the files the engine writes
// (logs/<replica>.jsonl, rotated to .jsonl.1), so `logs` works whether or not
// an engine runs. Lines from several replicas are merged in time order;
// `follow` keeps reading what gets appended, survives rotation, and picks up
// replicas whose files appear later (after a scale-up or a restart).
import { readdir, stat } from 'node:fs/promises';
import { mkdirSync } from 'node:fs';
import type { ObservedReplica } from '../../core/reconcile/observed.js';
import type { LogLine, LogOptions } from '../backend.js';
import { watchDir, type DirWaiter } from './fs-wait.js';
import { projectPaths, replicaLogFile } from './home.js';
import { openForReading } from './safe-fs.js';

export interface ReadLogsOptions extends LogOptions {
  /** The project's replicas; a function is asked again when unknown log files appear while following. */
  known: ObservedReplica[] | (() => Promise<ObservedReplica[]>);
}

interface TimedLine extends LogLine {
  ms: number;
}

/** Where we are in one replica's current log file while following. */
interface Cursor {
  replica: ObservedReplica;
  file: string;
  ino?: number;
  offset: number;
}

/**
 * How long `follow` sleeps when no change is reported. The directory watcher
 * is what wakes it: every append, rotation and new file in logs/ is an event.
 * The timeout is a safety net for writes no event reports (a file system
 * without inotify support, such as a network mount, or events lost when the
 * kernel's queue overflows), so it is long; when the directory cannot be
 * watched at all (inotify limits reached), the timeout is the only driver
 * and stays short.
 */
const SAFETY_NET_MS = 5_000;
const UNWATCHED_POLL_MS = 1_000;

export async function* readLogs(home: string, project: string, opts: ReadLogsOptions): AsyncGenerator<LogLine> {
  const since = opts.since ? Date.parse(opts.since) : -Infinity;
  const until = opts.until ? Date.parse(opts.until) : Infinity;
  const keep = (l: TimedLine): boolean => l.ms >= since && l.ms <= until;
  const wanted = (r: ObservedReplica): boolean =>
    (!opts.services?.length || opts.services.includes(r.service)) && (!opts.replicas || opts.replicas.includes(r.name));
  const listReplicas = typeof opts.known === 'function' ? opts.known : async () => opts.known as ObservedReplica[];

  // Watching starts before the first read, so a line written in between still wakes the loop.
  const logsDir = projectPaths(home, project).logsDir;
  let waiter: DirWaiter | undefined;
  if (opts.follow) {
    mkdirSync(logsDir, { recursive: true, mode: 0o700 });
    waiter = watchDir(logsDir);
  }
  try {
    const cursors = new Map<string, Cursor>();
    const initial: TimedLine[][] = [];
    for (const replica of (await listReplicas()).filter(wanted)) {
      const file = replicaLogFile(home, project, replica.name);
      const { lines, ino, offset } = await readWhole(replica, file);
      const kept = lines.filter(keep);
      initial.push(opts.tail === undefined ? kept : opts.tail <= 0 ? [] : kept.slice(-opts.tail));
      cursors.set(replica.name, { replica, file, ino, offset });
    }
    yield* strip(mergeByTime(initial));
    if (!waiter) return;

    const unknown = new Set<string>(); // log files of replicas not (or no longer) in the list
    while (Date.now() <= until) {
      const fallback = waiter.watching ? SAFETY_NET_MS : UNWATCHED_POLL_MS;
      await waiter.next(Math.max(1, Math.min(fallback, until - Date.now())), opts.signal);
      // Stopping reads once more first: what was written before the stop is
      // shown (`run` stops following when its replica has exited).
      const stopping = opts.signal?.aborted === true;
      await discover(logsDir, cursors, unknown, listReplicas, wanted, (name) => replicaLogFile(home, project, name));
      const batch: TimedLine[][] = [];
      for (const cursor of cursors.values()) batch.push((await readAppended(cursor)).filter(keep));
      yield* strip(mergeByTime(batch));
      if (stopping) return;
    }
  } finally {
    waiter?.close();
  }
}

/** Starts following log files that appeared since the last look, when they belong to a wanted replica. */
async function discover(
  logsDir: string,
  cursors: Map<string, Cursor>,
  unknown: Set<string>,
  listReplicas: () => Promise<ObservedReplica[]>,
  wanted: (r: ObservedReplica) => boolean,
  fileOf: (name: string) => string,
): Promise<void> {
  let entries: string[];
  try {
    entries = await readdir(logsDir);
  } catch {
    return;
  }
  const fresh = entries
    .filter((e) => e.endsWith('.jsonl'))
    .map((e) => e.slice(0, -'.jsonl'.length))
    .filter((name) => !cursors.has(name) && !unknown.has(name));
  if (fresh.length === 0) return;
  // Ask for the replica list only when a new name shows up, not on every tick.
  const byName = new Map((await listReplicas()).map((r) => [r.name, r]));
  for (const name of fresh) {
    const replica = byName.get(name);
    if (replica && wanted(replica)) cursors.set(name, { replica, file: fileOf(name), offset: 0 });
    else unknown.add(name);
  }
}

/** All of a replica's log (rotated part first), and where its current file's complete lines end. */
async function readWhole(replica: ObservedReplica, file: string): Promise<{ lines: TimedLine[]; ino?: number; offset: number }> {
  // Open the current file first: if it rotates while we read, `.1` is then the
  // very file we hold open, and reading it twice is avoided by comparing inodes.
  const current = await openForReading(file).catch(() => undefined);
  try {
    const ino = current ? (await current.stat()).ino : undefined;
    const rotated = await readIfOther(`${file}.1`, ino);
    const older = rotated ? parseChunk(replica, rotated).lines : [];
    if (!current) return { lines: older, offset: 0 };
    const { lines, consumed } = parseChunk(replica, await current.readFile());
    return { lines: [...older, ...lines], ino, offset: consumed };
  } finally {
    await current?.close();
  }
}

async function readIfOther(file: string, ino: number | undefined): Promise<Buffer | undefined> {
  const handle = await openForReading(file).catch(() => undefined);
  if (!handle) return undefined;
  try {
    if ((await handle.stat()).ino === ino) return undefined;
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

/** Complete lines written to the cursor's file since the last read, following a rotation to .1. */
async function readAppended(cursor: Cursor): Promise<TimedLine[]> {
  const st = await stat(cursor.file).catch(() => undefined);
  if (!st) return []; // between rename and re-create during rotation, or removed
  const out: TimedLine[] = [];
  if (cursor.ino !== undefined && st.ino !== cursor.ino) {
    // Rotated: finish the old file (now .1) first, then start the new one.
    const old = await stat(`${cursor.file}.1`).catch(() => undefined);
    if (old && old.ino === cursor.ino) out.push(...(await readRange(cursor.replica, `${cursor.file}.1`, cursor.offset, old.size)).lines);
    cursor.offset = 0;
  } else if (st.size < cursor.offset) {
    cursor.offset = 0; // truncated
  }
  cursor.ino = st.ino;
  if (st.size > cursor.offset) {
    const { lines, consumed } = await readRange(cursor.replica, cursor.file, cursor.offset, st.size);
    cursor.offset += consumed;
    out.push(...lines);
  }
  return out;
}

async function readRange(replica: ObservedReplica, file: string, from: number, to: number): Promise<{ lines: TimedLine[]; consumed: number }> {
  const handle = await openForReading(file).catch(() => undefined);
  if (!handle) return { lines: [], consumed: 0 };
  try {
    const buf = Buffer.alloc(Math.max(0, to - from));
    const { bytesRead } = await handle.read(buf, 0, buf.length, from);
    return parseChunk(replica, buf.subarray(0, bytesRead));
  } finally {
    await handle.close();
  }
}

/** Parses the complete lines of a chunk; a trailing partial line (being written) is left for the next read. */
function parseChunk(replica: ObservedReplica, buf: Buffer): { lines: TimedLine[]; consumed: number } {
  const end = buf.lastIndexOf(0x0a) + 1;
  const lines: TimedLine[] = [];
  for (const raw of buf.subarray(0, end).toString('utf8').split('\n')) {
    const line = parseRecord(replica, raw);
    if (line) lines.push(line);
  }
  return { lines, consumed: end };
}

function parseRecord(replica: ObservedReplica, raw: string): TimedLine | undefined {
  if (raw.trim() === '') return undefined;
  let rec: { t?: unknown; s?: unknown; l?: unknown };
  try {
    rec = JSON.parse(raw) as typeof rec;
  } catch {
    return undefined; // a torn line after a crash; the rest of the log is still worth showing
  }
  const time = typeof rec.t === 'string' ? rec.t : '';
  return {
    replica: replica.name,
    service: replica.service,
    stream: rec.s === 'stderr' ? 'stderr' : 'stdout',
    time,
    text: typeof rec.l === 'string' ? rec.l : String(rec.l ?? ''),
    ms: Date.parse(time) || 0,
  };
}

/** Merges per-replica runs (each already in order) into one run in time order; ties keep replica order. */
function mergeByTime(runs: TimedLine[][]): TimedLine[] {
  const heads = runs.map(() => 0);
  const out: TimedLine[] = [];
  for (;;) {
    let best = -1;
    for (let i = 0; i < runs.length; i++) {
      const line = runs[i]![heads[i]!];
      if (line && (best < 0 || line.ms < runs[best]![heads[best]!]!.ms)) best = i;
    }
    if (best < 0) return out;
    out.push(runs[best]![heads[best]!++]!);
  }
}

function* strip(lines: TimedLine[]): Generator<LogLine> {
  for (const { ms: _ms, ...line } of lines) yield line;
}
