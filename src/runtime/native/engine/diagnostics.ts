// What the engine has to say about itself, and what it does when something
// goes wrong that nobody caught. Lines go to engine.log, the engine's stderr
// (the client opened it for appending). That file may sit on a full disk, so
// writing to it must never throw, never recurse through an error handler and
// never spin: a failed write is counted, further lines are dropped without a
// syscall for a while, and the count is reported once writing works again.
//
// An uncaught error leaves the engine in a state nobody reasoned about, so it
// is logged with context and the engine exits: its replicas die with it
// (pdeathsig) and the next tug command starts a new engine that reaps what is
// left and says so. The exception is a failed write to a stream the engine
// can live without (EPIPE, ENOSPC, ...): that is noted and survived.
import { writeAll } from '../safe-fs.js';

/** Exit status of an engine that crashed (EX_SOFTWARE); 1 means it could not start. */
export const CRASH_EXIT_CODE = 70;

/** While writing fails, how long lines are dropped before the next attempt. */
const RETRY_MS = 5_000;

let dropped = 0;
let failedAt: number | undefined;
let failure = '';

function line(message: string): string {
  return `${new Date().toISOString()} [${process.pid}] ${message}\n`;
}

/** Appends a line to engine.log; never throws. */
export function log(message: string): void {
  const now = Date.now();
  if (failedAt !== undefined && now - failedAt < RETRY_MS) {
    dropped++;
    return;
  }
  const lost = dropped > 0 ? line(`(${dropped} line${dropped === 1 ? '' : 's'} of this log could not be written: ${failure})`) : '';
  try {
    writeAll(2, lost + line(message));
    failedAt = undefined;
    dropped = 0;
  } catch (err) {
    failedAt = now;
    failure = describeWriteError(err);
    dropped++;
  }
}

/** "no space left on device" rather than "ENOSPC: no space left on device, write". */
export function describeWriteError(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  const known: Record<string, string> = {
    ENOSPC: 'no space left on device',
    EDQUOT: 'disk quota exceeded',
    EROFS: 'read-only file system',
    EIO: 'input/output error',
    EPIPE: 'the reader went away',
  };
  return (e.code && known[e.code]) ?? e.message ?? String(err);
}

const SURVIVABLE = new Set(['EPIPE', 'ENOSPC', 'EDQUOT', 'EIO', 'ECONNRESET']);

/** A failed write to some stream: the engine loses that output, not its replicas. */
export function isSurvivable(err: unknown): boolean {
  const e = err as NodeJS.ErrnoException | undefined;
  return typeof e?.code === 'string' && SURVIVABLE.has(e.code) && (e.syscall === 'write' || e.syscall === 'writev');
}

/**
 * Installs the engine's last-resort handlers. `context` describes the engine
 * (project, uptime, replicas) for the crash line.
 */
export function installCrashHandlers(context: () => string): void {
  const exit = (code: number): never => process.exit(code);
  // Node writes its own warnings to process.stderr; on a full disk that stream
  // errors, and an 'error' nobody listens to would become an uncaught exception.
  process.stderr.on('error', () => undefined);
  let crashing = false;
  const survived = new Map<string, number>();
  const onFatal = (kind: string, err: unknown): void => {
    if (crashing) exit(CRASH_EXIT_CODE); // failing again while reporting: just go
    if (isSurvivable(err)) {
      const code = (err as NodeJS.ErrnoException).code!;
      const last = survived.get(code) ?? -Infinity;
      if (Date.now() - last >= 60_000) log(`ignored a failed write (${describeWriteError(err)}); the engine keeps running`);
      survived.set(code, Date.now());
      return;
    }
    crashing = true;
    let where = '';
    try {
      where = context();
    } catch {
      // The context itself may be what is broken.
    }
    const detail = err instanceof Error ? (err.stack ?? err.message) : String(err);
    log(`engine crashed (${kind})${where ? ` ${where}` : ''}: ${detail}`);
    log('its replicas end with it; the next tug command for this project starts a new engine, which reaps what is left');
    exit(CRASH_EXIT_CODE);
  };
  process.on('uncaughtException', (err) => onFatal('uncaught exception', err));
  process.on('unhandledRejection', (err) => onFatal('unhandled rejection', err));
}
