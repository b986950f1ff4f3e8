// The fake backend's instrumentation: a log of every call, one-shot injected
// faults, per-kind delays, and the highest number of calls in flight at once
// (per method and over all mutating calls), so tests can assert parallelism.
import { sleep } from '../../src/timers.js';

export type FaultKind =
  | 'create'
  | 'start'
  | 'stop'
  | 'kill'
  | 'remove'
  | 'create-network'
  | 'remove-network'
  | 'create-volume'
  | 'remove-volume'
  | 'exec'
  | 'observe';

export interface FakeCall {
  method: string;
  args: unknown[];
}

interface Fault {
  kind: FaultKind;
  matches: (target: string) => boolean;
  error?: Error;
}

export class CallRecorder {
  readonly calls: FakeCall[] = [];
  private readonly faults: Fault[] = [];
  private readonly delays = new Map<FaultKind, number>();
  private readonly inFlight = new Map<string, number>();
  private readonly maxInFlight = new Map<string, number>();
  private inFlightTotal = 0;
  private maxInFlightTotal = 0;

  failNext(kind: FaultKind, matches: (target: string) => boolean, error?: Error): void {
    this.faults.push({ kind, matches, error });
  }

  delay(kind: FaultKind, ms: number): void {
    this.delays.set(kind, ms);
  }

  maxConcurrency(method?: string): number {
    return method === undefined ? this.maxInFlightTotal : (this.maxInFlight.get(method) ?? 0);
  }

  /** Records the call, applies delay and fault, then acts; `target` is the name faults match on. */
  async call<T>(method: string, args: unknown[], kind: FaultKind, target: () => string, act: () => T): Promise<T> {
    this.calls.push({ method, args });
    const mutating = kind !== 'observe';
    const count = (this.inFlight.get(method) ?? 0) + 1;
    this.inFlight.set(method, count);
    this.maxInFlight.set(method, Math.max(count, this.maxInFlight.get(method) ?? 0));
    if (mutating) this.maxInFlightTotal = Math.max(++this.inFlightTotal, this.maxInFlightTotal);
    try {
      const ms = this.delays.get(kind) ?? 0;
      // Always yield once, like real I/O, so overlapping calls do overlap.
      await (ms > 0 ? sleep(ms) : new Promise((resolve) => setImmediate(resolve)));
      const name = target();
      const i = this.faults.findIndex((f) => f.kind === kind && f.matches(name));
      if (i >= 0) {
        const [fault] = this.faults.splice(i, 1);
        throw fault!.error ?? new Error(`injected ${kind} failure for ${name}`);
      }
      return act();
    } finally {
      this.inFlight.set(method, this.inFlight.get(method)! - 1);
      if (mutating) this.inFlightTotal--;
    }
  }
}
