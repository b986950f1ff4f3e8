// One CLI command at a time changes a project: `withProjectLock` holds
// projects/<p>/cli.lock, a file created with O_CREAT|O_EXCL holding
// "<pid> <start time>". A lock whose writer is gone (killed, crashed) is stale
// and taken over; a live one makes the caller wait, woken by a directory
// watcher, for up to a minute.
import { mkdirSync, openSync, readFileSync, statSync, unlinkSync, writeSync, closeSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { TugError } from '../../core/errors.js';
import { projectPaths } from './home.js';
import { watchDir } from './fs-wait.js';
import { currentIdentity, formatIdentity, isAlive, parseIdentity, type ProcessIdentity } from './proc-identity.js';

export interface ProjectLockOptions {
  /** Called once, when the lock is held by another live process and we start waiting. */
  onWait?: (message: string, holder: ProcessIdentity) => void;
  /** Default 60 s. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** A lock file that is empty this long was abandoned between create and write. */
const EMPTY_LOCK_GRACE_MS = 2_000;
const RETRY_MS = 500;

export async function withProjectLock<T>(
  home: string,
  project: string,
  fn: () => Promise<T>,
  opts: ProjectLockOptions = {},
): Promise<T> {
  const paths = projectPaths(home, project);
  mkdirSync(paths.dir, { recursive: true, mode: 0o700 });
  const release = await acquireFileLock(paths.lock, project, opts);
  try {
    return await fn();
  } finally {
    release();
  }
}

/** Takes the lock at `file`, waiting while a live process holds it; returns the release function. */
export async function acquireFileLock(file: string, project: string, opts: ProjectLockOptions = {}): Promise<() => void> {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const deadline = Date.now() + timeoutMs;
  const mine = formatIdentity(currentIdentity());
  const waiter = watchDir(dirname(file), [basename(file)]);
  let told = false;
  try {
    for (;;) {
      if (tryCreate(file, mine)) return () => releaseIfMine(file, mine);
      const holder = readHolder(file);
      if (holder === 'gone') continue; // released between our create and read
      if (holder === 'stale') {
        breakStaleLock(file);
        continue;
      }
      if (holder !== 'fresh' && !told) {
        told = true;
        opts.onWait?.(`waiting for another tug command on project ${project} (pid ${holder.pid})`, holder);
      }
      if (opts.signal?.aborted) throw lockAborted(project);
      const left = deadline - Date.now();
      if (left <= 0) throw lockTimeout(project, file, holder === 'fresh' ? undefined : holder, timeoutMs);
      await waiter.next(Math.min(RETRY_MS, left), opts.signal);
    }
  } finally {
    waiter.close();
  }
}

function tryCreate(file: string, content: string): boolean {
  let fd: number;
  try {
    fd = openSync(file, 'wx', 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  try {
    writeSync(fd, content);
  } finally {
    closeSync(fd);
  }
  return true;
}

/** 'fresh': just created, not written yet; 'gone': no file; 'stale': its writer is dead. */
function readHolder(file: string): ProcessIdentity | 'fresh' | 'gone' | 'stale' {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    throw err;
  }
  const holder = parseIdentity(text);
  if (!holder) return text.trim() === '' && ageMs(file) < EMPTY_LOCK_GRACE_MS ? 'fresh' : 'stale';
  return isAlive(holder) ? holder : 'stale';
}

function ageMs(file: string): number {
  try {
    return Date.now() - statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

/**
 * Two waiters may both find the same stale lock; unlinking blindly would let the
 * slower one delete the lock the faster one has just taken. A short-lived
 * `<lock>.break` file serializes the takeover, and the content is checked again
 * under it.
 */
function breakStaleLock(file: string): void {
  const breaker = `${file}.break`;
  if (!tryCreate(breaker, formatIdentity(currentIdentity()))) {
    if (readHolder(breaker) === 'stale' || ageMs(breaker) > 10_000) unlinkQuiet(breaker);
    return;
  }
  try {
    if (readHolder(file) === 'stale') unlinkQuiet(file);
  } finally {
    unlinkQuiet(breaker);
  }
}

function releaseIfMine(file: string, mine: string): void {
  try {
    if (readFileSync(file, 'utf8') === mine) unlinkSync(file);
  } catch {
    // Already gone: nothing to release.
  }
}

function unlinkQuiet(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // Someone else removed it first.
  }
}

function lockTimeout(project: string, file: string, holder: ProcessIdentity | undefined, timeoutMs: number): TugError {
  const who = holder ? ` (pid ${holder.pid})` : '';
  return new TugError({
    code: 'native.project-locked',
    message: `another tug command${who} is still working on project "${project}" after ${Math.round(timeoutMs / 1000)} s`,
    hint: `wait for it to finish or stop it; if no such process exists, remove ${file}`,
  });
}

function lockAborted(project: string): TugError {
  return new TugError({ code: 'native.lock-aborted', message: `stopped waiting for the lock on project "${project}"`, exitCode: 130 });
}
