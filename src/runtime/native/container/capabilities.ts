// The machine capability probe behind `tug doctor` and `tug info`: gathers raw
// facts (privileges, user namespaces, OCI runtimes and their versions, cgroup
// layout, overlayfs, bridge/veth/NAT tooling, the init and the shim compiler)
// and hands them to the pure judge in capability-report.ts. The only probe with
// an effect is the bridge/veth one, and it runs inside a throwaway network
// namespace (`unshare -n`) that vanishes with the probe process. The probes
// run at once: `up` in container mode waits for them before anything starts,
// and one after the other they took 60-100 ms here.
import { execFile } from 'node:child_process';
import { release } from 'node:os';
import { parseCgroupMounts } from './cgroups/cgroup-layout.js';
import { assessMachine, type CapabilityReport, type MachineFacts, type ToolFact } from './capability-report.js';
import { findExecutable, firstOutputLineAsync } from './executables.js';
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
function tool(name: string, args: string[], pick: (line: string) => string = (l) => l): Promise<ToolFact | undefined> {
  return toolAt(findExecutable(name), args, pick);
}

/** The executable at `path` (undefined: not found) with its version line. */
async function toolAt(path: string | undefined, args: string[], pick: (line: string) => string = (l) => l): Promise<ToolFact | undefined> {
  if (!path) return undefined;
  const line = await firstOutputLineAsync(path, args);
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
function probeBridgeVeth(ip: string | undefined): Promise<{ ok?: boolean; error?: string }> {
  const unshare = findExecutable('unshare');
  if (!ip || !unshare || process.getuid?.() !== 0) return Promise.resolve({});
  return new Promise((resolve) => {
    const child = execFile(unshare, ['--net', '--', ip, '-batch', '-'], { encoding: 'utf8', timeout: 5_000 }, (err, _stdout, stderr) => {
      if (!err) return resolve({ ok: true });
      resolve({ ok: false, error: (stderr || err.message).trim().split('\n')[0] });
    });
    child.stdin?.on('error', () => undefined);
    child.stdin?.end('link add tugprobe0 type bridge\nlink add tugprobe1 type veth peer name tugprobe2\n');
  });
}

export interface ProbeOptions {
  /** Whether tug's shim is already built (the caller knows where it lives). */
  shimBuilt?: boolean;
}

export async function probeMachine(opts: ProbeOptions = {}): Promise<MachineFacts> {
  const cgroupMounts = parseCgroupMounts(readText('/proc/self/mountinfo'));
  const v2Controllers = cgroupMounts.v2 ? readText(`${cgroupMounts.v2}/cgroup.controllers`).trim().split(/\s+/).filter(Boolean) : [];
  const ipPath = findExecutable('ip');
  const [ip, bridge, runc, crun, iptables, nft, cc] = await Promise.all([
    toolAt(ipPath, ['-V'], ipVersion),
    process.platform === 'linux' ? probeBridgeVeth(ipPath) : Promise.resolve({} as { ok?: boolean; error?: string }),
    toolAt(findRuntimeExecutable('runc'), ['--version'], runtimeVersion),
    toolAt(findRuntimeExecutable('crun'), ['--version'], runtimeVersion),
    tool('iptables', ['--version']),
    tool('nft', ['--version']),
    tool('cc', ['--version']),
  ]);
  const facts: MachineFacts = {
    platform: process.platform,
    kernel: release(),
    uid: process.getuid?.() ?? -1,
    maxUserNamespaces: readNumber('/proc/sys/user/max_user_namespaces'),
    unprivilegedUsernsClone: readNumber('/proc/sys/kernel/unprivileged_userns_clone'),
    apparmorRestrictsUserns: readNumber('/proc/sys/kernel/apparmor_restrict_unprivileged_userns'),
    runc,
    crun,
    cgroup: {
      layout: cgroupMounts.layout,
      v1Controllers: Object.keys(cgroupMounts.v1).sort(),
      v2Controllers,
    },
    overlayfs: /\toverlay$/m.test(readText('/proc/filesystems')),
    ip,
    iptables,
    nft,
    ipForward: readNumber('/proc/sys/net/ipv4/ip_forward'),
    init: findInit(),
    cc,
    shimBuilt: opts.shimBuilt ?? false,
  };
  if (process.env.TUG_OCI_RUNTIME) facts.runtimeOverride = process.env.TUG_OCI_RUNTIME;
  if (bridge.ok !== undefined) facts.bridgeVeth = bridge.ok;
  if (bridge.error) facts.bridgeVethError = bridge.error;
  return facts;
}

export async function probeCapabilities(opts: ProbeOptions = {}): Promise<{ facts: MachineFacts; report: CapabilityReport }> {
  const facts = await probeMachine(opts);
  return { facts, report: assessMachine(facts) };
}
