// A project's engine process from start to exit: claims the project (pid
// file), recovers from a crashed predecessor, serves the socket, and decides
// when to go away: on `shutdown`, on SIGTERM/SIGINT, or by itself once no
// replica runs or restarts and no client has been connected for a while, so an
// idle project costs nothing. On a planned exit the saved state records
// cleanShutdown: true (or is removed, when no replica is left), which is how
// the next engine tells a crash apart. A crash is diagnostics.ts's to handle.
import { tugVersion } from '../../../version.js';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { TugError } from '../../../core/errors.js';
import type { EngineMethods, RecoveryReport } from '../protocol.js';
import { projectPaths, type ProjectPaths } from '../home.js';
import { ensureProjectDir } from '../home-trust.js';
import { writeExclusive } from '../safe-fs.js';
import { acquireFileLock } from '../lock.js';
import { formatIdentity } from '../proc-identity.js';
import { processStartTime } from '../proc-stat.js';
import { installCrashHandlers, log } from './diagnostics.js';
import { ConnectionBudget, forwardLimits } from './forward-budget.js';
import { createHandlers, dispatcher } from './handlers.js';
import { recover, type PreviousState } from './recovery.js';
import { EngineServer, type RequestContext } from './server.js';
import { StateStore } from './state-store.js';
import { Supervisor } from './supervisor.js';
import { after, type Timer } from '../../../timers.js';

export interface EngineOptions {
  home: string;
  project: string;
  /** Idle time before exiting by itself (default 2 s; TUG_ENGINE_IDLE_MS). */
  idleMs?: number;
}

/** How long a new engine waits for one that holds the claim to go (an idle exit under way) before giving up. */
const CLAIM_WAIT_MS = 5_000;

/**
 * Claims the project for this engine: engine.lock is taken with lock.ts's
 * exclusive link, whose stale holders (a crashed engine) are broken under a
 * breaker, so two engines that start at the same moment cannot both win.
 * Only the holder writes the pid file and touches the socket. Returns the
 * release, for a planned exit.
 */
async function claimProject(paths: ProjectPaths, project: string, procStart: number | undefined): Promise<() => void> {
  let holder: number | undefined;
  let release: () => void;
  try {
    release = await acquireFileLock(paths.engineLock, project, { timeoutMs: CLAIM_WAIT_MS, onWait: (_m, h) => (holder = h.pid) });
  } catch (err) {
    if (!(err instanceof TugError) || err.code !== 'native.project-locked') throw err;
    throw new TugError({ code: 'engine.already-running', message: `an engine${holder ? ` (pid ${holder})` : ''} is already running for this project` });
  }
  try {
    // A planted link is removed, never followed; nobody else writes here while we hold the claim.
    rmSync(paths.pidFile, { force: true });
    writeExclusive(paths.pidFile, `${formatIdentity({ pid: process.pid, startTime: procStart })}\n`);
  } catch (err) {
    release();
    throw err;
  }
  return release;
}

export class Engine {
  private readonly paths: ProjectPaths;
  private readonly startedAt = new Date().toISOString();
  private readonly procStart = processStartTime(process.pid);
  private releaseClaim: (() => void) | undefined;
  private readonly idleMs: number;
  private supervisor!: Supervisor;
  private server!: EngineServer;
  /** What recovery found, until a ping has carried it to a client: the user is told once, not by every command. */
  private recovered: EngineMethods['ping']['result']['recovered'] = { reaped: [] };
  private idleTimer: Timer | undefined;
  private closing = false;
  private exiting = false;

  constructor(private readonly opts: EngineOptions) {
    this.paths = projectPaths(opts.home, opts.project);
    const envIdle = Number(process.env.TUG_ENGINE_IDLE_MS);
    this.idleMs = opts.idleMs ?? (Number.isFinite(envIdle) && envIdle > 0 ? envIdle : 2_000);
  }

  async start(): Promise<void> {
    ensureProjectDir(this.opts.home, this.opts.project);
    mkdirSync(this.paths.logsDir, { recursive: true, mode: 0o700 });
    this.releaseClaim = await claimProject(this.paths, this.opts.project, this.procStart);
    const engine = { pid: process.pid, procStart: this.procStart ?? 0, startedAt: this.startedAt };
    const store = new StateStore(this.paths, this.opts.project, engine, log);
    const recovery = await recover(this.loadState(store), log);
    this.recovered = recovery.report;
    const limits = forwardLimits(process.env, ownLimits());
    log(`port forwarding: at most ${limits.maxConnections} connections at once, idle ones closed after ${Math.round(limits.idleMs / 1000)} s`);
    this.supervisor = new Supervisor({
      forwarding: new ConnectionBudget(limits, log),
      home: this.opts.home,
      project: this.opts.project,
      store,
      runningAsRoot: process.getuid?.() === 0,
      emit: (event) => this.server?.broadcast(event),
      note: log,
      onActivity: () => this.checkIdle(),
    });
    await this.supervisor.sweepContainers(true);
    this.supervisor.restore(recovery.replicas);
    const handlers = createHandlers({
      supervisor: this.supervisor,
      ping: (confirming) => ({
        pid: process.pid,
        project: this.opts.project,
        version: tugVersion(),
        startedAt: this.startedAt,
        recovered: confirming ? { reaped: [] } : this.takeRecovered(),
      }),
      shutdown: (ctx) => this.shutdown(ctx),
    });
    this.server = new EngineServer(this.paths.socket, dispatcher(handlers, (m) => this.refuse(m)), () => this.checkIdle());
    await this.server.listen();
    this.installSignalHandlers();
    log(`engine for project ${this.opts.project} listening on ${this.paths.socket}`);
    this.checkIdle();
  }

  private takeRecovered(): RecoveryReport {
    const report = this.recovered;
    this.recovered = { reaped: [] };
    return report;
  }

  /** The previous engine's state; a damaged one is moved aside and summed up for the recovery notice. */
  private loadState(store: StateStore): PreviousState {
    const loaded = store.load();
    if (loaded.skippedLines > 0 && loaded.problems.length === 0) log(`state: skipped a torn last line of ${this.paths.journal}`);
    if (loaded.problems.length === 0) return loaded;
    for (const problem of loaded.problems) log(`state: ${problem}`);
    const kept = loaded.state?.replicas.length ?? 0;
    const problem =
      `its saved state was damaged (${loaded.problems[0]}${loaded.problems.length > 1 ? `, and ${loaded.problems.length - 1} more problems` : ''}); ` +
      `it was moved to ${loaded.movedTo.join(' and ')}, and ${kept} replica record${kept === 1 ? ' was' : 's were'} recovered`;
    return { ...loaded, problem };
  }

  /** For a crash report: which engine, since when, supervising what. */
  describe(): string {
    const replicas = this.supervisor?.list() ?? [];
    const running = replicas.filter((r) => r.state === 'running' || r.state === 'restarting').length;
    return `of project ${this.opts.project}, up since ${this.startedAt}, ${replicas.length} replicas (${running} running)`;
  }

  private refuse(method: string): TugError | undefined {
    if (this.closing && (method === 'create' || method === 'start')) {
      return new TugError({ code: 'engine.shutting-down', message: 'the engine is shutting down', hint: 'retry: a new engine will start' });
    }
    return undefined;
  }

  /** (Re)arms the idle timer when nothing runs and no client is connected; disarms it otherwise. */
  private checkIdle(): void {
    this.idleTimer?.cancel();
    this.idleTimer = undefined;
    if (this.exiting || this.closing || this.server?.inUse || this.supervisor.busy()) return;
    this.idleTimer = after(this.idleMs, () => {
      this.idleTimer = undefined;
      if (!this.server.inUse && !this.supervisor.busy()) void this.exit('idle');
    }).unref();
  }

  private async shutdown(ctx?: RequestContext): Promise<void> {
    this.closing = true;
    this.idleTimer?.cancel();
    log('shutdown requested: stopping all replicas');
    await this.supervisor.stopAll();
    // Before answering: `down` returns once the networks and shared parts are gone.
    await this.supervisor.sweepContainers(false);
    if (ctx) ctx.afterResponse(() => void this.exit('shutdown'));
    else await this.exit('shutdown');
  }

  private async exit(reason: string): Promise<void> {
    if (this.exiting) return;
    this.exiting = true;
    log(`exiting (${reason})`);
    try {
      await this.supervisor.stopAll(); // nothing runs on an idle exit; a no-op then
      await this.supervisor.sweepContainers(false);
      this.supervisor.saveFinal();
      await this.server.close();
      rmSync(this.paths.pidFile, { force: true });
      this.releaseClaim?.();
    } catch (err) {
      log(`error while exiting: ${(err as Error).message}`);
    }
    process.exit(0);
  }

  private installSignalHandlers(): void {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      process.on(signal, () => void this.shutdown());
    }
    // The client starts us in our own session; a stray hangup must not end replicas.
    process.on('SIGHUP', () => undefined);
  }
}

function ownLimits(): string {
  try {
    return readFileSync('/proc/self/limits', 'utf8');
  } catch {
    return '';
  }
}

export async function runEngine(opts: EngineOptions): Promise<void> {
  const engine = new Engine(opts);
  installCrashHandlers(() => engine.describe());
  await engine.start();
}
