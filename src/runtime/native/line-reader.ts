// Newline-delimited framing for the engine socket, shared by both ends
// (client.ts and engine/server.ts). Lines are split on bytes, not on decoded
// text, so a UTF-8 character cut across two reads is decoded whole, and a
// line may not grow past a cap: a peer that sends 16 MiB without a newline is
// a bug or an attack, and buffering it would let it take all our memory.
import type { Socket } from 'node:net';

/** The longest line either side accepts (a `list` of thousands of replicas stays far below it). */
export const MAX_LINE_BYTES = 16 * 1024 * 1024;

export interface LineReaderOptions {
  maxBytes?: number;
  /** Called once when a line exceeds the cap; reading stops (the caller closes the connection). */
  onTooLong(bytes: number): void;
}

/** Calls `onLine` with each non-blank line (trimmed) read from `socket`. */
export function readLines(socket: Socket, onLine: (line: string) => void, opts: LineReaderOptions): void {
  const maxBytes = opts.maxBytes ?? MAX_LINE_BYTES;
  let parts: Buffer[] = [];
  let size = 0;
  let stopped = false;
  const tooLong = (bytes: number): void => {
    stopped = true;
    parts = [];
    size = 0;
    opts.onTooLong(bytes);
  };
  socket.on('data', (chunk: Buffer | string) => {
    if (stopped) return;
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    let start = 0;
    for (let nl = bytes.indexOf(0x0a); nl >= 0; nl = bytes.indexOf(0x0a, start)) {
      const piece = bytes.subarray(start, nl);
      start = nl + 1;
      if (size + piece.length > maxBytes) return tooLong(size + piece.length);
      const line = size === 0 ? piece : Buffer.concat([...parts, piece]);
      parts = [];
      size = 0;
      const text = line.toString('utf8').trim();
      if (text !== '') onLine(text);
    }
    if (start < bytes.length) {
      const rest = bytes.subarray(start);
      // Keep a copy only of what is left over: the chunk itself may be pooled.
      parts.push(Buffer.from(rest));
      size += rest.length;
      if (size > maxBytes) tooLong(size);
    }
  });
}
