// The OCI config.json of a RUN step's container: Docker's defaults for a
// build container (its capability set, masked paths, device allow-list), no
// network but loopback (or the host's network namespace: build.network host),
// the step's argv, environment, user and working directory, and the few files
// a build places (heredoc scripts, /etc/hosts, resolv.conf) bound read-only. Pure: the caller resolves the user and
// writes the files.
import { DEFAULT_PATH } from '../../../core/images/container-config.js';
import { standardMounts } from '../../native/container/oci-mounts.js';
import { OCI_VERSION } from '../../native/container/oci-config.js';
import { DEFAULT_CAPABILITIES, DEFAULT_DEVICE_RULES, MASKED_PATHS, READONLY_PATHS, ALL_CAPABILITIES } from '../../native/container/oci-security.js';
import type { OciConfig, OciMount } from '../../native/container/oci-spec.js';

export interface RunContainerInputs {
  root: string;
  argv: string[];
  env: readonly string[];
  user: { uid: number; gid: number; additionalGids: number[]; home: string };
  workdir: string;
  shmSize?: number;
  /** Host file → path in the container, bound read-only. */
  files: readonly { source: string; target: string }[];
  cgroupsPath: string;
  /** host: no network namespace of its own (build.network: host). */
  network?: 'none' | 'host';
}

/** The RUN step's environment: PATH and HOME filled in when the image sets none, as Docker's builder does. */
export function runEnvironment(env: readonly string[], home: string): string[] {
  const has = (key: string) => env.some((kv) => kv.startsWith(`${key}=`));
  return [...(has('PATH') ? [] : [`PATH=${DEFAULT_PATH}`]), ...env, ...(has('HOME') ? [] : [`HOME=${home}`])];
}

export function runContainerConfig(input: RunContainerInputs): OciConfig {
  const caps = ALL_CAPABILITIES.filter((c) => DEFAULT_CAPABILITIES.includes(c));
  const binds: OciMount[] = input.files.map((f) => ({ destination: f.target, type: 'bind', source: f.source, options: ['bind', 'ro', 'nosuid', 'nodev'] }));
  return {
    ociVersion: OCI_VERSION,
    process: {
      terminal: false,
      // The primary group is a supplementary one too, as Docker's runtime sets it (`id` shows groups=1000).
      user: { uid: input.user.uid, gid: input.user.gid, additionalGids: [...new Set([input.user.gid, ...input.user.additionalGids])] },
      args: [...input.argv],
      env: runEnvironment(input.env, input.user.home),
      cwd: input.workdir,
      capabilities: { bounding: [...caps], effective: [...caps], permitted: [...caps], inheritable: [], ambient: [] },
      noNewPrivileges: false,
    },
    root: { path: input.root, readonly: false },
    hostname: 'tug-build',
    mounts: [...standardMounts({ shmSize: input.shmSize, privileged: false, hostIpc: false }), ...binds],
    linux: {
      namespaces: [{ type: 'pid' }, ...(input.network === 'host' ? [] : [{ type: 'network' as const }]), { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, { type: 'cgroup' }],
      cgroupsPath: input.cgroupsPath,
      resources: { devices: DEFAULT_DEVICE_RULES },
      maskedPaths: [...MASKED_PATHS],
      readonlyPaths: [...READONLY_PATHS],
    },
  };
}

/**
 * /etc/hosts of a build container: loopback names (or, on the host's network,
 * the host's own hosts file, as Docker gives a host-network container), then
 * `build.extra_hosts` (`host:ip`).
 */
export function buildHostsFile(extraHosts: readonly string[], hostHosts?: string): string {
  const lines = hostHosts !== undefined ? [hostHosts.trimEnd()] : ['127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback'];
  for (const entry of extraHosts) {
    const i = entry.indexOf(':');
    if (i > 0) lines.push(`${entry.slice(i + 1)}\t${entry.slice(0, i)}`);
  }
  return lines.join('\n') + '\n';
}

/** Paths runc creates as mount points when the image lacks them; removed from the layer when the step left them empty. */
export function mountPointsOf(config: OciConfig): string[] {
  return config.mounts.map((m) => m.destination).filter((d) => !/^\/(dev|proc|sys)\/./.test(d));
}
