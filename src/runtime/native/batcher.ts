// Turns many concurrent single requests into few batched calls: while one
// batch runs, the requests that arrive wait and then go together in the next.
// Replicas start and stop in parallel (the executor's --parallel), and the
// kernel work behind each (namespaces and veths through `ip -batch`, runtime
// deletions through one xargs) costs a process spawn per call, not per item:
// 100 replicas then cost a handful of spawns instead of hundreds.
//
// Requests of replicas starting in parallel do not arrive together: each
// comes after its own earlier steps, a few milliseconds apart. Where the call
// itself returns at once (a spawn that does not wait for its child), nothing
// would ever wait and every batch would be one request; `gatherMs` holds each
// batch open that long for the others to join.
import { sleep } from '../../timers.js';

export interface BatcherOptions {
  /** How long a batch waits for more requests after its first one (default: none; one turn of the event loop). */
  gatherMs?: number;
  /**
   * Most requests in one batch (default: all waiting). The rest wait for the
   * next, so a stage after this one starts on the first part while this one
   * does the next: with 100 requests at once, one batch per stage made each
   * stage wait for all of the one before.
   */
  maxItems?: number;
}

export class Batcher<T, R> {
  private pending: { item: T; resolve: (r: R) => void; reject: (e: unknown) => void }[] = [];
  private running = false;

  /** `run` gets every waiting item at once and returns one result per item, in order. */
  constructor(
    private readonly run: (items: T[]) => Promise<R[]>,
    private readonly opts: BatcherOptions = {},
  ) {}

  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      if (!this.running) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.running = true;
    // Let the requests of this turn of the event loop (or of the gathering time) join the first batch.
    await Promise.resolve();
    while (this.pending.length > 0) {
      if (this.opts.gatherMs) await sleep(this.opts.gatherMs);
      const batch = this.pending.splice(0, this.opts.maxItems ?? this.pending.length);
      try {
        const results = await this.run(batch.map((b) => b.item));
        batch.forEach((b, i) => b.resolve(results[i]!));
      } catch (err) {
        for (const b of batch) b.reject(err);
      }
    }
    this.running = false;
  }
}
