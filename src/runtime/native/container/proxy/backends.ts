// The replicas a published port spreads its connections over, in turn. The
// engine sets the list whenever the healthy running replicas change; a pick
// always sees the current list.

export interface ProxyBackend {
  host: string;
  port: number;
}

export const backendKey = (b: ProxyBackend) => `${b.host}:${b.port}`;

export class RoundRobin {
  private list: ProxyBackend[] = [];
  private next = 0;

  set(backends: readonly ProxyBackend[]): void {
    this.list = [...backends];
    if (this.next >= this.list.length) this.next = 0;
  }

  get size(): number {
    return this.list.length;
  }

  has(backend: ProxyBackend): boolean {
    return this.list.some((b) => b.host === backend.host && b.port === backend.port);
  }

  /** The next backend, or undefined when none is up. */
  pick(): ProxyBackend | undefined {
    if (this.list.length === 0) return undefined;
    const backend = this.list[this.next % this.list.length]!;
    this.next = (this.next + 1) % this.list.length;
    return backend;
  }
}
