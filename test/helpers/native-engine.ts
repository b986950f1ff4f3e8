// Drives a real native engine process (dist/runtime/native/engine-main.js) for
// integration tests: starts it the way the client does (detached, stderr to
// engine.log), talks NDJSON to its socket directly, and cleans up every
// process it may have left, including replicas' descendants.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync, closeSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { repoRoot } from './cli.js';
import { specLiteral } from './replica-spec.js';

export const engineMain = join(repoRoot, 'dist/runtime/native/engine-main.js');

export interface EngineMessage {
  id: number;
  result?: any;
  error?: { code: string; message: string; hint?: string };
  event?: { action: string; replica: any; time: string };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function waitFor<T>(probe: () => T | Promise<T>, timeoutMs = 10_000, what = 'condition'): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

/** Alive and not a zombie (an exited process waiting for init to reap it is dead to us). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

export class EngineClient {
  private buffer = '';
  private nextId = 1;
  private readonly waiting = new Map<number, (m: EngineMessage) => void>();
  readonly events: NonNullable<EngineMessage['event']>[] = [];
  readonly stray: EngineMessage[] = [];

  private constructor(readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.buffer += chunk;
      let i: number;
      while ((i = this.buffer.indexOf('\n')) >= 0) {
        const message = JSON.parse(this.buffer.slice(0, i)) as EngineMessage;
        this.buffer = this.buffer.slice(i + 1);
        if (message.event) this.events.push(message.event);
        else if (this.waiting.has(message.id)) this.waiting.get(message.id)!(message);
        else this.stray.push(message);
      }
    });
    socket.on('error', () => undefined);
  }

  static connect(path: string): Promise<EngineClient> {
    return new Promise((resolve, reject) => {
      const socket = connect(path);
      socket.once('connect', () => resolve(new EngineClient(socket)));
      socket.once('error', reject);
    });
  }

  /** The raw answer ({result} or {error}). */
  request(method: string, params: Record<string, unknown> = {}): Promise<EngineMessage> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.waiting.set(id, (m) => {
        this.waiting.delete(id);
        resolve(m);
      });
      this.socket.write(JSON.stringify({ id, method, params }) + '\n');
    });
  }

  async call(method: string, params: Record<string, unknown> = {}): Promise<any> {
    const answer = await this.request(method, params);
    if (answer.error) throw new Error(`${method}: ${answer.error.code}: ${answer.error.message}`);
    return answer.result;
  }

  subscribe(): void {
    this.socket.write(JSON.stringify({ id: 9999, method: 'events', params: {} }) + '\n');
  }

  close(): void {
    this.socket.destroy();
  }
}

export interface EngineHandle {
  home: string;
  project: string;
  dir: string;
  socket: string;
  process: ChildProcess;
  exited: Promise<number | null>;
}

export class EngineHarness {
  readonly home = mkdtempSync(join(tmpdir(), 'tug-eng-'));
  private readonly engines: EngineHandle[] = [];
  private readonly clients: EngineClient[] = [];
  /** Pids a test created indirectly (grandchildren) that must not survive it. */
  readonly extraPids = new Set<number>();
  /** Directories outside TUG_HOME a test created. */
  readonly extraDirs = new Set<string>();

  constructor(readonly project: string) {}

  get dir(): string {
    return join(this.home, 'projects', this.project);
  }

  /** Starts an engine; `wrapper` is a command that execs it (e.g. prlimit with limits). */
  async start(env: Record<string, string> = {}, wrapper: string[] = []): Promise<EngineHandle> {
    const logFd = openSync(join(this.home, `engine-${this.engines.length}.log`), 'a');
    const argv = [...wrapper, process.execPath, engineMain, '--home', this.home, '--project', this.project];
    const child = spawn(argv[0]!, argv.slice(1), {
      detached: true,
      stdio: ['ignore', 'ignore', logFd],
      env: { ...process.env, ...env },
    });
    closeSync(logFd);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const handle: EngineHandle = { home: this.home, project: this.project, dir: this.dir, socket: join(this.dir, 'engine.sock'), process: child, exited };
    this.engines.push(handle);
    await waitFor(async () => {
      if (child.exitCode !== null) throw new Error(`engine exited early:\n${this.engineLog()}`);
      if (!existsSync(handle.socket)) return false;
      try {
        (await EngineClient.connect(handle.socket)).close();
        return true;
      } catch {
        return false;
      }
    }, 10_000, 'the engine socket');
    return handle;
  }

  async client(): Promise<EngineClient> {
    const client = await EngineClient.connect(join(this.dir, 'engine.sock'));
    this.clients.push(client);
    return client;
  }

  engineLog(): string {
    let text = '';
    for (let i = 0; i < this.engines.length + 1; i++) {
      const file = join(this.home, `engine-${i}.log`);
      if (existsSync(file)) text += readFileSync(file, 'utf8');
    }
    return text;
  }

  /** Ends every engine, replica group and extra pid this test produced, then deletes TUG_HOME. */
  async cleanup(): Promise<void> {
    for (const client of this.clients) client.close();
    // Every process group the engine recorded: replicas and execs, in the snapshot or its journal.
    const groups = new Set<number>();
    for (const file of ['state.json', 'state.journal']) {
      try {
        const text = readFileSync(join(this.dir, file), 'utf8');
        for (const m of text.matchAll(/"pgid"\s*:\s*(\d+)/g)) groups.add(Number(m[1]));
      } catch {
        // no state written
      }
    }
    for (const engine of this.engines) {
      if (engine.process.exitCode === null && engine.process.signalCode === null) engine.process.kill('SIGKILL');
    }
    for (const pgid of groups) {
      try {
        process.kill(-pgid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    for (const pid of this.extraPids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    for (const dir of [this.home, ...this.extraDirs]) rmSync(dir, { recursive: true, force: true });
  }
}

/** Makes harnesses for one test file (project names start with `prefix`); each is cleaned up after its test. */
export function engineHarnesses(prefix: string): () => EngineHarness {
  const live: EngineHarness[] = [];
  let counter = 0;
  afterEach(async () => {
    for (const h of live.splice(0)) await h.cleanup();
  });
  return () => {
    const h = new EngineHarness(`${prefix}${process.pid % 10000}x${counter++}`);
    live.push(h);
    return h;
  };
}

export function replicaSpec(project: string, service: string, serviceSpec: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const number = (extra.number as number | undefined) ?? 1;
  return {
    ...specLiteral({
      project,
      service,
      number,
      labels: { 'com.docker.compose.project': project, 'com.docker.compose.service': service },
      service_spec: serviceSpec,
      projectDir: tmpdir(),
    }),
    hostEnv: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root' },
    ...extra,
  };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export function logLines(home: string, project: string, replica: string): { t: string; s: string; l: string }[] {
  const file = join(home, 'projects', project, 'logs', `${replica}.jsonl`);
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as { t: string; s: string; l: string });
}
