// A push-fed async iterable, the way backends hand out events and followed logs.
// It is subscribed from the moment it is made (not from the first next()), so a
// caller that subscribes and then observes cannot miss a change in between. It
// ends when the signal aborts (dropping what is queued: an aborted reader wants
// out now), when `end()` is called (queued values are still read), or on return().

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
