// A replica's log: stdout and stderr captured line by line into
// logs/<replica>.jsonl as {"t": ISO time, "s": stream, "l": text}, the format
// `tug logs` reads without the engine. Writes are synchronous appends: ordering
// across both streams is then the order lines arrived, and a crash loses at
// most what the kernel pipe still held. One rotation generation (.1) bounds the
// disk a chatty replica can use (TUG_LOG_MAX_BYTES, default 10 MiB).
//
// When the log cannot be written (a full disk, a link planted in its place),
// the replica keeps running: its output is still read, so it never blocks on
// a full pipe, but dropped. That is reported once, shows in `ps` (notKept),
// and writing is retried at most once a second, not for every chunk.
import { closeSync, fstatSync, ftruncateSync, renameSync, rmSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { sleep } from '../../../timers.js';
import { openAppend, writeAll } from '../safe-fs.js';
import { describeWriteError } from './diagnostics.js';

export type LogStream = 'stdout' | 'stderr';

const DEFAULT_MAX_BYTES = 10 * 1024 * 1024;
/** A line longer than this is cut into pieces, as Docker does at 16 KiB. */
const MAX_LINE = 16 * 1024;
/** While writing fails, how long output is dropped before the next attempt. */
const RETRY_MS = 1_000;

export function logMaxBytes(env: Readonly<Record<string, string | undefined>> = process.env): number {
  const n = Number(env.TUG_LOG_MAX_BYTES);
  return Number.isFinite(n) && n > 0 ? n : DEFAULT_MAX_BYTES;
}

interface WriteFailure {
  reason: string;
  lostLines: number;
  lastTry: number;
}

export class LogWriter {
  private fd: number | undefined;
  private size = 0;
  private readonly pending = new Set<Promise<void>>();
  private failure: WriteFailure | undefined;

  constructor(
    readonly file: string,
    /** Told when the log stops being kept and when it is kept again (a line for engine.log). */
    private readonly report: (message: string) => void,
    private readonly maxBytes: number = logMaxBytes(),
  ) {}

  /** Why output is being dropped right now, or undefined while the log is kept. */
  get notKept(): string | undefined {
    return this.failure?.reason;
  }

  /**
   * Reads `stream` until it ends (which may be after the replica's leader
   * exited, while a descendant still holds the pipe), then flushes a last
   * partial line. Resolves when the stream is drained.
   */
  attach(stream: Readable, name: LogStream): Promise<void> {
    const decoder = new StringDecoder('utf8');
    let partial = '';
    const done = new Promise<void>((resolve) => {
      stream.on('data', (chunk: Buffer) => {
        const lines = (partial + decoder.write(chunk)).split('\n');
        partial = lines.pop() ?? '';
        while (partial.length > MAX_LINE) {
          lines.push(partial.slice(0, MAX_LINE));
          partial = partial.slice(MAX_LINE);
        }
        this.write(name, lines);
      });
      const finish = (): void => {
        const rest = partial + decoder.end();
        partial = '';
        if (rest !== '') this.write(name, [rest]);
        resolve();
      };
      stream.once('end', finish);
      stream.once('error', finish);
    });
    this.pending.add(done);
    void done.then(() => {
      this.pending.delete(done);
      // No open descriptor for replicas that are not running.
      if (this.pending.size === 0) this.close();
    });
    return done;
  }

  /** Waits for attached streams to end, up to `timeoutMs`. */
  async drain(timeoutMs: number): Promise<void> {
    if (this.pending.size === 0) return;
    const waited = new AbortController();
    await Promise.race([Promise.all(this.pending), sleep(timeoutMs, waited.signal)]);
    waited.abort();
  }

  private write(stream: LogStream, lines: string[]): void {
    if (lines.length === 0) return;
    const now = Date.now();
    if (this.failure && now - this.failure.lastTry < RETRY_MS) {
      this.failure.lostLines += lines.length;
      return;
    }
    const t = new Date(now).toISOString();
    try {
      this.open();
      // One write per chunk, except where the size limit falls: rotation is per line.
      let batch = '';
      let batchBytes = 0;
      for (const l of lines) {
        const entry = JSON.stringify({ t, s: stream, l }) + '\n';
        const bytes = Buffer.byteLength(entry);
        if (this.size + batchBytes > 0 && this.size + batchBytes + bytes > this.maxBytes) {
          this.append(batch, batchBytes);
          this.rotate();
          batch = '';
          batchBytes = 0;
        }
        batch += entry;
        batchBytes += bytes;
      }
      this.append(batch, batchBytes);
    } catch (err) {
      this.failed(err, lines.length, now);
      return;
    }
    if (this.failure) {
      const { lostLines } = this.failure;
      this.failure = undefined;
      this.report(`${this.file}: written again; ${lostLines} line${lostLines === 1 ? ' was' : 's were'} lost meanwhile`);
    }
  }

  private failed(err: unknown, lines: number, now: number): void {
    // Reopened on the next try: the file may have been rotated away or removed.
    try {
      this.close();
    } catch {
      this.fd = undefined;
    }
    if (this.failure) {
      this.failure.lostLines += lines;
      this.failure.lastTry = now;
      return;
    }
    const reason = describeWriteError(err);
    this.failure = { reason, lostLines: lines, lastTry: now };
    this.report(`${this.file}: cannot write (${reason}); output is dropped until it can`);
  }

  private append(text: string, bytes: number): void {
    if (bytes === 0) return;
    try {
      writeAll(this.fd!, text);
    } catch (err) {
      // A torn record would merge with the next one: cut back to the last whole line.
      try {
        ftruncateSync(this.fd!, this.size);
      } catch {
        // Nothing more to do; the reader skips a torn line.
      }
      throw err;
    }
    this.size += bytes;
  }

  private open(): void {
    if (this.fd !== undefined) return;
    this.fd = openAppend(this.file);
    this.size = fstatSync(this.fd).size;
  }

  private rotate(): void {
    this.close();
    renameSync(this.file, `${this.file}.1`);
    this.open();
  }

  close(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
  }

  /** Deletes the log and its rotated generation (on `remove`). */
  removeFiles(): void {
    this.close();
    rmSync(this.file, { force: true });
    rmSync(`${this.file}.1`, { force: true });
  }
}
