// The CLI side of the engine protocol (protocol.ts): newline-delimited JSON
// over the project's Unix socket. Requests share one connection and are
// matched to responses by id; each `events` stream gets its own connection,
// so ending the stream is closing that connection.
import { connect, type Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { TugError } from '../../core/errors.js';
import type { ReplicaEvent } from '../backend.js';
import type { EngineMessage, EngineMethod, EngineMethods, EngineRequest, RecoveryReport, WireError } from './protocol.js';
import { after } from '../../timers.js';
import { MAX_LINE_BYTES, readLines } from './line-reader.js';

/** What the CLI prints when an engine found replicas left behind by a crashed one. */
export interface RecoveredNotice {
  project: string;
  reaped: string[];
  crashedAt?: string;
  message: string;
}

/** Request id of the ping that confirms an events subscription. */
const SUBSCRIBED_PING = 2;

interface Pending {
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
  method: string;
}

export class EngineClient {
  /** Set by ensureEngine when the engine reported a recovery after a crash. */
  recovered?: RecoveredNotice;
  private socket?: Socket;
  private connecting?: Promise<Socket>;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly streams = new Set<Socket>();

  constructor(
    readonly socketPath: string,
    readonly project: string,
  ) {}

  /** One request, one response. Wire errors become TugErrors with the engine's code, message and hint. */
  async call<M extends EngineMethod>(
    method: M,
    params: EngineMethods[M]['params'],
    opts: { timeoutMs?: number } = {},
  ): Promise<EngineMethods[M]['result']> {
    const socket = await this.connection();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer =
        opts.timeoutMs === undefined
          ? undefined
          : after(opts.timeoutMs, () => {
              this.pending.delete(id);
              reject(engineSilent(this.project, method, opts.timeoutMs!));
            });
      const settle =
        <A>(f: (a: A) => void) =>
        (a: A): void => {
          timer?.cancel();
          f(a);
        };
      this.pending.set(id, { resolve: settle(resolve as (v: unknown) => void), reject: settle(reject), method });
      const request: EngineRequest<M> = { id, method, params };
      socket.write(`${JSON.stringify(request)}\n`);
    });
  }

  /**
   * Replica events until the signal aborts or the engine ends the stream.
   * `onSubscribed` is called once the engine has taken the subscription: a
   * ping sent after `events` on the same connection is answered only after
   * the engine processed the `events` request, so an action started after
   * that point cannot slip by unseen.
   *
   * An engine going away on purpose (shutdown, idle exit) ends the stream
   * with a result first. A subscribed connection that just closes means the
   * engine died: that throws `native.engine-stopped`, so nobody waits forever
   * for events that will never come. A connection that closes before the
   * subscription was confirmed reached an engine already on its way out, and
   * simply ends.
   */
  async *events(signal: AbortSignal, onSubscribed?: () => void): AsyncGenerator<ReplicaEvent> {
    if (signal.aborted) return;
    const socket = await openSocket(this.socketPath, this.project);
    this.streams.add(socket);
    const queue: ReplicaEvent[] = [];
    let ended = false;
    let subscribed = false;
    let failure: Error | undefined;
    let wake: (() => void) | undefined;
    const notify = (): void => {
      wake?.();
      wake = undefined;
    };
    const onAbort = (): void => {
      ended = true;
      socket.destroy();
      notify();
    };
    signal.addEventListener('abort', onAbort, { once: true });
    readMessages(socket, this.project, (msg) => {
      if ('event' in msg) queue.push(msg.event);
      else if (msg.id === SUBSCRIBED_PING) {
        subscribed = true;
        onSubscribed?.();
      } else if ('error' in msg) failure = wireError(msg.error);
      else ended = true; // a result closes the stream
      notify();
    }, (err) => {
      failure = err;
      socket.destroy();
      notify();
    });
    socket.on('close', () => {
      if (!ended && subscribed && !signal.aborted) failure ??= engineStopped(this.project, this.socketPath);
      ended = true;
      notify();
    });
    socket.write(`${JSON.stringify({ id: 1, method: 'events', params: {} } satisfies EngineRequest<'events'>)}\n`);
    const confirm: EngineRequest<'ping'> = { id: SUBSCRIBED_PING, method: 'ping', params: { confirming: true } };
    socket.write(`${JSON.stringify(confirm)}\n`);
    try {
      for (;;) {
        while (queue.length > 0) yield queue.shift()!;
        if (failure) throw failure;
        if (ended || signal.aborted) return;
        await new Promise<void>((resolve) => (wake = resolve));
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      this.streams.delete(socket);
      socket.destroy();
    }
  }

  close(): void {
    this.socket?.destroy();
    this.socket = undefined;
    for (const s of this.streams) s.destroy();
    this.streams.clear();
  }

  private async connection(): Promise<Socket> {
    if (this.socket && !this.socket.destroyed) return this.socket;
    this.connecting ??= openSocket(this.socketPath, this.project).then(
      (socket) => {
        this.connecting = undefined;
        this.attach(socket);
        return socket;
      },
      (err: unknown) => {
        this.connecting = undefined;
        throw err;
      },
    );
    return this.connecting;
  }

  private attach(socket: Socket): void {
    this.socket = socket;
    readMessages(socket, this.project, (msg) => {
      const entry = this.pending.get(msg.id);
      if (!entry) return;
      this.pending.delete(msg.id);
      if ('error' in msg) entry.reject(wireError(msg.error));
      else if ('result' in msg) entry.resolve(msg.result);
    }, (err) => {
      for (const [id, entry] of this.pending) {
        this.pending.delete(id);
        entry.reject(err);
      }
      socket.destroy();
    });
    socket.on('close', () => {
      if (this.socket === socket) this.socket = undefined;
      for (const [id, entry] of this.pending) {
        this.pending.delete(id);
        // `shutdown` legitimately ends with the connection.
        if (entry.method === 'shutdown') entry.resolve(null);
        else entry.reject(engineGone(this.project, entry.method));
      }
    });
  }
}

function openSocket(path: string, project: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    socket.once('connect', () => {
      socket.removeAllListeners('error');
      socket.on('error', () => socket.destroy());
      resolve(socket);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      socket.destroy();
      reject(
        new TugError({
          code: 'native.engine-unreachable',
          message: `cannot reach the engine of project "${project}" at ${path}: ${err.code ?? err.message}`,
          hint: 'the engine is not running; a command that starts replicas starts it',
        }),
      );
    });
  });
}

function readMessages(socket: Socket, project: string, onMessage: (msg: EngineMessage) => void, onFailure: (err: TugError) => void): void {
  readLines(
    socket,
    (line) => {
      let msg: EngineMessage;
      try {
        msg = JSON.parse(line) as EngineMessage;
      } catch {
        return; // A garbled line is the engine's bug; it must not take the CLI down.
      }
      onMessage(msg);
    },
    {
      onTooLong: (bytes) =>
        onFailure(
          new TugError({
            code: 'native.engine-protocol',
            message: `the engine of project "${project}" sent a message of more than ${MAX_LINE_BYTES} bytes (${bytes} so far); the connection was closed`,
            hint: 'this is a bug in tug: see engine.log in the project directory under TUG_HOME',
          }),
        ),
    },
  );
}

function wireError(e: WireError): TugError {
  return new TugError({ code: e.code, message: e.message, hint: e.hint });
}

function engineSilent(project: string, method: string, ms: number): TugError {
  return new TugError({
    code: 'native.engine-unresponsive',
    message: `the engine of project "${project}" did not answer "${method}" within ${ms} ms`,
    hint: 'see engine.log in the project directory under TUG_HOME',
  });
}

function engineGone(project: string, method: string): TugError {
  return new TugError({
    code: 'native.engine-disconnected',
    message: `the engine for project ${project} stopped unexpectedly during "${method}"; run \`tug up\` again to repair`,
    hint: 'see engine.log in the project directory under TUG_HOME',
  });
}

/** The engine serving an events stream died: whoever waits on it must stop waiting. */
export function engineStopped(project: string, socketPath: string): TugError {
  return new TugError({
    code: 'native.engine-stopped',
    message: `the engine for project ${project} stopped unexpectedly; run \`tug up\` again to repair`,
    hint: `what it logged is in ${join(dirname(socketPath), 'engine.log')}`,
  });
}

export function recoveryNotice(project: string, report: RecoveryReport | undefined): RecoveredNotice | undefined {
  if (!report) return undefined;
  const parts: string[] = [];
  const n = report.reaped.length;
  if (n > 0) {
    parts.push(
      `the previous engine for project ${project} stopped unexpectedly; ` +
        `${n} replica${n === 1 ? '' : 's'} left behind ${n === 1 ? 'was' : 'were'} stopped: ${report.reaped.join(', ')}`,
    );
  }
  if (report.stateProblem) parts.push(`the engine for project ${project} started over: ${report.stateProblem}`);
  if (report.reapedGroups) {
    const g = report.reapedGroups;
    parts.push(`${g} process group${g === 1 ? '' : 's'} named only by the damaged state ${g === 1 ? 'was' : 'were'} killed`);
  }
  if (parts.length === 0) return undefined;
  return { project, reaped: report.reaped, crashedAt: report.previousEngineCrashedAt, message: parts.join('; ') };
}
