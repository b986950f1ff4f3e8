// The engine's JSON-lines streams (events, pull progress, build output).
import type { Readable } from 'node:stream';

/** Calls `onObject` for each JSON value of a newline-delimited stream; resolves when it ends. */
export function readJsonLines(stream: Readable, onObject: (value: Record<string, unknown>) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    let pending = '';
    const flush = (text: string) => {
      const trimmed = text.trim();
      if (trimmed === '') return;
      try {
        onObject(JSON.parse(trimmed) as Record<string, unknown>);
      } catch (err) {
        if (err instanceof SyntaxError) return; // a partial line from a torn-down stream
        throw err;
      }
    };
    stream.on('data', (chunk: Buffer | string) => {
      pending += chunk.toString();
      let nl: number;
      try {
        while ((nl = pending.indexOf('\n')) >= 0) {
          const line = pending.slice(0, nl);
          pending = pending.slice(nl + 1);
          flush(line);
        }
      } catch (err) {
        stream.destroy();
        reject(err);
      }
    });
    stream.once('end', () => {
      try {
        flush(pending);
        resolve();
      } catch (err) {
        reject(err);
      }
    });
    stream.once('close', () => resolve());
    stream.once('error', reject);
  });
}
