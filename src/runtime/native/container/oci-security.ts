// Docker's security defaults, as OCI config pieces: the capability set and its
// cap_add/cap_drop/privileged arithmetic, masked and read-only /proc and /sys
// paths, the device allow-list, namespaced sysctls (others refused), ulimits
// and security_opt. Pure; every problem a user can fix is a TugError pointing
// at the service's field, collected so all of them are reported at once.
import { TugError } from '../../../core/errors.js';
import type { OciCapabilities, OciDeviceRule, OciRlimit } from './oci-spec.js';

/** Every capability Linux 6.x defines, in kernel order. */
export const ALL_CAPABILITIES = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE', 'CAP_NET_BROADCAST', 'CAP_NET_ADMIN',
  'CAP_NET_RAW', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER', 'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE',
  'CAP_SYS_PACCT', 'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE', 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL', 'CAP_SETFCAP',
  'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG', 'CAP_WAKE_ALARM', 'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ',
  'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
] as const;

/** Docker's default set (moby caps/defaults.go). */
export const DEFAULT_CAPABILITIES = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID', 'CAP_SETUID',
  'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
];

export const MASKED_PATHS = [
  '/proc/acpi', '/proc/asound', '/proc/interrupts', '/proc/kcore', '/proc/keys', '/proc/latency_stats',
  '/proc/sched_debug', '/proc/scsi', '/proc/timer_list', '/proc/timer_stats', '/sys/devices/virtual/powercap', '/sys/firmware',
];

export const READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

const char = (major: number | undefined, minor: number | undefined, access = 'rwm'): OciDeviceRule => {
  const rule: OciDeviceRule = { allow: true, type: 'c', access };
  if (major !== undefined) rule.major = major;
  if (minor !== undefined) rule.minor = minor;
  return rule;
};

/** Deny everything, then what every container needs (runc's and Docker's allow-list). */
export const DEFAULT_DEVICE_RULES: OciDeviceRule[] = [
  { allow: false, access: 'rwm' },
  char(undefined, undefined, 'm'),
  { allow: true, type: 'b', access: 'm' },
  char(1, 3), // null
  char(1, 5), // zero
  char(1, 7), // full
  char(1, 8), // random
  char(1, 9), // urandom
  char(5, 0), // tty
  char(5, 1), // console
  char(5, 2), // ptmx
  char(136, undefined), // pts/*
  char(10, 200), // net/tun
];

export const PRIVILEGED_DEVICE_RULES: OciDeviceRule[] = [{ allow: true, access: 'rwm' }];

type ErrorSink = TugError[];

function fieldError(service: string, field: string, key: string | number | undefined, message: string, hint?: string): TugError {
  const path = ['services', service, field, ...(key === undefined ? [] : [key])];
  return new TugError({ code: 'container.config', message: `service ${service}: ${message}`, path, hint });
}

function capName(raw: string): string {
  const upper = raw.trim().toUpperCase();
  return upper === 'ALL' ? 'ALL' : upper.startsWith('CAP_') ? upper : `CAP_${upper}`;
}

function capList(service: string, field: 'cap_add' | 'cap_drop', value: unknown, sink: ErrorSink): string[] {
  if (value === undefined || value === null) return [];
  const list = Array.isArray(value) ? value.map(String) : [String(value)];
  const out: string[] = [];
  list.forEach((raw, i) => {
    const name = capName(raw);
    if (name !== 'ALL' && !(ALL_CAPABILITIES as readonly string[]).includes(name)) {
      sink.push(fieldError(service, field, i, `unknown capability ${JSON.stringify(raw)}`, 'names as in capabilities(7), e.g. NET_ADMIN or CAP_NET_ADMIN'));
    } else out.push(name);
  });
  return out;
}

/**
 * Docker's arithmetic: privileged = all; ALL in cap_add = all minus the drops;
 * ALL in cap_drop = only the adds; otherwise (defaults minus drops) plus adds.
 */
export function capabilitySet(service: string, svc: Record<string, unknown>, sink: ErrorSink): OciCapabilities {
  const add = capList(service, 'cap_add', svc.cap_add, sink);
  const drop = capList(service, 'cap_drop', svc.cap_drop, sink);
  let set: Set<string>;
  if (svc.privileged === true) set = new Set(ALL_CAPABILITIES);
  else if (add.includes('ALL')) set = new Set(ALL_CAPABILITIES.filter((c) => !drop.includes(c)));
  else if (drop.includes('ALL')) set = new Set(add);
  else set = new Set([...DEFAULT_CAPABILITIES.filter((c) => !drop.includes(c)), ...add]);
  const ordered = ALL_CAPABILITIES.filter((c) => set.has(c));
  return { bounding: [...ordered], effective: [...ordered], permitted: [...ordered], inheritable: [], ambient: [] };
}

const IPC_SYSCTLS = new Set(['kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.sem', 'kernel.shmall', 'kernel.shmmax', 'kernel.shmmni', 'kernel.shm_rmid_forced']);

export interface NamespaceSharing {
  hostNetwork: boolean;
  hostIpc: boolean;
  hostUts: boolean;
}

/** Only sysctls of a namespace the container owns; the rest would change the host. */
export function namespacedSysctls(service: string, value: unknown, sharing: NamespaceSharing, sink: ErrorSink): Record<string, string> | undefined {
  if (value === undefined || value === null || typeof value !== 'object') return undefined;
  const out: Record<string, string> = {};
  for (const [key, raw] of Object.entries(value as Record<string, unknown>)) {
    const ipc = IPC_SYSCTLS.has(key) || key.startsWith('fs.mqueue.');
    const net = key.startsWith('net.');
    const uts = key === 'kernel.domainname';
    if (!ipc && !net && !uts) {
      const hint = key === 'kernel.hostname' ? 'set `hostname:` instead' : 'only namespaced sysctls can be set per container: net.*, fs.mqueue.*, kernel.msg*/sem/shm*, kernel.domainname';
      sink.push(fieldError(service, 'sysctls', key, `sysctl ${key} is not namespaced: setting it would change the whole host`, hint));
      continue;
    }
    const shared = net ? sharing.hostNetwork && 'network_mode: host' : ipc ? sharing.hostIpc && 'ipc: host' : sharing.hostUts && 'uts: host';
    if (shared) {
      sink.push(fieldError(service, 'sysctls', key, `sysctl ${key} cannot be set with ${shared}: the namespace is the host's`));
      continue;
    }
    out[key] = String(raw);
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

const RLIMITS = ['as', 'core', 'cpu', 'data', 'fsize', 'locks', 'memlock', 'msgqueue', 'nice', 'nofile', 'nproc', 'rss', 'rtprio', 'rttime', 'sigpending', 'stack'];

export function rlimits(service: string, value: unknown, sink: ErrorSink): OciRlimit[] | undefined {
  if (value === undefined || value === null || typeof value !== 'object') return undefined;
  const out: OciRlimit[] = [];
  for (const [name, raw] of Object.entries(value as Record<string, unknown>)) {
    if (!RLIMITS.includes(name)) {
      sink.push(fieldError(service, 'ulimits', name, `unknown ulimit ${JSON.stringify(name)}`, `one of ${RLIMITS.join(', ')}`));
      continue;
    }
    const limits = typeof raw === 'object' && raw !== null ? (raw as { soft?: unknown; hard?: unknown }) : { soft: raw, hard: raw };
    const soft = Number(limits.soft);
    const hard = Number(limits.hard);
    if (!Number.isInteger(soft) || !Number.isInteger(hard) || soft < -1 || hard < -1) {
      sink.push(fieldError(service, 'ulimits', name, `ulimit ${name} needs whole numbers for soft and hard`));
      continue;
    }
    if (hard !== -1 && (soft === -1 || soft > hard)) {
      sink.push(fieldError(service, 'ulimits', name, `ulimit ${name}: soft limit ${soft} is above the hard limit ${hard}`));
      continue;
    }
    // -1 is "unlimited" in Compose files; serializeOciConfig writes it as RLIM_INFINITY.
    out.push({ type: `RLIMIT_${name.toUpperCase()}`, soft, hard });
  }
  return out.length > 0 ? out : undefined;
}

export interface SecurityOptions {
  noNewPrivileges: boolean;
  notes: string[];
}

/** `security_opt`: no-new-privileges is applied; other confinement options are reported as not applied. */
export function securityOptions(service: string, value: unknown, sink: ErrorSink): SecurityOptions {
  const out: SecurityOptions = { noNewPrivileges: false, notes: [] };
  if (!Array.isArray(value)) return out;
  value.forEach((raw, i) => {
    const text = String(raw);
    const [key = '', setting] = text.split(/[:=]/, 2);
    if (key === 'no-new-privileges') {
      if (setting === undefined || setting === 'true') out.noNewPrivileges = true;
      else if (setting === 'false') out.noNewPrivileges = false;
      else sink.push(fieldError(service, 'security_opt', i, `invalid ${JSON.stringify(text)}`, 'no-new-privileges, no-new-privileges:true or no-new-privileges:false'));
    } else if (key === 'seccomp' || key === 'apparmor' || key === 'label') {
      out.notes.push(`${service}: security_opt ${text} is not applied by tug's container runtime`);
    } else {
      sink.push(fieldError(service, 'security_opt', i, `unknown security option ${JSON.stringify(text)}`, 'no-new-privileges, seccomp=…, apparmor=… or label=…'));
    }
  });
  return out;
}
