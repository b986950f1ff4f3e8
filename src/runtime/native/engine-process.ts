// Finding or starting a project's engine. The engine is a detached process
// that outlives the CLI command which started it; its socket is the only way
// in. A socket that does not answer belongs to a dead engine (killed, crashed,
// machine rebooted): we start a new one, which recovers from state.json.
import { spawn } from 'node:child_process';
import { closeSync, existsSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TugError } from '../../core/errors.js';
import { EngineClient, recoveryNotice } from './client.js';
import { projectPaths } from './home.js';
import { assertTrustedHome, ensureProjectDir } from './home-trust.js';
import { openAppend, readText } from './safe-fs.js';
import { watchDir } from './fs-wait.js';
import { isAlive, parseIdentity } from './proc-identity.js';
import type { EngineMethods } from './protocol.js';

export type PingResult = EngineMethods['ping']['result'];

/**
 * The only variables of the CLI's environment the engine gets: the ones it
 * reads. It outlives the command that started it, so anything else (a cloud
 * secret exported in the shell) would sit in /proc/<engine>/environ for its
 * whole life. Replicas do not need the rest either: their environment comes
 * from their spec (hostEnv + the Compose environment), never from the engine's.
 */
const ENGINE_VARIABLES = [
  'PATH',
  'TUG_ENGINE_IDLE_MS',
  'TUG_LOG_MAX_BYTES',
  'TUG_NO_SETPRIV',
  'TUG_FORWARD_MAX_CONNECTIONS',
  'TUG_FORWARD_IDLE_MS',
  'TUG_PORT_FORWARD',
] as const;

function engineEnvironment(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of ENGINE_VARIABLES) if (env[name] !== undefined) out[name] = env[name]!;
  return out;
}

export const PING_TIMEOUT_MS = 2_000;
const START_TIMEOUT_MS = 5_000;

/**
 * How long a wait below sleeps when nothing is reported. Its events are the
 * socket and pid file appearing or going (a directory watcher) and the exit
 * of an engine this command started (a child process event); what no event
 * reports is an engine that is not our child dying without removing its
 * files (killed, crashed), which only a look at its pid shows.
 */
const UNREPORTED_MS = 500;

/**
 * The engine's entry script, beside this module and of its kind:
 * dist/runtime/native/engine-main.js for the tsc build (the API),
 * dist/bundle/engine-main.cjs for the bundled CLI (this code is then in
 * dist/bundle/cli.cjs; scripts/bundle.mjs writes both), so each starts an
 * engine of its own build. Running from src (vitest), the tsc-built copy.
 */
export function engineEntry(): string {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.ts')) return join(dirname(here), '..', '..', '..', 'dist', 'runtime', 'native', 'engine-main.js');
  return join(dirname(here), `engine-main${extname(here)}`);
}

export interface AnsweringEngine {
  client: EngineClient;
  ping: PingResult;
}

/** A client for the running engine, or undefined when none answers. Never starts one. */
export async function probeEngine(home: string, project: string): Promise<AnsweringEngine | undefined> {
  const found = await findEngine(home, project);
  return 'client' in found ? found : undefined;
}

/**
 * The engine as a command that must not start one sees it: answering, absent
 * (no socket, nobody listening, its process gone), or `silent`: its process
 * is alive but the ping went unanswered, which is not the same as absent.
 */
export async function findEngine(home: string, project: string): Promise<AnsweringEngine | { absent: true } | { silent: number }> {
  assertTrustedHome(home, project);
  const paths = projectPaths(home, project);
  if (!existsSync(paths.socket)) return { absent: true };
  const client = new EngineClient(paths.socket, project);
  try {
    const ping = await client.call('ping', {}, { timeoutMs: PING_TIMEOUT_MS });
    return { client, ping };
  } catch (err) {
    client.close();
    const holder = err instanceof TugError && err.code === 'native.engine-unresponsive' ? readPidFile(paths.pidFile) : undefined;
    return holder && isAlive(holder) ? { silent: holder.pid } : { absent: true };
  }
}

export function engineSilent(home: string, project: string, pid: number): TugError {
  return new TugError({
    code: 'native.engine-unresponsive',
    message: `the engine for project ${project} (pid ${pid}) is running but did not answer within ${PING_TIMEOUT_MS / 1000} s`,
    hint: `it may be overloaded: try again; if it stays silent, see ${projectPaths(home, project).engineLog}, and stopping it (kill ${pid}, which also stops its replicas) lets the next tug command start a fresh one`,
  });
}

/** The project's engine, started when none answers. */
export async function ensureEngine(home: string, project: string, opts: { startTimeoutMs?: number } = {}): Promise<EngineClient> {
  const paths = ensureProjectDir(home, project);
  const timeoutMs = opts.startTimeoutMs ?? START_TIMEOUT_MS;
  const deadline = Date.now() + timeoutMs;
  const waiter = watchDir(paths.dir, [basename(paths.socket), basename(paths.pidFile)]);
  try {
    for (;;) {
      const found = await probeEngine(home, project);
      if (found) return withNotice(found.client, project, found.ping);
      // An engine whose pid is alive but which does not answer is starting up
      // (another command started it a moment ago) or on its way out (idle
      // exit): wait for it to answer or to be gone, rather than race it.
      const current = readPidFile(paths.pidFile);
      if (!current || !isAlive(current)) break;
      if (Date.now() >= deadline) {
        throw new TugError({
          code: 'native.engine-unresponsive',
          message: `the engine of project "${project}" (pid ${current.pid}) is running but does not answer on ${paths.socket}`,
          hint: `see ${paths.engineLog}; stopping that process lets tug start a fresh engine`,
        });
      }
      await waiter.next(Math.min(UNREPORTED_MS, deadline - Date.now()));
    }
  } finally {
    waiter.close();
  }

  const exited = startEngine(home, project);
  const ready = await waitForEngine(home, project, timeoutMs, exited.promise);
  exited.dispose();
  if (ready) return withNotice(ready.client, project, ready.ping);
  const what = exited.summary() ? `stopped while starting (${exited.summary()})` : `did not start within ${timeoutMs / 1000} s`;
  throw new TugError({
    code: 'native.engine-start-failed',
    message: `the engine of project "${project}" ${what}${logTail(paths.engineLog)}`,
    hint: `see ${paths.engineLog}`,
  });
}

function withNotice(client: EngineClient, project: string, ping: PingResult): EngineClient {
  client.recovered = recoveryNotice(project, ping.recovered);
  return client;
}

interface StartedEngine {
  /** Resolves if the engine exits while we wait for it. */
  promise: Promise<void>;
  summary(): string;
  dispose(): void;
}

function startEngine(home: string, project: string): StartedEngine {
  const paths = projectPaths(home, project);
  const entry = engineEntry();
  if (!existsSync(entry)) {
    throw new TugError({
      code: 'native.engine-missing',
      message: `the engine program ${entry} does not exist`,
      hint: 'build tug first (npm run build)',
    });
  }
  const log = openAppend(paths.engineLog);
  let exitInfo: string | undefined;
  let onExit: (() => void) | undefined;
  const promise = new Promise<void>((resolve) => (onExit = resolve));
  try {
    const child = spawn(process.execPath, [entry, '--home', home, '--project', project], {
      detached: true,
      stdio: ['ignore', 'ignore', log],
      env: engineEnvironment(process.env),
    });
    const exitListener = (code: number | null, signal: NodeJS.Signals | null): void => {
      exitInfo = signal ? `killed by ${signal}` : `exit code ${code}`;
      onExit?.();
    };
    const errorListener = (err: Error): void => {
      exitInfo = err.message;
      onExit?.();
    };
    child.on('exit', exitListener);
    child.on('error', errorListener);
    child.unref();
    return {
      promise,
      summary: () => exitInfo ?? '',
      dispose: () => {
        child.off('exit', exitListener);
        child.off('error', errorListener);
      },
    };
  } finally {
    closeSync(log);
  }
}

/** Pings whenever the socket or pid file appears or changes, or the engine exits, until one answers or time runs out. */
async function waitForEngine(
  home: string,
  project: string,
  timeoutMs: number,
  exited?: Promise<void>,
): Promise<{ client: EngineClient; ping: PingResult } | undefined> {
  const paths = projectPaths(home, project);
  const deadline = Date.now() + timeoutMs;
  const waiter = watchDir(paths.dir, [basename(paths.socket), basename(paths.pidFile)]);
  let dead = false;
  void exited?.then(() => (dead = true));
  try {
    for (;;) {
      const found = await probeEngine(home, project);
      if (found) return found;
      if (Date.now() >= deadline) return undefined;
      // Ours exited: fine if it found another engine serving the project
      // (started by a concurrent command), which will answer shortly.
      if (dead) {
        const other = readPidFile(paths.pidFile);
        if (!other || !isAlive(other)) return undefined;
      }
      const tick = waiter.next(Math.min(UNREPORTED_MS, deadline - Date.now()));
      await (dead || !exited ? tick : Promise.race([tick, exited]));
    }
  } finally {
    waiter.close();
  }
}

/**
 * Waits until the engine the pid file names now is gone (its pid file removed
 * or naming a process that no longer runs), or `timeoutMs` pass: for a
 * request refused by an engine on its way out, which must be retried against
 * the next one.
 */
export async function awaitEngineGone(home: string, project: string, timeoutMs: number, signal?: AbortSignal): Promise<void> {
  const paths = projectPaths(home, project);
  const leaving = readPidFile(paths.pidFile);
  if (!leaving) return;
  const deadline = Date.now() + timeoutMs;
  const waiter = watchDir(paths.dir, [basename(paths.socket), basename(paths.pidFile)]);
  try {
    for (;;) {
      const current = readPidFile(paths.pidFile);
      if (!current || current.pid !== leaving.pid || !isAlive(current)) return;
      const left = deadline - Date.now();
      if (left <= 0 || signal?.aborted) return;
      await waiter.next(Math.min(UNREPORTED_MS, left), signal);
    }
  } finally {
    waiter.close();
  }
}

function readPidFile(file: string): ReturnType<typeof parseIdentity> {
  try {
    const text = readText(file);
    return text === undefined ? undefined : parseIdentity(text);
  } catch {
    return undefined;
  }
}

function logTail(file: string): string {
  try {
    const lines = (readText(file) ?? '').trimEnd().split('\n').slice(-5).join('\n');
    return lines === '' ? '' : `; last lines of its log:\n${lines}`;
  } catch {
    return '';
  }
}
