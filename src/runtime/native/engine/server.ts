// The engine's socket: newline-delimited JSON requests in, one response per
// request out (matched by id, possibly out of order), and for `events` a stream
// of {id, event} messages until the client hangs up. Nothing a client sends can
// crash the engine: malformed input gets {error}, a huge line drops the client.
import { renameSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { TugError } from '../../../core/errors.js';
import type { ReplicaEvent } from '../../backend.js';
import { readLines } from '../line-reader.js';
import { log } from './diagnostics.js';
import { after } from '../../../timers.js';
import type { EngineMessage, WireError } from '../protocol.js';

/** Returned by a handler that streams instead of answering once. */
export const STREAM = Symbol('stream');

export interface RequestContext {
  /** Start sending ReplicaEvents to this connection, tagged with the request id. */
  subscribe(): void;
  /** Runs once the response is flushed to the client (e.g. exit after `shutdown`). */
  afterResponse(fn: () => void): void;
}

export type Dispatch = (method: string, params: unknown, ctx: RequestContext) => Promise<unknown>;

/** A subscriber this far behind is dropped rather than buffered without bound. */
const MAX_BACKLOG_BYTES = 8 * 1024 * 1024;

export function toWireError(err: unknown): WireError {
  if (err instanceof TugError) return err.hint ? { code: err.code, message: err.message, hint: err.hint } : { code: err.code, message: err.message };
  return { code: 'engine.internal', message: err instanceof Error ? err.message : String(err) };
}

export class EngineServer {
  private server: Server | undefined;
  private readonly connections = new Set<Socket>();
  private readonly subscriptions = new Map<Socket, Set<number>>();
  /** Sockets whose writes this turn are held, to go together. */
  private readonly corked = new Set<Socket>();
  private inFlight = 0;

  constructor(
    private readonly socketPath: string,
    private readonly dispatch: Dispatch,
    /** Called whenever a client connects or leaves or a request finishes. */
    private readonly onActivity: () => void,
  ) {}

  /** Clients connected or requests being answered: the engine is in use. */
  get inUse(): boolean {
    return this.connections.size > 0 || this.inFlight > 0;
  }

  /**
   * Listens on a private name first and then renames the socket into place,
   * so the socket file appears only once it accepts connections: a client
   * woken by its appearance (a directory watcher) connects at once instead of
   * finding a bound socket that is not listening yet. The rename also
   * replaces a socket file left by a crashed engine; only the engine holding
   * the project's claim gets here.
   */
  async listen(): Promise<void> {
    const staging = `${this.socketPath}.${process.pid}`;
    rmSync(staging, { force: true });
    const server = createServer((socket) => this.accept(socket));
    // The directory is 0700 already; the socket is created owner-only too
    // (umask at bind), rather than chmod-ed by path afterwards, which would
    // follow whatever was put at that path in between.
    const umask = process.umask(0o177);
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(staging, () => resolve());
      });
    } finally {
      process.umask(umask);
    }
    try {
      renameSync(staging, this.socketPath);
    } catch (err) {
      server.close();
      throw err;
    }
    server.on('error', (err) => log(`socket error: ${err.message}`));
    this.server = server;
  }

  broadcast(event: ReplicaEvent): void {
    for (const [socket, ids] of this.subscriptions) {
      if (socket.writableLength > MAX_BACKLOG_BYTES) {
        socket.destroy();
        continue;
      }
      for (const id of ids) this.send(socket, { id, event });
    }
  }

  private accept(socket: Socket): void {
    this.connections.add(socket);
    this.onActivity();
    readLines(socket, (line) => void this.handleLine(socket, line), {
      onTooLong: () => {
        this.send(socket, { id: 0, error: { code: 'engine.bad-request', message: 'request line too long' } });
        socket.destroySoon();
      },
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.connections.delete(socket);
      this.subscriptions.delete(socket);
      this.onActivity();
    });
  }

  private async handleLine(socket: Socket, line: string): Promise<void> {
    let request: unknown;
    try {
      request = JSON.parse(line);
    } catch (err) {
      this.send(socket, { id: 0, error: { code: 'engine.bad-request', message: `invalid JSON: ${(err as Error).message}` } });
      return;
    }
    const { id, method, params } = (request ?? {}) as { id?: unknown; method?: unknown; params?: unknown };
    if (typeof request !== 'object' || request === null || typeof id !== 'number' || !Number.isInteger(id) || typeof method !== 'string') {
      const replyId = typeof id === 'number' ? id : 0;
      this.send(socket, { id: replyId, error: { code: 'engine.bad-request', message: 'a request is {"id": <integer>, "method": <string>, "params": {...}}' } });
      return;
    }
    let after: (() => void) | undefined;
    const ctx: RequestContext = {
      subscribe: () => {
        const ids = this.subscriptions.get(socket) ?? new Set<number>();
        ids.add(id);
        this.subscriptions.set(socket, ids);
      },
      afterResponse: (fn) => (after = fn),
    };
    this.inFlight++;
    let message: EngineMessage | undefined;
    try {
      const result = await this.dispatch(method, params ?? {}, ctx);
      if (result !== STREAM) message = { id, result: result ?? null };
    } catch (err) {
      if (!(err instanceof TugError)) log(`${method} failed: ${(err as Error).stack ?? String(err)}`);
      message = { id, error: toWireError(err) };
    } finally {
      this.inFlight--;
    }
    if (message) this.send(socket, message, after);
    else after?.();
    this.onActivity();
  }

  private send(socket: Socket, message: EngineMessage, done?: () => void): void {
    if (socket.destroyed || !socket.writable) {
      done?.();
      return;
    }
    // The messages of one turn of the event loop (100 replicas starting: an answer and an event each) leave in one write, not a syscall each.
    if (!this.corked.has(socket)) {
      this.corked.add(socket);
      socket.cork();
      setImmediate(() => {
        this.corked.delete(socket);
        socket.uncork();
      });
    }
    socket.write(JSON.stringify(message) + '\n', () => done?.());
  }

  /**
   * Ends every event stream with a result (an engine leaving on purpose, as
   * opposed to one that died, whose streams just close), drops the other
   * clients and removes the socket file.
   */
  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    const closed = server ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve();
    for (const socket of this.connections) {
      const ids = this.subscriptions.get(socket);
      if (!ids || socket.destroyed) {
        socket.destroy();
        continue;
      }
      for (const id of ids) this.send(socket, { id, result: null });
      socket.end();
    }
    // A client that does not hang up in time is cut off.
    const cutOff = after(1_000, () => {
      for (const socket of this.connections) socket.destroy();
    });
    await closed;
    cutOff.cancel();
    rmSync(this.socketPath, { force: true });
  }
}
