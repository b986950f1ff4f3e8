// Turns many concurrent single requests into few batched calls: while one
// batch runs, the requests that arrive wait and then go together in the next.
// Replicas start and stop in parallel (the executor's --parallel), and the
// kernel work behind each (namespaces and veths through `ip -batch`, runtime
// deletions through one xargs) costs a process spawn per call, not per item:
// 100 replicas then cost a handful of spawns instead of hundreds.

export class Batcher<T, R> {
  private pending: { item: T; resolve: (r: R) => void; reject: (e: unknown) => void }[] = [];
  private running = false;

  /** `run` gets every waiting item at once and returns one result per item, in order. */
  constructor(private readonly run: (items: T[]) => Promise<R[]>) {}

  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      if (!this.running) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.running = true;
    // Let the requests of this turn of the event loop join the first batch.
    await Promise.resolve();
    while (this.pending.length > 0) {
      const batch = this.pending;
      this.pending = [];
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
