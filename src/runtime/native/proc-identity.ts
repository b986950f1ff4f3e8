// Process identity for pid and lock files: "<pid> <start time>". A pid alone
// is not enough because the kernel reuses pids; the start time (proc-stat.ts)
// tells a reused pid apart.
import { readFileSync } from 'node:fs';
import { processStartTime, readProcStat } from './proc-stat.js';

export interface ProcessIdentity {
  pid: number;
  /** Absent when /proc was unreadable when the file was written. */
  startTime?: number;
}

export function parentPid(pid: number): number | undefined {
  return readProcStat(pid)?.ppid;
}

export function currentIdentity(): ProcessIdentity {
  return { pid: process.pid, startTime: processStartTime(process.pid) };
}

export function formatIdentity(id: ProcessIdentity): string {
  return id.startTime === undefined ? `${id.pid}` : `${id.pid} ${id.startTime}`;
}

export function parseIdentity(text: string): ProcessIdentity | undefined {
  const [pidText, startText] = text.trim().split(/\s+/);
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  const startTime = startText === undefined ? NaN : Number(startText);
  return Number.isInteger(startTime) && startTime >= 0 ? { pid, startTime } : { pid };
}

/** True when the process the identity was written by is still running (a zombie has stopped running). */
export function isAlive(id: ProcessIdentity): boolean {
  const stat = readProcStat(id.pid);
  if (stat) return stat.state !== 'Z' && stat.state !== 'X' && (id.startTime === undefined || stat.startTime === id.startTime);
  // No /proc entry: either gone, or /proc is unavailable; ask the kernel.
  try {
    process.kill(id.pid, 0);
    return !existsProc();
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function existsProc(): boolean {
  try {
    readFileSync('/proc/self/stat');
    return true;
  } catch {
    return false;
  }
}

/** A process's command line, for messages ("node server.js"); best effort. */
export function processCommandLine(pid: number): string | undefined {
  try {
    const raw = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    const text = raw.split('\0').filter((s) => s !== '').join(' ');
    return text === '' ? undefined : text;
  } catch {
    return undefined;
  }
}
