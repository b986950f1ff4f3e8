// A push-fed async iterable: the fake backend's events() and followed logs().
// It is subscribed from the moment it is made (not from the first next()), so
// a caller that subscribes and then observes cannot miss a change in between.
// It ends when the signal aborts, when `end()` is called, or on `return()`.

export interface AsyncChannel<T> extends AsyncIterableIterator<T> {
  push(value: T): void;
  end(): void;
  readonly ended: boolean;
}

export function asyncChannel<T>(signal?: AbortSignal, onEnd?: () => void): AsyncChannel<T> {
  const queue: T[] = [];
  const waiters: ((r: IteratorResult<T>) => void)[] = [];
  let ended = false;

  const end = (): void => {
    if (ended) return;
    ended = true;
    signal?.removeEventListener('abort', end);
    // Values already queued are dropped on purpose: an aborted reader wants out now.
    queue.length = 0;
    for (const wake of waiters.splice(0)) wake({ done: true, value: undefined });
    onEnd?.();
  };

  const channel: AsyncChannel<T> = {
    get ended() {
      return ended;
    },
    push(value) {
      if (ended) return;
      const wake = waiters.shift();
      if (wake) wake({ done: false, value });
      else queue.push(value);
    },
    end,
    next() {
      if (queue.length > 0) return Promise.resolve({ done: false, value: queue.shift()! });
      if (ended) return Promise.resolve({ done: true, value: undefined });
      return new Promise((resolve) => waiters.push(resolve));
    },
    return() {
      end();
      return Promise.resolve({ done: true, value: undefined });
    },
    [Symbol.asyncIterator]() {
      return channel;
    },
  };

  if (signal?.aborted) end();
  else signal?.addEventListener('abort', end, { once: true });
  return channel;
}
