// Health checks, with Docker's semantics: probes run in the replica's
// environment, working directory and user; the first probe comes one interval
// after start (start_interval while in start_period); status goes starting →
// healthy on the first success, → unhealthy after `retries` consecutive
// failures, and failures inside start_period do not count. A probe that outlives
// `timeout` is killed, with what it started, and counts as a failure. Where a
// probe runs is the Prober's business: a host process group (processProber),
// or an exec inside a container (execProber).
import { healthTimings, type HealthTimings } from '../../../core/model/timing.js';
import type { HealthcheckSpec } from '../../../core/model/types.js';
import type { HealthState } from '../../../core/reconcile/observed.js';
import type { ExecHandle } from '../container/oci-runtime.js';
import { signalGroup } from './proc.js';
import { spawnOutcome, spawnSupervised } from './spawn.js';
import { after, sleep, type Timer } from '../../../timers.js';

export interface HealthConfig extends HealthTimings {
  argv: string[];
}

export interface ProbeEnvironment {
  env: Record<string, string>;
  cwd: string;
  uid?: number;
  gid?: number;
}

/** The check a spec asks for, or undefined when there is none (absent, NONE, disable). */
export function healthConfigOf(spec: HealthcheckSpec | undefined): HealthConfig | undefined {
  if (!spec || spec.disable === true || !spec.test || spec.test.length === 0) return undefined;
  const [kind, ...rest] = spec.test;
  let argv: string[];
  if (kind === 'NONE') return undefined;
  if (kind === 'CMD') argv = rest;
  else if (kind === 'CMD-SHELL') argv = ['/bin/sh', '-c', rest.join(' ')];
  else argv = ['/bin/sh', '-c', spec.test.join(' ')]; // a bare string list: what Docker does with it
  if (argv.length === 0) return undefined;
  return { argv, ...healthTimings(spec) };
}

/** Runs one probe; resolves to whether it passed (exit 0 within `timeoutMs`). An abort kills it. */
export type Prober = (argv: readonly string[], timeoutMs: number, signal: AbortSignal) => Promise<boolean>;

/** Probes as host process groups in the replica's environment, directory and user. */
export function processProber(where: ProbeEnvironment): Prober {
  return async (argv, timeoutMs, signal) => {
    const { env, cwd, uid, gid } = where;
    const child = spawnSupervised({ argv: [...argv], env, cwd, uid, gid, output: 'ignore' });
    child.on('error', () => undefined);
    if (await spawnOutcome(child)) return false;
    const pgid = child.pid!;
    const kill = () => signalGroup(pgid, 'SIGKILL');
    signal.addEventListener('abort', kill, { once: true });
    return new Promise<boolean>((resolve) => {
      const timer = after(timeoutMs, kill);
      child.once('exit', (code) => {
        timer.cancel();
        signal.removeEventListener('abort', kill);
        // A probe's stray background processes must not accumulate.
        kill();
        resolve(code === 0);
      });
    });
  };
}

/**
 * Probes inside a container: each is an exec through the OCI runtime. At the
 * timeout, or when probing ends, the process group the probe leads inside the
 * container is killed with the runtime's own process: killing the runtime
 * alone leaves the probe running, reparented (Docker kills the exec'd
 * process; its group takes what it started too).
 */
export function execProber(start: (argv: readonly string[]) => ExecHandle): Prober {
  return async (argv, timeoutMs, signal) => {
    const exec = start(argv);
    exec.stdout.resume();
    exec.stderr.resume();
    let ended = false;
    const killGroup = () => {
      const group = exec.processGroup();
      if (group !== undefined) signalGroup(group, 'SIGKILL');
      return group !== undefined;
    };
    const kill = async () => {
      // Killed before it says what it started, the runtime may leave that running: give it a moment to say.
      for (let i = 0; i < 100 && !ended && !killGroup(); i++) await sleep(20);
      exec.child.kill('SIGKILL');
    };
    const timer = after(timeoutMs, () => void kill());
    const onAbort = () => void kill();
    signal.addEventListener('abort', onAbort, { once: true });
    const code = await exec.exited;
    ended = true;
    timer.cancel();
    signal.removeEventListener('abort', onAbort);
    // What a probe left in the background must not accumulate either.
    killGroup();
    return code === 0;
  };
}

export class HealthMonitor {
  status: HealthState = 'starting';
  private failures = 0;
  private timer: Timer | undefined;
  private readonly abort = new AbortController();
  private stopped = false;
  private readonly startedAt = Date.now();

  constructor(
    private readonly config: HealthConfig,
    private readonly probe: Prober,
    private readonly onChange: (status: HealthState) => void,
  ) {}

  start(): void {
    this.schedule();
  }

  private inStartPeriod(): boolean {
    return Date.now() - this.startedAt < this.config.startPeriodMs;
  }

  private schedule(): void {
    if (this.stopped) return;
    // start_interval applies until the first success or the end of start_period.
    const early = this.status === 'starting' && this.inStartPeriod();
    this.timer = after(early ? this.config.startIntervalMs : this.config.intervalMs, () => void this.tick());
  }

  private async tick(): Promise<void> {
    const passed = await this.probe(this.config.argv, this.config.timeoutMs, this.abort.signal).catch(() => false);
    if (this.stopped) return;
    if (passed) {
      this.failures = 0;
      this.set('healthy');
    } else if (!(this.status === 'starting' && this.inStartPeriod())) {
      this.failures++;
      if (this.failures >= this.config.retries) this.set('unhealthy');
    }
    this.schedule();
  }

  private set(status: HealthState): void {
    if (status === this.status) return;
    this.status = status;
    this.onChange(status);
  }

  /** Ends probing (the replica exited or is stopping); kills a probe in flight. */
  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
    this.abort.abort();
  }
}
