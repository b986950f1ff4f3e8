// Signal names and numbers, Linux's (x86-64 and arm64 share them; tug's
// runtimes are Linux), and the forms a user writes them in: "TERM",
// "SIGTERM", "sigterm" or "15", as `stop_signal:`, `kill -s` and STOPSIGNAL
// accept them. Pure: the table is data, not the host's os.constants, so the
// planner and the CLI agree with every runtime on what a name means.

const TABLE = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGILL: 4,
  SIGTRAP: 5,
  SIGABRT: 6,
  SIGBUS: 7,
  SIGFPE: 8,
  SIGKILL: 9,
  SIGUSR1: 10,
  SIGSEGV: 11,
  SIGUSR2: 12,
  SIGPIPE: 13,
  SIGALRM: 14,
  SIGTERM: 15,
  SIGSTKFLT: 16,
  SIGCHLD: 17,
  SIGCONT: 18,
  SIGSTOP: 19,
  SIGTSTP: 20,
  SIGTTIN: 21,
  SIGTTOU: 22,
  SIGURG: 23,
  SIGXCPU: 24,
  SIGXFSZ: 25,
  SIGVTALRM: 26,
  SIGPROF: 27,
  SIGWINCH: 28,
  SIGIO: 29,
  SIGPWR: 30,
  SIGSYS: 31,
} as const;

export type SignalName = keyof typeof TABLE;

/** Other names of the same numbers (glibc's), mapped to the name the kernel headers list first. */
const ALIASES: Readonly<Record<string, SignalName>> = { SIGIOT: 'SIGABRT', SIGCLD: 'SIGCHLD', SIGPOLL: 'SIGIO' };

const BY_NUMBER = new Map<number, SignalName>(Object.entries(TABLE).map(([name, n]) => [n, name as SignalName]));

export const DEFAULT_STOP_SIGNAL: SignalName = 'SIGTERM';

/** "TERM", "SIGTERM", "sigterm", " 15 " or 15 → "SIGTERM"; undefined when it names no signal. */
export function parseSignal(input: string | number | null | undefined): SignalName | undefined {
  if (input === undefined || input === null) return undefined;
  const text = String(input).trim().toUpperCase();
  if (text === '') return undefined;
  if (/^\d+$/.test(text)) return BY_NUMBER.get(Number(text));
  const name = text.startsWith('SIG') ? text : `SIG${text}`;
  if (Object.hasOwn(TABLE, name)) return name as SignalName;
  return Object.hasOwn(ALIASES, name) ? ALIASES[name] : undefined;
}

export function signalNumber(name: SignalName): number {
  return TABLE[name];
}

/** A signal's number from any accepted form; undefined when unknown. */
export function signalNumberOf(input: string | number | null | undefined): number | undefined {
  const name = parseSignal(input);
  return name === undefined ? undefined : TABLE[name];
}

/** `stop_signal:` (or an image's STOPSIGNAL) as a name; SIGTERM when absent. Unknown names give undefined: the caller says how that is wrong. */
export function stopSignalOf(written: string | undefined): SignalName | undefined {
  return written === undefined || written.trim() === '' ? DEFAULT_STOP_SIGNAL : parseSignal(written);
}

/** Exit status the way a shell (and Docker) reports it: the code, or 128 + the signal's number when killed; 255 when neither is known. */
export function exitStatus(code: number | null, signal: string | null): number {
  if (code !== null) return code;
  const n = signal === null ? undefined : signalNumberOf(signal);
  return n === undefined ? 255 : 128 + n;
}
