// A replica's log: stdout and stderr captured line by line into
// logs/<replica>.jsonl as {"t": ISO time, "s": stream, "l": text}, the format
// `tug logs` reads without the engine. Writes are synchronous appends: ordering
// across both streams is then the order lines arrived, and a crash loses at
// most what the kernel pipe still held. One rotation generation (.1) bounds the
// disk a chatty replica can use (TUG_LOG_MAX_BYTES, default 10 MiB).
import { closeSync, fstatSync, renameSync, rmSync, writeSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { sleep } from '../../../timers.js';
import { openAppend } from '../safe-fs.js';

export type LogStream = 'stdout' | 'stderr';

const DEFAULT_MAX_BYTES = 10 * 1024 * 1024;
/** A line longer than this is cut into pieces, as Docker does at 16 KiB. */
const MAX_LINE = 16 * 1024;

export function logMaxBytes(env: Readonly<Record<string, string | undefined>> = process.env): number {
  const n = Number(env.TUG_LOG_MAX_BYTES);
  return Number.isFinite(n) && n > 0 ? n : DEFAULT_MAX_BYTES;
}

export class LogWriter {
  private fd: number | undefined;
  private size = 0;
  private readonly pending = new Set<Promise<void>>();

  constructor(
    readonly file: string,
    private readonly maxBytes: number = logMaxBytes(),
  ) {}

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
    const t = new Date().toISOString();
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
      // A full disk must not take the engine (and every replica) down with it.
      process.stderr.write(`${t} log write to ${this.file} failed: ${(err as Error).message}\n`);
    }
  }

  private append(text: string, bytes: number): void {
    if (bytes === 0) return;
    writeSync(this.fd!, text);
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
