// A child's output stream as lines, for whoever shows or parses it line by
// line: a RUN step's output in a build, the container runtime's notify pipe.
// Bytes are decoded as UTF-8 across chunk boundaries, a trailing "\r" goes
// (CRLF output shows as one line), the last unterminated line is delivered
// when the stream ends, and a line longer than `maxChars` is cut into pieces:
// a command printing megabytes without a newline must not grow one string
// without bound, nor have it rescanned on every chunk.
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';

/** Past this many characters without a newline, what came so far is delivered as a line of its own. */
export const MAX_LINE_CHARS = 64 * 1024;

/** Calls `onLine` for each line of `stream`; resolves once it has ended (or failed, or closed) and the last line is out. */
export function streamLines(stream: Readable, onLine: (line: string) => void, opts: { maxChars?: number } = {}): Promise<void> {
  const maxChars = opts.maxChars ?? MAX_LINE_CHARS;
  const decoder = new StringDecoder('utf8');
  let partial = '';
  const deliver = (line: string) => onLine(line.endsWith('\r') ? line.slice(0, -1) : line);
  const take = (text: string) => {
    let start = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
      deliver(partial + text.slice(start, nl));
      partial = '';
      start = nl + 1;
    }
    partial += text.slice(start);
    while (partial.length > maxChars) {
      onLine(partial.slice(0, maxChars));
      partial = partial.slice(maxChars);
    }
  };
  stream.on('data', (chunk: Buffer | string) => take(typeof chunk === 'string' ? chunk : decoder.write(chunk)));
  return new Promise((resolve) => {
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      take(decoder.end());
      if (partial !== '') deliver(partial);
      partial = '';
      resolve();
    };
    stream.once('end', end);
    stream.once('error', end);
    stream.once('close', end);
  });
}
