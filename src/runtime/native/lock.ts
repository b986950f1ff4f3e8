// One CLI command at a time changes a project: `withProjectLock` holds
// projects/<p>/cli.lock, a symbolic link whose target is "<pid> <start time>".
// Creating a link is atomic and exclusive like O_CREAT|O_EXCL, but the holder
// is written in the same step, so there is no empty-file window, and a short
// link needs no data block: `down` still gets the lock on a full disk. The
// link is only ever read (readlink), never followed. A lock whose holder is
// gone (killed, crashed) is stale and taken over; a live one makes the caller
// wait, woken by a directory watcher, for up to a minute.
import { lstatSync, readlinkSync, symlinkSync, unlinkSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { TugError } from '../../core/errors.js';
import { ensureProjectDir } from './home-trust.js';
import { watchDir } from './fs-wait.js';
import { currentIdentity, formatIdentity, isAlive, parseIdentity, type ProcessIdentity } from './proc-identity.js';
import { readText } from './safe-fs.js';

export interface ProjectLockOptions {
  /** Called once, when the lock is held by another live process and we start waiting. */
  onWait?: (message: string, holder: ProcessIdentity) => void;
  /** Default 60 s. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** A lock written by an older tug as a plain file, empty this long, was abandoned between create and write. */
const EMPTY_LOCK_GRACE_MS = 2_000;
const RETRY_MS = 500;

export async function withProjectLock<T>(
  home: string,
  project: string,
  fn: () => Promise<T>,
  opts: ProjectLockOptions = {},
): Promise<T> {
  const paths = ensureProjectDir(home, project);
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
  try {
    symlinkSync(content, file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

/** The holder a lock names, or undefined when there is no lock. */
function lockContent(file: string): string | undefined {
  try {
    return readlinkSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code !== 'EINVAL') throw err;
  }
  return readText(file); // a plain file: the format of older versions
}

/** 'fresh': just created, not written yet; 'gone': no file; 'stale': its writer is dead. */
function readHolder(file: string): ProcessIdentity | 'fresh' | 'gone' | 'stale' {
  const text = lockContent(file);
  if (text === undefined) return 'gone';
  const holder = parseIdentity(text);
  if (!holder) return text.trim() === '' && ageMs(file) < EMPTY_LOCK_GRACE_MS ? 'fresh' : 'stale';
  return isAlive(holder) ? holder : 'stale';
}

function ageMs(file: string): number {
  try {
    return Date.now() - lstatSync(file).mtimeMs;
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
    if (lockContent(file) === mine) unlinkSync(file);
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
