// The OCI runtime on this machine (runc; crun only where it works, see
// capability-report.ts) and the commands tug runs through it. Its state lives
// in a directory tug owns (`--root`, one per project under TUG_HOME), never in
// the system-wide /run/runc: `list` then shows exactly tug's containers of
// that project and nobody else's.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, isAbsolute, join } from 'node:path';
import type { Readable } from 'node:stream';
import { TugError } from '../../../core/errors.js';
import { exitStatus, signalNumberOf } from '../../../core/model/signals.js';
import { sleep } from '../../../timers.js';
import { crunWorks, type MachineFacts } from './capability-report.js';
import { findExecutable, firstOutputLine, isExecutableFile } from './executables.js';
import { held } from './container-run.js';
import type { OciProcess } from './oci-spec.js';
import { readTextFile } from './read-file.js';
import { firstProblem, runTool } from './run-tool.js';

export interface OciRuntimeBinary {
  name: 'runc' | 'crun';
  path: string;
}

export type ContainerStatus = 'creating' | 'created' | 'running' | 'paused' | 'stopped';

export interface ContainerState {
  id: string;
  pid: number;
  status: ContainerStatus;
  bundle: string;
}

/**
 * Where the runtime `name` is: TUG_OCI_RUNTIME, when set, names the one file
 * to use (crun when its name starts so, runc otherwise; nothing when it is not
 * an executable file); else the first on PATH and in the system directories.
 */
export function findRuntimeExecutable(name: 'runc' | 'crun', env: NodeJS.ProcessEnv = process.env): string | undefined {
  const chosen = env.TUG_OCI_RUNTIME;
  if (chosen === undefined || chosen === '') return findExecutable(name);
  const kind = basename(chosen).startsWith('crun') ? 'crun' : 'runc';
  return kind === name && isAbsolute(chosen) && isExecutableFile(chosen) ? chosen : undefined;
}

/** runc, or crun where the cgroup layout lets it work; a TugError naming the package otherwise. */
export function findOciRuntime(facts?: Pick<MachineFacts, 'cgroup'>): OciRuntimeBinary {
  const runc = findRuntimeExecutable('runc');
  if (runc) return { name: 'runc', path: runc };
  const crun = findRuntimeExecutable('crun');
  if (crun && facts && crunWorks({ ...(facts as MachineFacts), crun: { path: crun } })) return { name: 'crun', path: crun };
  throw new TugError({
    code: 'container.no-runtime',
    message: crun
      ? 'no usable OCI runtime: crun refuses this machine\'s hybrid cgroup layout, and runc is not installed'
      : 'no OCI runtime (runc) on this machine: services cannot run as containers',
    hint: 'apt-get install runc, or run with --isolation process',
  });
}

export function runtimeVersion(binary: OciRuntimeBinary): string | undefined {
  return firstOutputLine(binary.path, ['--version']);
}

// Container ids become runtime state directory names.
const ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

export function checkContainerId(id: string): string {
  if (!ID.test(id)) throw new Error(`invalid container id ${JSON.stringify(id)}`); // a caller bug: ids are replica names
  return id;
}

export interface ExecHandle {
  child: ChildProcess;
  stdout: Readable;
  stderr: Readable;
  /** The process's exit status (128 + signal when killed). */
  exited: Promise<number>;
  /**
   * The process group the command leads inside the container, as the host
   * numbers it, once the runtime has started it; killing only the runtime's
   * own process would leave the command (reparented) running.
   */
  processGroup(): number | undefined;
}

export class OciRuntime {
  constructor(
    readonly binary: OciRuntimeBinary,
    /** The state directory (`--root`). */
    readonly root: string,
  ) {}

  /** Global arguments every invocation starts with. */
  get globalArgs(): string[] {
    return ['--root', this.root];
  }

  private async run(args: string[], timeoutMs = 30_000) {
    return runTool(this.binary.path, [...this.globalArgs, ...args], { timeoutMs });
  }

  async state(id: string): Promise<ContainerState | undefined> {
    const r = await this.run(['state', checkContainerId(id)]);
    if (r.code !== 0) return undefined;
    return JSON.parse(r.stdout) as ContainerState;
  }

  async list(): Promise<ContainerState[]> {
    const r = await this.run(['list', '--format', 'json']);
    if (r.code !== 0) return [];
    return (JSON.parse(r.stdout || 'null') as ContainerState[] | null) ?? [];
  }

  /** Delivers `signal` to the container's init; false when there is no such running container. */
  async kill(id: string, signal: string | number): Promise<boolean> {
    const r = await this.run(['kill', checkContainerId(id), String(signal)]);
    return r.code === 0;
  }

  /**
   * Deletes the container (and its cgroup), stopping it with SIGKILL first if
   * it still runs; resolves quietly when it does not exist. The common case, a
   * container that has exited, costs one `delete`; otherwise `kill` then
   * `delete` (~15 ms) beats `delete --force`, which polls for ~110 ms, but
   * `delete` may find it not stopped yet, so the state is polled in between.
   */
  async remove(id: string): Promise<void> {
    const first = await this.run(['delete', checkContainerId(id)]);
    if (first.code === 0 || /does not exist|not exist/i.test(first.stderr)) return;
    const state = await this.state(id);
    if (!state) return;
    if (state.status !== 'stopped') {
      await this.kill(id, 'KILL');
      for (let i = 0; i < 200; i++) {
        const now = await this.state(id);
        if (!now || now.status === 'stopped') break;
        await sleep(10);
      }
    }
    let r = await this.run(['delete', id]);
    if (r.code !== 0 && (await this.state(id))) r = await this.run(['delete', '--force', id]);
    if (r.code !== 0 && (await this.state(id))) {
      throw new TugError({ code: 'container.delete', message: `cannot delete container ${id}: ${firstProblem(r)}` });
    }
  }

  /**
   * Runs `process` inside the container (its namespaces, cgroup and
   * capabilities). The caller reads stdout/stderr; `exited` gives the status.
   */
  exec(id: string, bundle: string, process: OciProcess, stdin: 'ignore' | 'pipe' = 'ignore'): ExecHandle {
    const base = join(bundle, `exec-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`);
    const file = `${base}.json`;
    const pidFile = `${base}.pid`;
    writeFileSync(file, JSON.stringify(process), { mode: 0o600 });
    const child = spawn(this.binary.path, [...this.globalArgs, 'exec', '--pid-file', pidFile, '--process', file, checkContainerId(id)], { stdio: [stdin, 'pipe', 'pipe'] });
    // The runtime makes the process it starts lead a process group of its own (measured with runc 1.1.5).
    let group: number | undefined;
    const processGroup = () => {
      const pid = Number((readTextFile(pidFile) ?? '').trim());
      group ??= Number.isInteger(pid) && pid > 1 ? pid : undefined;
      return group;
    };
    const exited = new Promise<number>((resolve) => {
      child.once('error', () => resolve(127));
      child.once('exit', (code, signal) => {
        processGroup(); // kept: what the command left in the background may still be there
        rmSync(file, { force: true });
        rmSync(pidFile, { force: true });
        resolve(exitStatus(code, signal));
      });
    });
    return { child, stdout: held(child.stdout!), stderr: held(child.stderr!), exited, processGroup };
  }
}

/** The last error runc wrote to its JSON log (`--log FILE --log-format json`), if any. */
export function lastRuntimeError(logFile: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(logFile, 'utf8');
  } catch {
    return undefined;
  }
  let message: string | undefined;
  for (const line of text.split('\n')) {
    try {
      const entry = JSON.parse(line) as { level?: string; msg?: string };
      if ((entry.level === 'error' || entry.level === 'fatal') && entry.msg) message = entry.msg;
    } catch {
      /* not a JSON line */
    }
  }
  return message;
}

export function signalNumber(signal: NodeJS.Signals | number): number {
  if (typeof signal === 'number') return signal;
  const n = signalNumberOf(signal);
  if (n === undefined) throw new TugError({ code: 'engine.bad-signal', message: `unknown signal ${JSON.stringify(signal)}` });
  return n;
}
