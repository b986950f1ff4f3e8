// The engine connections one backend holds, one per project, and the ordering
// guarantee between them: an events stream that was started before a change
// sees the events of that change. Changes wait until every stream begun
// before them has its subscription settled, including streams that were
// waiting for an engine to exist when this backend started one. A
// subscription settles when the engine confirms it (client.ts: the answer to
// a ping sent after `events` on the same connection) or when the attempt
// ends without an engine to subscribe to (none runs, the connection failed or
// closed); both are events, so no timer is involved in the normal path.
import { TugError } from '../../core/errors.js';
import type { ReplicaEvent } from '../backend.js';
import { recoveryNotice, type EngineClient, type RecoveredNotice } from './client.js';
import { awaitEngineGone, engineSilent, ensureEngine, findEngine, PING_TIMEOUT_MS } from './engine-process.js';
import { watchDir } from './fs-wait.js';
import { sleep } from '../../timers.js';
import { projectPaths } from './home.js';
import { assertTrustedHome } from './home-trust.js';
import type { EngineMethod, EngineMethods } from './protocol.js';

/** How long a request waits for an engine that is shutting down (stopping its replicas) to be gone before it is tried again. */
const SHUTDOWN_WAIT_MS = 60_000;
/** How long an events stream that its engine ended waits for that engine to be gone before looking for the next. */
const STREAM_END_WAIT_MS = 5_000;

/**
 * The one case neither settles a subscription: an engine that accepts the
 * connection and then answers nothing (wedged). A change waits that long at
 * most, the time a ping gets before an engine counts as silent.
 */
const SUBSCRIBE_FALLBACK_MS = PING_TIMEOUT_MS;

export class EnginePool {
  private readonly clients = new Map<string, EngineClient>();
  private readonly acquiring = new Map<string, Promise<EngineClient | undefined>>();
  private readonly subscribing = new Map<string, Set<Promise<void>>>();
  private readonly engineWaiters = new Map<string, Set<() => void>>();

  constructor(
    private readonly home: string,
    private readonly onNotice: (notice: RecoveredNotice) => void,
  ) {}

  /** The project's engine client; with `start`, an engine is started when none answers. */
  async get(project: string, start: boolean): Promise<EngineClient | undefined> {
    assertTrustedHome(this.home, project);
    for (;;) {
      const cached = this.clients.get(project);
      if (cached) return cached;
      const pending = this.acquiring.get(project);
      if (!pending) break;
      const client = await pending;
      if (client || !start) return client;
    }
    const acquisition = this.acquire(project, start);
    this.acquiring.set(project, acquisition);
    try {
      return await acquisition;
    } finally {
      this.acquiring.delete(project);
    }
  }

  /**
   * Starts the project's engine in the background, for a change about to
   * come: that change (or a read meanwhile) then waits for the same start.
   * A failure is left for it to report.
   */
  prewarm(project: string): void {
    this.get(project, true).catch(() => undefined);
  }

  /** A request that changes replicas: starts the engine if needed, after pending subscriptions settle. */
  async change<M extends EngineMethod>(project: string, method: M, params: EngineMethods[M]['params']): Promise<EngineMethods[M]['result']> {
    for (let attempt = 0; ; attempt++) {
      const client = (await this.get(project, true))!;
      await this.subscriptionsSettled(project);
      try {
        return await client.call(method, params);
      } catch (err) {
        // Retry only when the request surely did nothing: it never reached an
        // engine, or the engine refused it because it is on its way out.
        const code = err instanceof TugError ? err.code : '';
        if (attempt > 2 || (code !== 'native.engine-unreachable' && code !== 'engine.shutting-down')) throw err;
        this.forget(project, client);
        // It still answers while it stops its replicas: the retry must find the next engine, not this one.
        if (code === 'engine.shutting-down') await awaitEngineGone(this.home, project, SHUTDOWN_WAIT_MS);
      }
    }
  }

  /**
   * Resolves once every events stream begun so far for the project has its
   * subscription confirmed (or its short fallback passed): an observation made
   * after this cannot miss a change the stream would not report.
   */
  async subscriptionsSettled(project: string): Promise<void> {
    await Promise.all(this.subscribing.get(project) ?? []);
  }

  /**
   * Follows whichever engine runs: waits for one to appear (a stream begun
   * before any engine existed gets the one this command starts), and for the
   * next after one went away on purpose. An engine that dies while serving
   * the stream ends it with `native.engine-stopped` (client.ts): the waiter
   * fails at once instead of waiting for an engine nobody will start.
   */
  async *events(project: string, signal: AbortSignal): AsyncGenerator<ReplicaEvent> {
    let subscribed = this.beginSubscription(project); // before the first await: see the header
    try {
      while (!signal.aborted) {
        const client = await this.get(project, false);
        if (client) {
          let lost = false;
          try {
            yield* client.events(signal, subscribed);
          } catch (err) {
            if (err instanceof TugError && err.code === 'native.engine-stopped') this.forget(project, client);
            if (!isConnectionLoss(err)) throw err;
            lost = true;
          }
          subscribed();
          if (signal.aborted) return;
          // The engine ended the stream: it is going away. Its request
          // connection is shared with in-flight changes, so it is forgotten
          // only once it cannot even be reached, never closed under them.
          if (lost) this.forget(project, client);
          // A stream ends with a result only as its engine exits, which then takes a moment at most.
          await awaitEngineGone(this.home, project, STREAM_END_WAIT_MS, signal);
          continue;
        }
        subscribed(); // nothing to subscribe to: do not hold up the change that starts an engine
        subscribed = await this.waitForEngine(project, signal, () => (subscribed = this.beginSubscription(project)));
      }
    } finally {
      subscribed();
    }
  }

  /** Drops `client` if it is still the cached one for the project. */
  forget(project: string, client: EngineClient): void {
    if (this.clients.get(project) === client) this.drop(project);
  }

  drop(project: string): void {
    this.clients.get(project)?.close();
    this.clients.delete(project);
  }

  projects(): string[] {
    return [...this.clients.keys()];
  }

  closeAll(): void {
    for (const client of this.clients.values()) client.close();
    this.clients.clear();
  }

  private async acquire(project: string, start: boolean): Promise<EngineClient | undefined> {
    let client: EngineClient | undefined;
    if (start) client = await ensureEngine(this.home, project);
    else {
      const found = await findEngine(this.home, project);
      // An engine that is alive but silent must not pass for no engine: `ps` would show nothing, `down` would do nothing.
      if ('silent' in found) throw engineSilent(this.home, project, found.silent);
      if ('client' in found) {
        found.client.recovered = recoveryNotice(project, found.ping.recovered);
        client = found.client;
      }
    }
    if (!client) return undefined;
    this.clients.set(project, client);
    if (client.recovered) this.onNotice(client.recovered);
    // Streams waiting for an engine subscribe now, before the change that started it runs.
    if (start) for (const wake of this.engineWaiters.get(project) ?? []) wake();
    return client;
  }

  /** Registers a subscription in progress; the returned function marks it done (idempotent). */
  private beginSubscription(project: string): () => void {
    let done!: () => void;
    const confirmed = new Promise<void>((resolve) => (done = resolve));
    const settled = Promise.race([confirmed, sleep(SUBSCRIBE_FALLBACK_MS)]);
    const set = this.subscribing.get(project) ?? new Set();
    this.subscribing.set(project, set);
    set.add(settled);
    void settled.then(() => {
      set.delete(settled);
      if (set.size === 0 && this.subscribing.get(project) === set) this.subscribing.delete(project);
    });
    return () => done();
  }

  /** Waits for an engine socket to appear (or this pool to start an engine); `onWake` runs synchronously on the latter. */
  private async waitForEngine(project: string, signal: AbortSignal, onWake: () => () => void): Promise<() => void> {
    let woken: (() => void) | undefined;
    let wake!: () => void;
    const started = new Promise<void>((resolve) => {
      wake = () => {
        woken = onWake();
        resolve();
      };
    });
    const waiters = this.engineWaiters.get(project) ?? new Set();
    this.engineWaiters.set(project, waiters);
    waiters.add(wake);
    const dir = watchDir(projectPaths(this.home, project).dir, ['engine.sock']);
    try {
      await Promise.race([dir.next(1_000, signal), started]);
    } finally {
      dir.close();
      waiters.delete(wake);
    }
    return woken ?? (() => undefined);
  }
}

export function isConnectionLoss(err: unknown): boolean {
  return err instanceof TugError && (err.code === 'native.engine-unreachable' || err.code === 'native.engine-disconnected');
}
