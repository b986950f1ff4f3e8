// Container log bytes → timestamped lines. Without a TTY the engine
// multiplexes stdout and stderr in frames (an 8-byte header: stream type, three
// zero bytes, a big-endian length); with a TTY the bytes are raw. We ask for
// timestamps, so each line starts with an RFC 3339 time and a space.

export interface DecodedLine {
  stream: 'stdout' | 'stderr';
  /** ISO time (milliseconds). */
  time: string;
  /** The engine's timestamp with nanoseconds padded to 9 digits: sorts as text. */
  key: string;
  text: string;
}

const HEADER = 8;

export class LogDecoder {
  private multiplexed: boolean | undefined;
  private frames: Buffer = Buffer.alloc(0);
  private readonly partial = { stdout: '', stderr: '' };

  /** Decodes a chunk; returns the lines it completed. */
  push(chunk: Buffer): DecodedLine[] {
    if (chunk.length === 0) return [];
    this.multiplexed ??= looksMultiplexed(chunk);
    if (!this.multiplexed) return this.text('stdout', chunk.toString('utf8'));
    this.frames = this.frames.length === 0 ? chunk : Buffer.concat([this.frames, chunk]);
    const out: DecodedLine[] = [];
    while (this.frames.length >= HEADER) {
      const size = this.frames.readUInt32BE(4);
      if (this.frames.length < HEADER + size) break;
      const stream = this.frames[0] === 2 ? 'stderr' : 'stdout';
      out.push(...this.text(stream, this.frames.subarray(HEADER, HEADER + size).toString('utf8')));
      this.frames = this.frames.subarray(HEADER + size);
    }
    return out;
  }

  /** Lines left without a final newline when the stream ended. */
  flush(): DecodedLine[] {
    const out: DecodedLine[] = [];
    for (const stream of ['stdout', 'stderr'] as const) {
      if (this.partial[stream] !== '') out.push(parseLine(stream, this.partial[stream]));
      this.partial[stream] = '';
    }
    return out;
  }

  private text(stream: 'stdout' | 'stderr', text: string): DecodedLine[] {
    const parts = (this.partial[stream] + text).split('\n');
    this.partial[stream] = parts.pop()!;
    return parts.map((line) => parseLine(stream, line));
  }
}

/** Frames start with 0, 1 or 2 and three zero bytes; timestamped raw output starts with a digit. */
function looksMultiplexed(chunk: Buffer): boolean {
  return chunk.length >= 4 && chunk[0]! <= 2 && chunk[1] === 0 && chunk[2] === 0 && chunk[3] === 0;
}

function parseLine(stream: 'stdout' | 'stderr', raw: string): DecodedLine {
  const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
  const space = line.indexOf(' ');
  const stamp = space < 0 ? line : line.slice(0, space);
  const key = sortableTime(stamp);
  if (key === undefined) return { stream, time: new Date().toISOString(), key: '', text: line };
  return { stream, time: new Date(Date.parse(stamp)).toISOString(), key, text: space < 0 ? '' : line.slice(space + 1) };
}

/** "2024-01-02T03:04:05.5Z" → "2024-01-02T03:04:05.500000000Z"; undefined when it is not a UTC timestamp. */
export function sortableTime(stamp: string): string | undefined {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z$/.exec(stamp);
  if (!m) return undefined;
  return `${m[1]}.${(m[2] ?? '').padEnd(9, '0')}Z`;
}

/** A sortable key back to the engine's "seconds.nanoseconds" form, for `since`. */
export function keyToEngineTime(key: string): string {
  const seconds = Math.floor(Date.parse(key.slice(0, 19) + 'Z') / 1000);
  return `${seconds}.${key.slice(20, 29)}`;
}
