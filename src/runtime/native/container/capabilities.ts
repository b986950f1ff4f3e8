// The machine capability probe behind `tug doctor` and `tug info`: gathers raw
// facts (privileges, user namespaces, OCI runtimes and their versions, cgroup
// layout, overlayfs, bridge/veth/NAT tooling, the init and the shim compiler)
// and hands them to the pure judge in capability-report.ts. The only probe with
// an effect is the bridge/veth one, and it runs inside a throwaway network
// namespace (`unshare -n`) that vanishes with the probe process.
import { spawnSync } from 'node:child_process';
import { release } from 'node:os';
import { parseCgroupMounts } from './cgroups/cgroup-layout.js';
import { assessMachine, type CapabilityReport, type MachineFacts, type ToolFact } from './capability-report.js';
import { findExecutable, firstOutputLine } from './executables.js';
import { findInit } from './init-binary.js';
import { findRuntimeExecutable } from './oci-runtime.js';
import { readTextFile } from './read-file.js';

function readNumber(path: string): number | undefined {
  const text = readTextFile(path);
  const n = text === undefined ? NaN : Number(text.trim());
  return Number.isFinite(n) ? n : undefined;
}

const readText = (path: string): string => readTextFile(path) ?? '';

/** `name` with a version taken from `args` output, shortened by `pick`. */
function tool(name: string, args: string[], pick: (line: string) => string = (l) => l): ToolFact | undefined {
  return toolAt(findExecutable(name), args, pick);
}

/** The executable at `path` (undefined: not found) with its version line. */
function toolAt(path: string | undefined, args: string[], pick: (line: string) => string = (l) => l): ToolFact | undefined {
  if (!path) return undefined;
  const line = firstOutputLine(path, args);
  return line ? { path, version: pick(line) } : { path };
}

export function runtimeVersion(line: string): string {
  // "runc version 1.1.5+ds1" → "runc 1.1.5+ds1"
  return line.replace(/^(\S+) version /, '$1 ');
}

function ipVersion(line: string): string {
  // "ip utility, iproute2-6.1.0, libbpf 1.1.2" → "iproute2 6.1.0"
  const m = /iproute2-?(\S+?)(?:,|$)/.exec(line);
  return m ? `iproute2 ${m[1]}` : line;
}

/** Creates a bridge and a veth pair in a new, unnamed network namespace that dies with the probe. */
function probeBridgeVeth(ip: string | undefined): { ok?: boolean; error?: string } {
  const unshare = findExecutable('unshare');
  if (!ip || !unshare || process.getuid?.() !== 0) return {};
  const r = spawnSync(unshare, ['--net', '--', ip, '-batch', '-'], {
    input: 'link add tugprobe0 type bridge\nlink add tugprobe1 type veth peer name tugprobe2\n',
    encoding: 'utf8',
    timeout: 5_000,
  });
  if (r.status === 0) return { ok: true };
  return { ok: false, error: (r.stderr || r.error?.message || `exit ${r.status}`).trim().split('\n')[0] };
}

export interface ProbeOptions {
  /** Whether tug's shim is already built (the caller knows where it lives). */
  shimBuilt?: boolean;
}

export function probeMachine(opts: ProbeOptions = {}): MachineFacts {
  const cgroupMounts = parseCgroupMounts(readText('/proc/self/mountinfo'));
  const v2Controllers = cgroupMounts.v2 ? readText(`${cgroupMounts.v2}/cgroup.controllers`).trim().split(/\s+/).filter(Boolean) : [];
  const ip = tool('ip', ['-V'], ipVersion);
  const bridge = process.platform === 'linux' ? probeBridgeVeth(ip?.path) : {};
  const facts: MachineFacts = {
    platform: process.platform,
    kernel: release(),
    uid: process.getuid?.() ?? -1,
    maxUserNamespaces: readNumber('/proc/sys/user/max_user_namespaces'),
    unprivilegedUsernsClone: readNumber('/proc/sys/kernel/unprivileged_userns_clone'),
    apparmorRestrictsUserns: readNumber('/proc/sys/kernel/apparmor_restrict_unprivileged_userns'),
    runc: toolAt(findRuntimeExecutable('runc'), ['--version'], runtimeVersion),
    crun: toolAt(findRuntimeExecutable('crun'), ['--version'], runtimeVersion),
    cgroup: {
      layout: cgroupMounts.layout,
      v1Controllers: Object.keys(cgroupMounts.v1).sort(),
      v2Controllers,
    },
    overlayfs: /\toverlay$/m.test(readText('/proc/filesystems')),
    ip,
    iptables: tool('iptables', ['--version']),
    nft: tool('nft', ['--version']),
    ipForward: readNumber('/proc/sys/net/ipv4/ip_forward'),
    init: findInit(),
    cc: tool('cc', ['--version']),
    shimBuilt: opts.shimBuilt ?? false,
  };
  if (process.env.TUG_OCI_RUNTIME) facts.runtimeOverride = process.env.TUG_OCI_RUNTIME;
  if (bridge.ok !== undefined) facts.bridgeVeth = bridge.ok;
  if (bridge.error) facts.bridgeVethError = bridge.error;
  return facts;
}

export function probeCapabilities(opts: ProbeOptions = {}): { facts: MachineFacts; report: CapabilityReport } {
  const facts = probeMachine(opts);
  return { facts, report: assessMachine(facts) };
}
