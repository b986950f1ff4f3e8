// What this machine can give tug's container runtime, judged from raw probe
// facts (capabilities.ts gathers them). Pure: the facts come in as data, so
// every verdict, cost and hint is unit-tested with literals. The report names,
// for each missing piece, what it costs a user and how to get it.

export type CgroupLayout = 'v1' | 'v2' | 'hybrid' | 'none';

/** One executable found on the machine, with the first line of its version output. */
export interface ToolFact {
  path: string;
  version?: string;
}

export interface MachineFacts {
  platform: string;
  kernel: string;
  uid: number;
  /** /proc/sys/user/max_user_namespaces (undefined when unreadable). */
  maxUserNamespaces?: number;
  /** Debian's /proc/sys/kernel/unprivileged_userns_clone, when present. */
  unprivilegedUsernsClone?: number;
  /** Ubuntu's kernel.apparmor_restrict_unprivileged_userns, when present. */
  apparmorRestrictsUserns?: number;
  runc?: ToolFact;
  crun?: ToolFact;
  /** TUG_OCI_RUNTIME, when set: the only runtime looked at. */
  runtimeOverride?: string;
  cgroup: {
    layout: CgroupLayout;
    /** v1 hierarchies mounted (cpu, memory, pids, ...). */
    v1Controllers: string[];
    /** cgroup.controllers of the v2 (or hybrid "unified") hierarchy. */
    v2Controllers: string[];
  };
  /** "overlay" in /proc/filesystems. */
  overlayfs: boolean;
  /** A bridge and a veth pair could be created in a throwaway network namespace (undefined: not tried). */
  bridgeVeth?: boolean;
  bridgeVethError?: string;
  ip?: ToolFact;
  iptables?: ToolFact;
  nft?: ToolFact;
  /** /proc/sys/net/ipv4/ip_forward. */
  ipForward?: number;
  /** tini-static (or docker-init), bind-mounted as the init of `init: true`. */
  init?: ToolFact;
  /** A C compiler for tug's container shim, or an already built shim. */
  cc?: ToolFact;
  shimBuilt?: boolean;
}

export type CapabilityStatus = 'ok' | 'missing' | 'warning' | 'info';

export interface Capability {
  id: string;
  title: string;
  status: CapabilityStatus;
  /** What was found (or not). */
  detail: string;
  /** What a missing or weak piece costs the user. */
  cost?: string;
  /** How to get it. */
  fix?: string;
}

export interface CapabilityReport {
  capabilities: Capability[];
  /** Whether `--isolation container` can work here. */
  containers: { available: boolean; runtime?: 'runc' | 'crun'; missing: string[] };
}

const CONTAINER_MODE_LOST = 'services cannot run as containers: `--isolation container` fails, and `auto` runs every service as a host process';

/** crun 1.8.1 (and HEAD) refuse a hybrid layout whose v2 hierarchy has controllers (RUNTIME-FACTS §3.1). */
export function crunWorks(facts: MachineFacts): boolean {
  if (!facts.crun) return false;
  return !(facts.cgroup.layout === 'hybrid' && facts.cgroup.v2Controllers.length > 0);
}

export function assessMachine(facts: MachineFacts): CapabilityReport {
  if (facts.platform !== 'linux') {
    const capability: Capability = {
      id: 'platform',
      title: 'operating system',
      status: 'missing',
      detail: `${facts.platform}: containers need Linux namespaces and cgroups`,
      cost: 'every service runs as a host process (process mode); use the docker backend for containers',
    };
    return { capabilities: [capability], containers: { available: false, missing: ['a Linux kernel'] } };
  }
  const caps = [
    privileges(facts),
    userNamespaces(facts),
    ...runtimes(facts),
    cgroups(facts),
    overlay(facts),
    ...networking(facts),
    init(facts),
    shim(facts),
  ];
  const missing: string[] = [];
  if (facts.uid !== 0) missing.push('root privileges');
  const runtime = facts.runc ? 'runc' : crunWorks(facts) ? 'crun' : undefined;
  if (!runtime) missing.push('an OCI runtime (runc)');
  const containers: CapabilityReport['containers'] = { available: missing.length === 0, missing };
  if (runtime) containers.runtime = runtime;
  return { capabilities: caps, containers };
}

function privileges(f: MachineFacts): Capability {
  if (f.uid === 0) return { id: 'root', title: 'privileges', status: 'ok', detail: 'root (uid 0)' };
  return {
    id: 'root',
    title: 'privileges',
    status: 'missing',
    detail: `not root (uid ${f.uid})`,
    cost: `${CONTAINER_MODE_LOST}; tug's containers need root for namespaces, bridges and cgroups (rootless containers are not supported yet)`,
    fix: 'run tug as root (e.g. sudo), or keep process mode',
  };
}

function userNamespaces(f: MachineFacts): Capability {
  const base = { id: 'userns', title: 'user namespaces' };
  if (f.maxUserNamespaces === 0 || f.unprivilegedUsernsClone === 0) {
    return { ...base, status: 'info', detail: 'disabled for unprivileged users', cost: 'no rootless containers (tug does not use them yet)', fix: 'sysctl -w user.max_user_namespaces=15000 kernel.unprivileged_userns_clone=1' };
  }
  if (f.apparmorRestrictsUserns === 1) {
    return { ...base, status: 'info', detail: 'restricted by AppArmor (kernel.apparmor_restrict_unprivileged_userns=1)', cost: 'no rootless containers (tug does not use them yet)' };
  }
  const limit = f.maxUserNamespaces === undefined ? '' : ` (max ${f.maxUserNamespaces})`;
  return { ...base, status: 'ok', detail: `available${limit}` };
}

function runtimes(f: MachineFacts): Capability[] {
  const out: Capability[] = [];
  if (f.runc) out.push({ id: 'runc', title: 'OCI runtime', status: 'ok', detail: toolText('runc', f.runc) });
  if (f.crun) {
    out.push(crunWorks(f)
      ? { id: 'crun', title: 'OCI runtime', status: f.runc ? 'info' : 'ok', detail: `${toolText('crun', f.crun)}${f.runc ? ' (runc preferred)' : ''}` }
      : {
          id: 'crun',
          title: 'OCI runtime',
          status: 'warning',
          detail: `${toolText('crun', f.crun)}: unusable here, it refuses the hybrid cgroup layout whose v2 hierarchy has controllers (${f.cgroup.v2Controllers.join(', ')})`,
          fix: f.runc ? undefined : 'apt-get install runc',
        });
  }
  if (!f.runc && !crunWorks(f)) {
    const detail = f.runtimeOverride ? `TUG_OCI_RUNTIME=${f.runtimeOverride} is not an executable runc or crun` : 'no runc on PATH, /usr/sbin or /usr/bin';
    out.push({ id: 'runc', title: 'OCI runtime', status: 'missing', detail, cost: CONTAINER_MODE_LOST, fix: f.runtimeOverride ? 'apt-get install runc, or unset TUG_OCI_RUNTIME' : 'apt-get install runc' });
  }
  return out;
}

function cgroups(f: MachineFacts): Capability {
  const base = { id: 'cgroups', title: 'cgroups' };
  const { layout, v1Controllers, v2Controllers } = f.cgroup;
  if (layout === 'none') {
    return { ...base, status: 'missing', detail: 'no cgroup hierarchy mounted under /sys/fs/cgroup', cost: 'no resource limits (mem_limit, cpus, pids_limit), no OOM reports and no `tug stats`', fix: 'mount cgroup2 on /sys/fs/cgroup (mount -t cgroup2 none /sys/fs/cgroup)' };
  }
  const wanted = ['memory', 'cpu', 'pids'];
  const have = layout === 'v2' ? v2Controllers : v1Controllers;
  const lacking = wanted.filter((c) => !have.includes(c));
  const detail =
    layout === 'v2'
      ? `v2 (unified), controllers: ${v2Controllers.join(' ') || 'none'}`
      : layout === 'hybrid'
        ? `hybrid: v1 ${v1Controllers.join(' ')}; v2 at /sys/fs/cgroup/unified with ${v2Controllers.join(' ') || 'no controllers'}`
        : `v1: ${v1Controllers.join(' ')}`;
  if (lacking.length === 0) return { ...base, status: 'ok', detail };
  return { ...base, status: 'warning', detail: `${detail}; lacking ${lacking.join(', ')}`, cost: `limits on ${lacking.join(', ')} are not enforced` };
}

function overlay(f: MachineFacts): Capability {
  if (f.overlayfs) return { id: 'overlayfs', title: 'overlayfs', status: 'ok', detail: 'supported by the kernel' };
  return {
    id: 'overlayfs',
    title: 'overlayfs',
    status: 'missing',
    detail: 'not in /proc/filesystems',
    cost: 'no image root filesystems, and a volume cannot be mounted under a host directory where its target path does not exist',
    fix: 'modprobe overlay',
  };
}

function networking(f: MachineFacts): Capability[] {
  const out: Capability[] = [];
  const noIps = 'no address per replica: containers can only use network_mode: host or none';
  out.push(f.ip
    ? { id: 'iproute2', title: 'ip (iproute2)', status: 'ok', detail: toolText('ip', f.ip) }
    : { id: 'iproute2', title: 'ip (iproute2)', status: 'missing', detail: 'no ip command', cost: noIps, fix: 'apt-get install iproute2' });
  if (f.bridgeVeth === true) out.push({ id: 'bridge-veth', title: 'bridge and veth', status: 'ok', detail: 'created and removed in a throwaway network namespace' });
  else if (f.bridgeVeth === false) {
    out.push({ id: 'bridge-veth', title: 'bridge and veth', status: 'missing', detail: `cannot create them: ${f.bridgeVethError ?? 'unknown error'}`, cost: noIps, fix: 'modprobe bridge veth' });
  } else out.push({ id: 'bridge-veth', title: 'bridge and veth', status: 'info', detail: 'not tried (needs root and ip)' });
  const firewall = f.iptables ?? f.nft;
  if (f.iptables) out.push({ id: 'nat', title: 'NAT and forwarding', status: 'ok', detail: toolText('iptables', f.iptables) });
  else if (f.nft) out.push({ id: 'nat', title: 'NAT and forwarding', status: 'warning', detail: `${toolText('nft', f.nft)}, but tug writes iptables rules`, cost: 'no outbound access from replicas, and Docker\'s FORWARD DROP policy may block traffic between them', fix: 'apt-get install iptables' });
  else out.push({ id: 'nat', title: 'NAT and forwarding', status: 'missing', detail: 'neither iptables nor nft', cost: 'no outbound access from replicas, and a FORWARD DROP policy (Docker sets one) blocks traffic between them', fix: 'apt-get install iptables' });
  if (firewall && f.ipForward === 0) {
    out.push({ id: 'ip-forward', title: 'IPv4 forwarding', status: 'info', detail: 'off (net.ipv4.ip_forward=0); tug turns it on when it creates a network with outbound access, as Docker does' });
  }
  return out;
}

function init(f: MachineFacts): Capability {
  if (f.init) return { id: 'init', title: 'init for `init: true`', status: 'ok', detail: f.init.path };
  return { id: 'init', title: 'init for `init: true`', status: 'missing', detail: 'no tini-static or docker-init', cost: '`init: true` is refused for containers (nothing would reap zombies or forward signals)', fix: 'apt-get install tini' };
}

function shim(f: MachineFacts): Capability {
  const base = { id: 'shim', title: 'container shim' };
  if (f.shimBuilt) return { ...base, status: 'ok', detail: 'built (under TUG_HOME)' };
  if (f.cc) return { ...base, status: 'ok', detail: `buildable with ${toolText('cc', f.cc)} on first use` };
  return {
    ...base,
    status: 'warning',
    detail: 'no C compiler to build it',
    cost: 'each container is supervised by a foreground `runc run` (about 10 MB of memory each) instead of tug\'s shim (under 1 MB)',
    fix: 'apt-get install gcc libc6-dev',
  };
}

function toolText(name: string, tool: ToolFact): string {
  return tool.version ? `${tool.version} (${tool.path})` : `${name} (${tool.path})`;
}
