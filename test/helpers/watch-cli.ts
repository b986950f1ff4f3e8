// `tug watch` running in the background the way a user runs it, for the watch
// end-to-end tests: its JSON-line events (--progress json) collected from
// stderr, waits for an event, and Ctrl-C. Every watch started is interrupted
// (then killed) by stopWatches(), for afterEach.
import { spawn, type ChildProcess } from 'node:child_process';
import { expect } from 'vitest';
import { tugBin } from './cli.js';
import { sleep } from '../../src/timers.js';
import { until } from './native-env.js';

export interface WatchEventLine {
  type: string;
  service?: string;
  replica?: string;
  [key: string]: unknown;
}

export interface RunningWatch {
  child: ChildProcess;
  pid: number;
  events(): WatchEventLine[];
  /** Resolves with the first event (after those already seen: `from`) that matches. */
  next(type: string, match?: (e: WatchEventLine) => boolean, from?: number): Promise<WatchEventLine>;
  stderr(): string;
  stdout(): string;
  exited: Promise<number | null>;
  /** Ctrl-C; resolves to the exit code. */
  interrupt(): Promise<number | null>;
}

const WATCH_TYPES = new Set(['watching', 'sync', 'restart', 'rebuild', 'exec', 'reload', 'reload-rejected', 'notice', 'error']);
const running: RunningWatch[] = [];

export function startWatch(args: string[], opts: { cwd: string; env: Record<string, string> }): RunningWatch {
  const child = spawn(process.execPath, ['--', tugBin, '--progress', 'json', ...args], {
    cwd: opts.cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', NO_COLOR: '1', ...opts.env },
  });
  let stderr = '';
  let stdout = '';
  const events: WatchEventLine[] = [];
  let partial = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d;
    partial += d;
    const lines = partial.split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      try {
        const e = JSON.parse(line) as WatchEventLine;
        if (WATCH_TYPES.has(e.type) && 'time' in e) events.push(e);
      } catch {
        // not a JSON line (a plain warning)
      }
    }
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const watch: RunningWatch = {
    child,
    pid: child.pid!,
    events: () => events,
    stderr: () => stderr,
    stdout: () => stdout,
    exited,
    async next(type, match = () => true, from = 0) {
      let found: WatchEventLine | undefined;
      await until(
        () => {
          found = events.slice(from).find((e) => e.type === type && match(e));
          return found !== undefined || child.exitCode !== null;
        },
        `a "${type}" watch event`,
        30_000,
      ).catch((err: Error) => {
        throw new Error(`${err.message}\nwatch output:\n${stderr}`);
      });
      expect(found, `tug watch exited before a "${type}" event:\n${stderr}`).toBeDefined();
      return found!;
    },
    async interrupt() {
      if (child.exitCode === null) child.kill('SIGINT');
      return exited;
    },
  };
  running.push(watch);
  return watch;
}

/** Ends every watch started by this test file's current test. */
export async function stopWatches(): Promise<void> {
  for (const w of running.splice(0)) {
    if (w.child.exitCode !== null) continue;
    w.child.kill('SIGINT');
    const ended = await Promise.race([w.exited.then(() => true), sleep(5000).then(() => false)]);
    if (!ended) w.child.kill('SIGKILL');
  }
}
