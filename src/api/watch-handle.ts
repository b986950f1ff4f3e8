// What Project.watch() hands back: stop(), `done`, and the watch's events as
// an async iterable (buffered from the start, so nothing said before the
// caller began iterating is lost; iteration ends once watching has stopped).
import type { WatchEvent } from '../engine/watch/events.js';
import type { WatchSession } from '../engine/watch.js';

export interface WatchHandle extends AsyncIterable<WatchEvent> {
  /** Resolves once watching has ended. */
  readonly done: Promise<void>;
  /** Ends watching; the project keeps running. */
  stop(): Promise<void>;
}

/** An event buffer the session writes into and one iterator reads from. */
export class WatchEventBuffer {
  private readonly events: WatchEvent[] = [];
  private wake: (() => void) | undefined;
  private ended = false;

  push = (event: WatchEvent): void => {
    this.events.push(event);
    this.wake?.();
  };

  end(): void {
    this.ended = true;
    this.wake?.();
  }

  handle(session: WatchSession): WatchHandle {
    void session.done.then(() => this.end());
    const buffer = this;
    return {
      done: session.done,
      stop: () => session.stop(),
      async *[Symbol.asyncIterator]() {
        for (;;) {
          const next = buffer.events.shift();
          if (next) {
            yield next;
            continue;
          }
          if (buffer.ended) return;
          await new Promise<void>((resolve) => (buffer.wake = resolve));
          buffer.wake = undefined;
        }
      },
    };
  }
}
