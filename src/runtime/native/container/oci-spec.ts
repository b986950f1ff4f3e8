// The subset of the OCI runtime specification (config.json, runtime-spec
// v1.0.2, as runc 1.1 reads it) that tug writes. Our own declarations: no
// dependency on a generated schema, and only the fields tug fills.

export interface OciMount {
  destination: string;
  type: string;
  source: string;
  options?: string[];
}

export interface OciRlimit {
  type: string;
  /** -1 = unlimited (RLIM_INFINITY, 2^64 - 1, which a JS number cannot hold exactly). */
  soft: number;
  hard: number;
}

export interface OciCapabilities {
  bounding: string[];
  effective: string[];
  permitted: string[];
  inheritable: string[];
  ambient: string[];
}

export interface OciProcess {
  terminal: boolean;
  user: { uid: number; gid: number; additionalGids?: number[]; umask?: number };
  args: string[];
  env: string[];
  cwd: string;
  capabilities: OciCapabilities;
  rlimits?: OciRlimit[];
  noNewPrivileges: boolean;
  oomScoreAdj?: number;
}

export type OciNamespaceType = 'pid' | 'network' | 'mount' | 'ipc' | 'uts' | 'user' | 'cgroup';

export interface OciNamespace {
  type: OciNamespaceType;
  path?: string;
}

export interface OciDeviceRule {
  allow: boolean;
  type?: 'a' | 'c' | 'b';
  major?: number;
  minor?: number;
  access?: string;
}

export interface OciResources {
  devices: OciDeviceRule[];
  memory?: { limit?: number; reservation?: number; swap?: number; swappiness?: number; disableOOMKiller?: boolean };
  cpu?: { shares?: number; quota?: number; period?: number; cpus?: string; mems?: string };
  pids?: { limit: number };
}

export interface OciLinux {
  namespaces: OciNamespace[];
  cgroupsPath?: string;
  resources: OciResources;
  sysctl?: Record<string, string>;
  maskedPaths: string[];
  readonlyPaths: string[];
}

export interface OciConfig {
  ociVersion: string;
  process: OciProcess;
  root: { path: string; readonly: boolean };
  hostname: string;
  domainname?: string;
  mounts: OciMount[];
  linux: OciLinux;
  annotations?: Record<string, string>;
}

const RLIM_INFINITY = '18446744073709551615';

/** config.json text: unlimited rlimits (-1) become RLIM_INFINITY, written as exact digits. */
export function serializeOciConfig(config: OciConfig): string {
  const text = JSON.stringify(config, null, 1);
  if (!config.process.rlimits?.some((r) => r.soft === -1 || r.hard === -1)) return text;
  return text.replace(/("(?:soft|hard)": )-1\b/g, `$1${RLIM_INFINITY}`);
}
