// Where the engine keeps what it knows about its replicas (format:
// ../state-format.ts), so that a crashed engine's successor can find (and
// reap) process groups it left behind and keep listing replicas that exited.
//
// Each change appends one journal line (no fsync: it protects against the
// engine dying, where the page cache survives; after a power loss no replica
// survives either). When the journal has grown past the snapshot (and a
// floor), the snapshot is rewritten — fresh file, fsync, rename, fsync of the
// directory — and the journal emptied: writes stay proportional to changes
// (amortised: each snapshot byte is paid for by a journal byte).
//
// A write that fails (a full disk) leaves memory ahead of the files: the
// failure is noted once, the torn line cut off, and a full snapshot is
// retried at most once a second until one succeeds.
import { closeSync, constants, fsyncSync, ftruncateSync, fstatSync, openSync, renameSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  journalLine,
  parseState,
  snapshotText,
  statusOf,
  type EngineIdentity,
  type EngineState,
  type JournalEntry,
  type ParsedState,
  type ReplicaRecord,
} from '../state-format.js';
import { openAppend, readText, unlinkQuiet, writeAll, writeAtomic } from '../safe-fs.js';
import { after, type Timer } from '../../../timers.js';
import { describeWriteError } from './diagnostics.js';

/** The journal is compacted once it is larger than this and than the snapshot. */
const MIN_COMPACT_BYTES = 256 * 1024;
const RETRY_MS = 1_000;

export interface StatePaths {
  state: string;
  journal: string;
}

export interface LoadedState extends ParsedState {
  /** Where bad files were moved, when there were problems. */
  movedTo: string[];
}

export class StateStore {
  private readonly records = new Map<string, ReplicaRecord>();
  private journalFd: number | undefined;
  private journalBytes = 0;
  private snapshotBytes = 0;
  private seq = 0;
  /** A write failed: the files are behind memory until the next snapshot succeeds. */
  private behind: string | undefined;
  private retry: Timer | undefined;

  constructor(
    readonly paths: StatePaths,
    private readonly project: string,
    private readonly engine: EngineIdentity,
    private readonly note: (message: string) => void,
  ) {}

  /** The previous engine's state. Files with problems are moved aside (named in `movedTo`); what could be read is returned. */
  load(): LoadedState {
    const snapshot = readText(this.paths.state);
    const journal = readText(this.paths.journal);
    const parsed = parseState(snapshot, journal, this.project);
    const movedTo: string[] = [];
    if (parsed.problems.length > 0) {
      const stamp = new Date().toISOString().replace(/[:.]/g, '-');
      for (const [file, text] of [[this.paths.state, snapshot], [this.paths.journal, journal]] as const) {
        if (text === undefined) continue;
        const aside = `${file}.corrupt-${stamp}`;
        renameSync(file, aside);
        movedTo.push(aside);
      }
    }
    this.seq = parsed.state?.seq ?? 0;
    return { ...parsed, movedTo };
  }

  /** Takes `records` as the whole truth and writes a fresh snapshot (at start, after recovery). */
  reset(records: ReplicaRecord[]): void {
    this.records.clear();
    for (const r of records) this.records.set(r.spec.name, r);
    this.compact(false);
  }

  /** Records a replica's current record: a new one in full, a known one as its status only. */
  write(record: ReplicaRecord): void {
    const name = record.spec.name;
    const known = this.records.has(name);
    this.records.set(name, record);
    this.append(known ? { n: 0, t: '', set: name, s: statusOf(record) } : { n: 0, t: '', put: record });
  }

  remove(name: string): void {
    if (!this.records.delete(name)) return;
    this.append({ n: 0, t: '', del: name });
  }

  /**
   * The final write of an engine going away on purpose. With no replica left
   * there is nothing to remember: the files are removed (which needs no free
   * space).
   */
  close(): void {
    this.retry?.cancel();
    if (this.records.size === 0) {
      this.closeJournal();
      unlinkQuiet(this.paths.journal);
      unlinkQuiet(this.paths.state);
      return;
    }
    this.compact(true);
    this.closeJournal();
  }

  private append(entry: JournalEntry): void {
    entry.n = ++this.seq;
    entry.t = new Date().toISOString();
    if (this.behind !== undefined) return this.scheduleRetry();
    const line = journalLine(entry);
    try {
      this.journalFd ??= this.openJournal();
      writeAll(this.journalFd, line);
      this.journalBytes += Buffer.byteLength(line);
    } catch (err) {
      // A torn line would swallow the next one: cut back to the last whole line.
      if (this.journalFd !== undefined) tryQuietly(() => ftruncateSync(this.journalFd!, this.journalBytes));
      this.fell(err);
      return;
    }
    if (this.journalBytes > Math.max(MIN_COMPACT_BYTES, this.snapshotBytes)) this.compact(false);
  }

  private openJournal(): number {
    const fd = openAppend(this.paths.journal);
    this.journalBytes = fstatSync(fd).size;
    return fd;
  }

  /** Rewrites the snapshot from memory and empties the journal. */
  private compact(cleanShutdown: boolean): void {
    const state: EngineState = {
      version: 2,
      project: this.project,
      engine: this.engine,
      savedAt: new Date().toISOString(),
      cleanShutdown,
      seq: this.seq,
      replicas: [...this.records.values()],
    };
    const text = snapshotText(state);
    try {
      writeAtomic(this.paths.state, text, { sync: true });
      syncDirectory(dirname(this.paths.state));
      // Lines up to seq are in the snapshot now; a crash before this truncation only leaves lines replay skips.
      this.journalFd ??= this.openJournal();
      ftruncateSync(this.journalFd, 0);
      this.journalBytes = 0;
    } catch (err) {
      this.fell(err);
      return;
    }
    this.snapshotBytes = Buffer.byteLength(text);
    if (this.behind !== undefined) {
      this.note(`state saved again (it could not be written: ${this.behind})`);
      this.behind = undefined;
    }
  }

  private fell(err: unknown): void {
    if (this.behind === undefined) {
      this.behind = describeWriteError(err);
      this.note(`cannot save the engine's state (${this.behind}); retrying every ${RETRY_MS / 1000} s`);
    }
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.retry) return;
    this.retry = after(RETRY_MS, () => {
      this.retry = undefined;
      if (this.behind !== undefined) this.compact(false);
    }).unref();
  }

  private closeJournal(): void {
    if (this.journalFd === undefined) return;
    tryQuietly(() => closeSync(this.journalFd!));
    this.journalFd = undefined;
  }
}

/** Makes a rename in `dir` durable (where the file system supports it). */
function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY);
    fsyncSync(fd);
  } catch {
    // Some file systems refuse fsync on a directory; the rename itself is done.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function tryQuietly(fn: () => void): void {
  try {
    fn();
  } catch {
    // Best effort.
  }
}
