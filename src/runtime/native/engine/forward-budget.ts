// How many forwarded TCP connections the engine holds at once, and how long an
// idle one may stay. Each relayed connection costs two descriptors (client and
// upstream); without a cap, a few hundred idle clients exhaust the engine's
// descriptors, and then it can no longer accept on its own socket or open the
// pipes of a replica it starts.
//
// The cap is 512 connections, or a quarter of the open-files limit if that is
// lower (two descriptors each: forwarding may use half of them; the other half
// stays for the engine's socket, replicas' pipes and logs, and health probes).
// Node raises its soft limit to the hard one at start-up, so that is the limit
// that counts (on this kind of machine 20000 or more; under a 1024 hard limit
// the cap is 256). 512 concurrent connections is far more than a development
// setup forwards; a load test should publish the port as itself (no relay).
// Past the cap a new connection is accepted and closed at once.
//
// A connection with no byte in either direction for 15 minutes is closed: long
// enough for pooled database and keep-alive connections (pools recycle idle
// ones after about 10 minutes), short enough that forgotten clients give their
// slot back. Both are settable: TUG_FORWARD_MAX_CONNECTIONS, TUG_FORWARD_IDLE_MS.

export interface ForwardLimits {
  maxConnections: number;
  idleMs: number;
}

export const DEFAULT_MAX_CONNECTIONS = 512;
export const DEFAULT_IDLE_MS = 15 * 60_000;
const MIN_CONNECTIONS = 8;

/** The soft "Max open files" of a /proc/<pid>/limits text; undefined when unknown or unlimited. */
export function openFilesLimit(limitsText: string): number | undefined {
  const m = /^Max open files\s+(\S+)/m.exec(limitsText);
  const n = m ? Number(m[1]) : NaN;
  return Number.isFinite(n) && n > 0 ? n : undefined;
}

function positive(value: string | undefined): number | undefined {
  const n = Number(value);
  return value !== undefined && value !== '' && Number.isFinite(n) && n > 0 ? n : undefined;
}

export function forwardLimits(env: Readonly<Record<string, string | undefined>>, limitsText: string): ForwardLimits {
  const files = openFilesLimit(limitsText);
  const byFiles = files === undefined ? DEFAULT_MAX_CONNECTIONS : Math.max(MIN_CONNECTIONS, Math.floor(files / 4));
  return {
    maxConnections: Math.floor(positive(env.TUG_FORWARD_MAX_CONNECTIONS) ?? Math.min(DEFAULT_MAX_CONNECTIONS, byFiles)),
    idleMs: positive(env.TUG_FORWARD_IDLE_MS) ?? DEFAULT_IDLE_MS,
  };
}

/** The engine-wide count of relayed connections, shared by every forwarder. */
export class ConnectionBudget {
  private used = 0;
  private refused = 0;
  private lastReport = -Infinity;

  constructor(
    readonly limits: ForwardLimits,
    /** Told (at most once a minute) that connections are being refused. */
    private readonly report: (message: string) => void,
  ) {}

  get inUse(): number {
    return this.used;
  }

  /** Takes a slot; false (and the connection is to be refused) at the cap. */
  take(): boolean {
    if (this.used < this.limits.maxConnections) {
      this.used++;
      return true;
    }
    this.refused++;
    const now = Date.now();
    if (now - this.lastReport >= 60_000) {
      this.lastReport = now;
      this.report(`port forwarding: ${this.refused} connection(s) refused so far, ${this.used} open is the cap (TUG_FORWARD_MAX_CONNECTIONS)`);
    }
    return false;
  }

  give(): void {
    this.used = Math.max(0, this.used - 1);
  }
}
