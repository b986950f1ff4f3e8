// The one reader of /proc/<pid>/stat. The start time (field 22, clock ticks
// after boot) is constant for the life of a process, across execve, which is
// how every record of a pid (pid and lock files, state records, exec groups)
// tells its process apart from a later one that got the same pid.
import { readFileSync } from 'node:fs';

export interface ProcStat {
  pid: number;
  /** R, S, D, Z (zombie), X (dead), ... */
  state: string;
  ppid: number;
  pgrp: number;
  /** Field 22: clock ticks after boot. */
  startTime: number;
}

/** The fields of a stat line; undefined when it is not one. */
export function parseProcStat(pid: number, text: string): ProcStat | undefined {
  // Field 2 (comm) may hold spaces and parentheses; what follows the last ')' is fixed.
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  const fields = text.slice(close + 2).split(' ');
  // fields[0] is field 3, so field N is fields[N - 3].
  const stat = { pid, state: fields[0] ?? '?', ppid: Number(fields[1]), pgrp: Number(fields[2]), startTime: Number(fields[19]) };
  return Number.isInteger(stat.ppid) && Number.isInteger(stat.pgrp) && Number.isInteger(stat.startTime) ? stat : undefined;
}

/** Undefined when the process does not exist (or /proc is not readable). */
export function readProcStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  return parseProcStat(pid, text);
}

/** A live process's start time, or undefined when it does not exist. */
export function processStartTime(pid: number): number | undefined {
  return readProcStat(pid)?.startTime;
}
