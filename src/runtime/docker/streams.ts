// Stream plumbing shared by events, logs, pull and build: a push-fed async
// iterable that ends on abort, and a reader for the engine's JSON-lines
// streams (events, pull progress, build output).
import type { Readable } from 'node:stream';

export interface Channel<T> extends AsyncIterableIterator<T> {
  push(value: T): void;
  /** Ends the iteration; with an error, the pending or next `next()` rejects with it. */
  end(error?: Error): void;
  readonly ended: boolean;
}

/** Ends when the signal aborts, when `end()` is called, or when the reader returns; `onEnd` runs once. */
export function channel<T>(signal?: AbortSignal, onEnd?: () => void): Channel<T> {
  const queue: T[] = [];
  const waiters: { resolve: (r: IteratorResult<T>) => void; reject: (e: Error) => void }[] = [];
  let ended = false;
  let failure: Error | undefined;

  const end = (error?: Error): void => {
    if (ended) return;
    ended = true;
    signal?.removeEventListener('abort', onAbort);
    if (error && !signal?.aborted) failure = error;
    for (const w of waiters.splice(0)) {
      if (failure) w.reject(failure);
      else w.resolve({ done: true, value: undefined });
    }
    onEnd?.();
  };
  const onAbort = (): void => {
    queue.length = 0; // an aborted reader wants out now
    end();
  };

  const self: Channel<T> = {
    get ended() {
      return ended;
    },
    push(value) {
      if (ended) return;
      const waiter = waiters.shift();
      if (waiter) waiter.resolve({ done: false, value });
      else queue.push(value);
    },
    end,
    next() {
      if (queue.length > 0) return Promise.resolve({ done: false, value: queue.shift()! });
      if (failure) {
        const error = failure;
        failure = undefined;
        return Promise.reject(error);
      }
      if (ended) return Promise.resolve({ done: true, value: undefined });
      return new Promise((resolve, reject) => waiters.push({ resolve, reject }));
    },
    return() {
      queue.length = 0;
      end();
      return Promise.resolve({ done: true, value: undefined });
    },
    [Symbol.asyncIterator]() {
      return self;
    },
  };
  if (signal?.aborted) end();
  else signal?.addEventListener('abort', onAbort, { once: true });
  return self;
}

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
