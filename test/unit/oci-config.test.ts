// ReplicaSpec + resolved context → runc's config.json, from literal specs (in
// the normalized form the loader produces) to literal JSON.
import { describe, expect, it } from 'vitest';
import { ConfigErrors, TugError } from '../../src/core/errors.js';
import type { ServiceSpec } from '../../src/core/model/types.js';
import type { ReplicaSpec } from '../../src/core/reconcile/operations.js';
import { execProcess, toOciConfig, type OciContext } from '../../src/runtime/native/container/oci-config.js';
import { planFileGrants, volumesFromMounts } from '../../src/runtime/native/container/oci-mounts.js';
import { DEFAULT_CAPABILITIES } from '../../src/runtime/native/container/oci-security.js';
import { serializeOciConfig } from '../../src/runtime/native/container/oci-spec.js';
import { specLiteral } from '../helpers/replica-spec.js';

function replica(service_spec: ServiceSpec, overrides: Partial<ReplicaSpec> = {}): ReplicaSpec {
  return specLiteral({
    project: 'shop',
    service: 'web',
    labels: {},
    service_spec,
    projectDir: '/srv/shop',
    networkNames: { default: 'shop_default' },
    volumeNames: { data: 'shop_data' },
    ...overrides,
  });
}

function context(overrides: Partial<OciContext> = {}): OciContext {
  return {
    rootfs: {
      path: '/home/t/tug/c/shop-web-1/rootfs',
      readonly: true,
      mounts: [{ destination: '/usr', type: 'bind', source: '/usr', options: ['bind', 'ro', 'nodev'] }],
      env: { LANG: 'C.UTF-8' },
      cwd: '/srv/shop',
    },
    user: { uid: 0, gid: 0, additionalGids: [], home: '/root' },
    mounts: {
      volumes: { named: (name) => `/home/t/tug/volumes/${name}/data`, anonymous: (target) => `/home/t/tug/anon/shop-web-1${target}` },
      grantSources: {},
      etcFiles: {},
    },
    grants: [],
    network: { kind: 'path', path: '/var/run/netns/tug-1a2b3c4d' },
    cgroupsPath: '/tug/h1-shop/shop-web-1',
    resources: { swapAccounting: true },
    ...overrides,
  };
}

const oci = (svc: ServiceSpec, ctx: Partial<OciContext> = {}, spec: Partial<ReplicaSpec> = {}) => toOciConfig(replica(svc, spec), context(ctx));

function errorsOf(fn: () => unknown): TugError[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigErrors) return err.errors;
    if (err instanceof TugError) return [err];
    throw err;
  }
  throw new Error('expected an error');
}

describe('toOciConfig', () => {
  it('a minimal host-root service: the whole config.json', () => {
    const { config, notes } = oci({ command: ['node', 'server.js'], environment: { PORT: '8080', UNSET: null } });
    expect(notes).toEqual([]);
    expect(config).toEqual({
      ociVersion: '1.0.2',
      process: {
        terminal: false,
        user: { uid: 0, gid: 0, additionalGids: [0] },
        args: ['node', 'server.js'],
        env: [
          'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
          'LANG=C.UTF-8',
          'HOSTNAME=shop-web-1',
          'HOME=/root',
          'PORT=8080',
          'TUG_PROJECT=shop',
          'TUG_SERVICE=web',
          'TUG_REPLICA=1',
        ],
        cwd: '/srv/shop',
        capabilities: {
          bounding: [
            'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_SETGID', 'CAP_SETUID', 'CAP_SETPCAP',
            'CAP_NET_BIND_SERVICE', 'CAP_NET_RAW', 'CAP_SYS_CHROOT', 'CAP_MKNOD', 'CAP_AUDIT_WRITE', 'CAP_SETFCAP',
          ],
          effective: [
            'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_SETGID', 'CAP_SETUID', 'CAP_SETPCAP',
            'CAP_NET_BIND_SERVICE', 'CAP_NET_RAW', 'CAP_SYS_CHROOT', 'CAP_MKNOD', 'CAP_AUDIT_WRITE', 'CAP_SETFCAP',
          ],
          permitted: [
            'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_SETGID', 'CAP_SETUID', 'CAP_SETPCAP',
            'CAP_NET_BIND_SERVICE', 'CAP_NET_RAW', 'CAP_SYS_CHROOT', 'CAP_MKNOD', 'CAP_AUDIT_WRITE', 'CAP_SETFCAP',
          ],
          inheritable: [],
          ambient: [],
        },
        noNewPrivileges: false,
      },
      root: { path: '/home/t/tug/c/shop-web-1/rootfs', readonly: true },
      hostname: 'shop-web-1',
      mounts: [
        { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
        { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
        { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
        { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
        { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
        { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
        { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'ro', 'relatime'] },
        { destination: '/usr', type: 'bind', source: '/usr', options: ['bind', 'ro', 'nodev'] },
      ],
      linux: {
        namespaces: [
          { type: 'pid' },
          { type: 'network', path: '/var/run/netns/tug-1a2b3c4d' },
          { type: 'ipc' },
          { type: 'uts' },
          { type: 'mount' },
          { type: 'cgroup' },
        ],
        cgroupsPath: '/tug/h1-shop/shop-web-1',
        resources: {
          devices: [
            { allow: false, access: 'rwm' },
            { allow: true, type: 'c', access: 'm' },
            { allow: true, type: 'b', access: 'm' },
            { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' },
            { allow: true, type: 'c', major: 1, minor: 5, access: 'rwm' },
            { allow: true, type: 'c', major: 1, minor: 7, access: 'rwm' },
            { allow: true, type: 'c', major: 1, minor: 8, access: 'rwm' },
            { allow: true, type: 'c', major: 1, minor: 9, access: 'rwm' },
            { allow: true, type: 'c', major: 5, minor: 0, access: 'rwm' },
            { allow: true, type: 'c', major: 5, minor: 1, access: 'rwm' },
            { allow: true, type: 'c', major: 5, minor: 2, access: 'rwm' },
            { allow: true, type: 'c', major: 136, access: 'rwm' },
            { allow: true, type: 'c', major: 10, minor: 200, access: 'rwm' },
          ],
        },
        maskedPaths: [
          '/proc/acpi', '/proc/asound', '/proc/interrupts', '/proc/kcore', '/proc/keys', '/proc/latency_stats',
          '/proc/sched_debug', '/proc/scsi', '/proc/timer_list', '/proc/timer_stats', '/sys/devices/virtual/powercap', '/sys/firmware',
        ],
        readonlyPaths: ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
      },
      annotations: { 'org.tug.project': 'shop', 'org.tug.service': 'web', 'org.tug.replica': 'shop-web-1' },
    });
    expect(new Set(config.process.capabilities.bounding)).toEqual(new Set(DEFAULT_CAPABILITIES));
  });

  it('hostname, domainname, user ids, groups, relative working_dir and oom_score_adj', () => {
    const { config } = oci(
      { command: ['id'], hostname: 'api', domainname: 'example.test', working_dir: 'sub', oom_score_adj: 500 },
      { user: { uid: 1000, gid: 1000, additionalGids: [27, 100], home: '/home/ada' } },
    );
    expect(config.hostname).toBe('api');
    expect(config.domainname).toBe('example.test');
    // The primary group leads the supplementary ones, as Docker writes them (`id`: groups=1000,27,100).
    expect(config.process.user).toEqual({ uid: 1000, gid: 1000, additionalGids: [1000, 27, 100] });
    expect(config.process.env).toContain('HOME=/home/ada');
    expect(config.process.env).toContain('HOSTNAME=api');
    expect(config.process.cwd).toBe('/srv/shop/sub');
    expect(config.process.oomScoreAdj).toBe(500);
  });

  it('an image: its entrypoint and CMD, overridden as Docker does', () => {
    const rootfs = { ...context().rootfs, entrypoint: ['/docker-entrypoint.sh'], cmd: ['nginx', '-g', 'daemon off;'], cwd: '/' };
    expect(oci({}, { rootfs }).config.process.args).toEqual(['/docker-entrypoint.sh', 'nginx', '-g', 'daemon off;']);
    expect(oci({ command: ['nginx', '-t'] }, { rootfs }).config.process.args).toEqual(['/docker-entrypoint.sh', 'nginx', '-t']);
    // A new entrypoint drops the image's CMD.
    expect(oci({ entrypoint: ['sh'] }, { rootfs }).config.process.args).toEqual(['sh']);
    expect(oci({ entrypoint: ['sh', '-c'], command: ['echo hi'] }, { rootfs }).config.process.args).toEqual(['sh', '-c', 'echo hi']);
  });

  it('an image root the runtime mounts itself: the overlay at / comes before every other mount', () => {
    const rootMount = { destination: '/', type: 'overlay', source: 'overlay', options: ['lowerdir=/t/l/a1:/t/l/b2,upperdir=/t/r/shop-web-1/upper,workdir=/t/r/shop-web-1/work'] };
    const rootfs = { ...context().rootfs, path: '/t/r/shop-web-1/rootfs', readonly: false, mounts: [], rootMount };
    const { config } = oci({ command: ['nginx'] }, { rootfs });
    expect(config.root).toEqual({ path: '/t/r/shop-web-1/rootfs', readonly: false });
    expect(config.mounts[0]).toEqual(rootMount);
    expect(config.mounts.slice(1, 3).map((m) => m.destination)).toEqual(['/proc', '/dev']);
    expect(config.mounts.filter((m) => m.destination === '/')).toHaveLength(1);
    // Without one, nothing is mounted at /: the root is root.path as it is.
    expect(oci({ command: ['nginx'] }).config.mounts.some((m) => m.destination === '/')).toBe(false);
  });

  it('init: true runs the workload under the bind-mounted static init', () => {
    const { config } = oci({ command: ['sleep', '1'], init: true }, { initPath: '/usr/bin/tini-static' });
    expect(config.process.args).toEqual(['/dev/init', '--', 'sleep', '1']);
    expect(config.mounts.at(-1)).toEqual({ destination: '/dev/init', type: 'bind', source: '/usr/bin/tini-static', options: ['bind', 'ro', 'nosuid', 'nodev'] });
    const [missing] = errorsOf(() => oci({ command: ['sleep', '1'], init: true }));
    expect(missing!.message).toMatch(/init: true.*tini-static/);
    expect(missing!.hint).toBe('apt-get install tini');
  });

  it('capabilities: cap_add, cap_drop, ALL, privileged; unknown names are errors', () => {
    const caps = (svc: ServiceSpec) => oci({ command: ['x'], ...svc }).config.process.capabilities.bounding;
    expect(caps({ cap_add: ['NET_ADMIN'], cap_drop: ['MKNOD', 'CAP_NET_RAW'] })).toEqual([
      'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_SETGID', 'CAP_SETUID', 'CAP_SETPCAP',
      'CAP_NET_BIND_SERVICE', 'CAP_NET_ADMIN', 'CAP_SYS_CHROOT', 'CAP_AUDIT_WRITE', 'CAP_SETFCAP',
    ]);
    expect(caps({ cap_drop: ['ALL'], cap_add: ['chown'] })).toEqual(['CAP_CHOWN']);
    expect(caps({ cap_add: ['ALL'], cap_drop: ['SYS_ADMIN'] })).toHaveLength(40);
    const privileged = oci({ command: ['x'], privileged: true }).config;
    expect(privileged.process.capabilities.bounding).toHaveLength(41);
    expect(privileged.linux.maskedPaths).toEqual([]);
    expect(privileged.linux.readonlyPaths).toEqual([]);
    expect(privileged.linux.resources.devices).toEqual([{ allow: true, access: 'rwm' }]);
    expect(privileged.mounts.find((m) => m.destination === '/sys')!.options).toContain('rw');
    const [bad] = errorsOf(() => oci({ command: ['x'], cap_add: ['NET_ADMIN', 'FLY'] }));
    expect(bad!.path).toEqual(['services', 'web', 'cap_add', 1]);
    expect(bad!.message).toBe('service web: unknown capability "FLY"');
  });

  it('security_opt no-new-privileges; seccomp and apparmor are noted as not applied', () => {
    const { config, notes } = oci({ command: ['x'], security_opt: ['no-new-privileges:true', 'seccomp=unconfined'] });
    expect(config.process.noNewPrivileges).toBe(true);
    expect(notes).toEqual(['web: security_opt seccomp=unconfined is not applied by tug\'s container runtime']);
    expect(errorsOf(() => oci({ command: ['x'], security_opt: ['no-new-privileges:maybe'] }))[0]!.path).toEqual(['services', 'web', 'security_opt', 0]);
  });

  it('resources: memory, swap, reservation, cpus, shares, cpuset, pids; deploy limits win', () => {
    const { config } = oci({
      command: ['x'],
      mem_limit: 64 * 1024 * 1024,
      memswap_limit: 128 * 1024 * 1024,
      mem_reservation: 32 * 1024 * 1024,
      cpus: 0.5,
      cpu_shares: 512,
      cpuset: '0-1',
      pids_limit: 50,
    });
    expect(config.linux.resources).toMatchObject({
      memory: { limit: 67108864, swap: 134217728, reservation: 33554432 },
      cpu: { quota: 50000, period: 100000, shares: 512, cpus: '0-1' },
      pids: { limit: 50 },
    });
    const deploy = oci({ command: ['x'], mem_limit: 1e9, cpus: 2, deploy: { resources: { limits: { memory: 20971520, cpus: 1.5, pids: 7 } } } }).config;
    expect(deploy.linux.resources).toMatchObject({ memory: { limit: 20971520, swap: 41943040 }, cpu: { quota: 150000, period: 100000 }, pids: { limit: 7 } });
  });

  it('swap is left alone where the kernel does not account it, and said so', () => {
    const { config, notes } = oci({ command: ['x'], mem_limit: 8388608, memswap_limit: 16777216 }, { resources: { swapAccounting: false } });
    expect(config.linux.resources.memory).toEqual({ limit: 8388608 });
    expect(notes).toEqual(['web: memswap_limit not applied: this kernel does not account swap in the memory cgroup']);
  });

  it('refuses a memory limit too small to start a process, and memswap below memory, all at once', () => {
    const errors = errorsOf(() => oci({ command: ['x'], mem_limit: 1024 * 1024, memswap_limit: 512 * 1024, deploy: {} }));
    expect(errors.map((e) => e.path)).toEqual([['services', 'web', 'mem_limit'], ['services', 'web', 'memswap_limit']]);
    expect(errors[0]!.message).toBe('service web: memory limit 1 MiB is below the 6 MiB a process needs to start');
    expect(errors[0]!.hint).toBe('raise it to at least 6m');
    expect(errorsOf(() => oci({ command: ['x'], deploy: { resources: { limits: { memory: 4096 } } } }))[0]!.path).toEqual(['services', 'web', 'deploy', 'resources', 'limits', 'memory']);
  });

  it('ulimits as rlimits; -1 is written as RLIM_INFINITY; bad ones are errors', () => {
    const { config } = oci({ command: ['x'], ulimits: { nofile: { soft: 1024, hard: 4096 }, nproc: 64, core: -1 } });
    expect(config.process.rlimits).toEqual([
      { type: 'RLIMIT_NOFILE', soft: 1024, hard: 4096 },
      { type: 'RLIMIT_NPROC', soft: 64, hard: 64 },
      { type: 'RLIMIT_CORE', soft: -1, hard: -1 },
    ]);
    expect(serializeOciConfig(config)).toContain('"type": "RLIMIT_CORE",\n    "soft": 18446744073709551615,\n    "hard": 18446744073709551615');
    const errors = errorsOf(() => oci({ command: ['x'], ulimits: { nofiles: 1, nofile: { soft: 10, hard: 5 } } }));
    expect(errors.map((e) => e.message)).toEqual(['service web: unknown ulimit "nofiles"', 'service web: ulimit nofile: soft limit 10 is above the hard limit 5']);
  });

  it('sysctls: namespaced ones pass; host-wide ones and net.* on the host network are refused', () => {
    expect(oci({ command: ['x'], sysctls: { 'net.core.somaxconn': '1024', 'kernel.shmmax': '65536', 'fs.mqueue.msg_max': '20' } }).config.linux.sysctl).toEqual({
      'net.core.somaxconn': '1024',
      'kernel.shmmax': '65536',
      'fs.mqueue.msg_max': '20',
    });
    const errors = errorsOf(() => oci({ command: ['x'], sysctls: { 'vm.swappiness': '10', 'kernel.hostname': 'x' } }));
    expect(errors.map((e) => e.path)).toEqual([['services', 'web', 'sysctls', 'vm.swappiness'], ['services', 'web', 'sysctls', 'kernel.hostname']]);
    expect(errors[0]!.message).toBe('service web: sysctl vm.swappiness is not namespaced: setting it would change the whole host');
    expect(errors[1]!.hint).toBe('set `hostname:` instead');
    const host = errorsOf(() => oci({ command: ['x'], sysctls: { 'net.ipv4.ip_forward': '1' } }, { network: { kind: 'host' } }));
    expect(host[0]!.message).toMatch(/cannot be set with network_mode: host/);
  });

  it('namespaces: host pid/ipc/uts/cgroup and network, joined ones, and a new empty network', () => {
    const types = (svc: ServiceSpec, ctx: Partial<OciContext>) => oci({ command: ['x'], ...svc }, ctx).config.linux.namespaces;
    expect(types({ pid: 'host', ipc: 'host', uts: 'host', cgroup: 'host' }, { network: { kind: 'host' } })).toEqual([{ type: 'mount' }]);
    expect(types({}, { network: { kind: 'new' }, join: { pid: '/proc/42/ns/pid', ipc: '/proc/42/ns/ipc' } })).toEqual([
      { type: 'pid', path: '/proc/42/ns/pid' },
      { type: 'network' },
      { type: 'ipc', path: '/proc/42/ns/ipc' },
      { type: 'uts' },
      { type: 'mount' },
      { type: 'cgroup' },
    ]);
    const hostIpc = oci({ command: ['x'], ipc: 'host' }).config.mounts.map((m) => m.destination);
    expect(hostIpc).not.toContain('/dev/mqueue');
  });

  it('read_only, shm_size, and no command at all', () => {
    const rootfs = { ...context().rootfs, readonly: false };
    expect(oci({ command: ['x'] }, { rootfs }).config.root.readonly).toBe(false);
    expect(oci({ command: ['x'], read_only: true }, { rootfs }).config.root.readonly).toBe(true);
    expect(oci({ command: ['x'], shm_size: 256 * 1024 * 1024 }).config.mounts.find((m) => m.destination === '/dev/shm')!.options).toContain('size=262144k');
    const [none] = errorsOf(() => oci({}));
    expect(none!.message).toBe('service web: nothing to run: no command, no entrypoint');
  });
});

describe('toOciConfig: the replica\'s mounts', () => {
  const grantCtx = (spec: ReplicaSpec) => {
    const sink: TugError[] = [];
    const grants = planFileGrants(spec, { token: { file: '/srv/shop/token.txt' }, inline: { content: 'x' } }, { nginx: { file: '/srv/shop/nginx.conf' } }, sink);
    return { grants, sink };
  };

  it('volumes at their targets: named, anonymous, bind :ro, tmpfs; tmpfs list; parents before children', () => {
    const { config } = oci({
      command: ['x'],
      volumes: [
        { type: 'volume', source: 'data', target: '/var/lib/app/cache' },
        { type: 'bind', source: '/srv/shop/conf', target: '/conf', read_only: true },
        { type: 'volume', target: '/scratch' },
        { type: 'tmpfs', target: '/fast', tmpfs: { size: 1048576, mode: 0o1777 } },
        { type: 'volume', source: 'data', target: '/var/lib/app', volume: { subpath: 'app' } },
      ],
      tmpfs: ['/run/cache:size=64m,exec'],
    });
    expect(config.mounts.slice(8)).toEqual([
      { destination: '/conf', type: 'bind', source: '/srv/shop/conf', options: ['rbind', 'ro', 'rprivate'] },
      { destination: '/scratch', type: 'bind', source: '/home/t/tug/anon/shop-web-1/scratch', options: ['rbind', 'rw', 'rprivate'] },
      { destination: '/fast', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'noexec', 'rw', 'size=1048576', 'mode=1777'] },
      { destination: '/run/cache', type: 'tmpfs', source: 'tmpfs', options: ['rw', 'nosuid', 'nodev', 'size=64m', 'exec'] },
      { destination: '/var/lib/app', type: 'bind', source: '/home/t/tug/volumes/shop_data/data/app', options: ['rbind', 'rw', 'rprivate'] },
      { destination: '/var/lib/app/cache', type: 'bind', source: '/home/t/tug/volumes/shop_data/data', options: ['rbind', 'rw', 'rprivate'] },
    ]);
  });

  it('generated /etc files, unless the user mounts their own; volumes_from mounts', () => {
    const etcFiles = { '/etc/hostname': '/s/hostname', '/etc/hosts': '/s/hosts', '/etc/resolv.conf': '/s/resolv.conf' };
    const inheritedMounts = [{ destination: '/shared', type: 'bind', source: '/v/shared', options: ['rbind', 'ro', 'rprivate'] }];
    const { config } = oci(
      { command: ['x'], volumes: [{ type: 'bind', source: '/srv/shop/hosts', target: '/etc/hosts' }] },
      { mounts: { ...context().mounts, etcFiles, inheritedMounts } },
    );
    expect(config.mounts.slice(8)).toEqual([
      { destination: '/shared', type: 'bind', source: '/v/shared', options: ['rbind', 'ro', 'rprivate'] },
      { destination: '/etc/hosts', type: 'bind', source: '/srv/shop/hosts', options: ['rbind', 'rw', 'rprivate'] },
      { destination: '/etc/hostname', type: 'bind', source: '/s/hostname', options: ['rbind', 'rw', 'rprivate'] },
      { destination: '/etc/resolv.conf', type: 'bind', source: '/s/resolv.conf', options: ['rbind', 'rw', 'rprivate'] },
    ]);
  });

  it('secrets at /run/secrets, configs at their target, read-only', () => {
    const spec = replica({
      command: ['x'],
      secrets: [{ source: 'token' }, { source: 'inline', target: 'other', mode: 0o400, uid: '1000' }],
      configs: [{ source: 'nginx', target: '/etc/nginx/nginx.conf' }],
    });
    const { grants, sink } = grantCtx(spec);
    expect(sink).toEqual([]);
    expect(grants).toEqual([
      { kind: 'secret', name: 'token', target: '/run/secrets/token', file: '/srv/shop/token.txt' },
      { kind: 'secret', name: 'inline', target: '/run/secrets/other', content: 'x', mode: 0o400, uid: '1000' },
      { kind: 'config', name: 'nginx', target: '/etc/nginx/nginx.conf', file: '/srv/shop/nginx.conf' },
    ]);
    const grantSources = { '/run/secrets/token': '/s/token', '/run/secrets/other': '/s/other', '/etc/nginx/nginx.conf': '/s/nginx' };
    const { config } = toOciConfig(spec, context({ grants, mounts: { ...context().mounts, grantSources } }));
    expect(config.mounts.slice(8)).toEqual([
      { destination: '/run/secrets/token', type: 'bind', source: '/s/token', options: ['rbind', 'ro', 'rprivate'] },
      { destination: '/run/secrets/other', type: 'bind', source: '/s/other', options: ['rbind', 'ro', 'rprivate'] },
      { destination: '/etc/nginx/nginx.conf', type: 'bind', source: '/s/nginx', options: ['rbind', 'ro', 'rprivate'] },
    ]);
  });

  it('refuses duplicate targets, relative targets, escaping subpaths and undefined secrets', () => {
    const errors = errorsOf(() =>
      oci({
        command: ['x'],
        volumes: [
          { type: 'volume', source: 'data', target: '/d' },
          { type: 'bind', source: '/x', target: '/d/' },
          { type: 'bind', source: '/x', target: 'rel' },
          { type: 'volume', source: 'data', target: '/e', volume: { subpath: '../../etc' } },
          { type: 'npipe', source: 'x', target: '/f' },
        ],
      }),
    );
    expect(errors.map((e) => e.message)).toEqual([
      'service web: volume /x is mounted at /d, where volume data already is',
      'service web: mount target "rel" is not an absolute path inside the container',
      'service web: volume subpath "../../etc" must stay inside the volume',
      'service web: volume type "npipe" is not supported by tug\'s container runtime',
    ]);
    const sink: TugError[] = [];
    planFileGrants(replica({ secrets: [{ source: 'nope' }, { source: 'token', target: '../../etc/shadow' }] }), { token: { file: '/t' } }, {}, sink);
    expect(sink.map((e) => e.message)).toEqual([
      'service web: secret "nope" is not defined in the top-level secrets',
      'service web: secret target "../../etc/shadow" leaves its directory',
    ]);
  });
});

describe('volumes_from', () => {
  it('takes the other replica\'s volumes and binds at their targets, read-only when asked, without its tmpfs', () => {
    const other = replica(
      {
        command: ['x'],
        volumes: [
          { type: 'volume', source: 'data', target: '/data' },
          { type: 'volume', target: '/cache' },
          { type: 'bind', source: '/srv/shop/conf', target: '/conf', read_only: true },
          { type: 'tmpfs', target: '/scratch' },
        ],
      },
      { service: 'db', name: 'shop-db-1' },
    );
    const volumes = { named: (n: string) => `/v/${n}`, anonymous: (t: string) => `/anon/shop-db-1${t}` };
    expect(volumesFromMounts(other, volumes, true)).toEqual([
      { destination: '/data', type: 'bind', source: '/v/shop_data', options: ['rbind', 'ro', 'rprivate'] },
      { destination: '/cache', type: 'bind', source: '/anon/shop-db-1/cache', options: ['rbind', 'ro', 'rprivate'] },
      { destination: '/conf', type: 'bind', source: '/srv/shop/conf', options: ['rbind', 'ro', 'rprivate'] },
    ]);
    expect(volumesFromMounts(other, volumes, false)[0]!.options).toEqual(['rbind', 'rw', 'rprivate']);
  });
});

describe('execProcess', () => {
  it('runs as the replica, in its directory, with its environment plus the request\'s', () => {
    const base = oci({ command: ['x'], environment: { A: '1' } }).config.process;
    const exec = execProcess(base, { args: ['env'], env: { A: '2', B: '3' }, cwd: 'sub' });
    expect(exec.args).toEqual(['env']);
    expect(exec.cwd).toBe('/srv/shop/sub');
    expect(exec.env).toContain('A=2');
    expect(exec.env).toContain('B=3');
    expect(exec.user).toEqual(base.user);
    expect(exec.capabilities).toEqual(base.capabilities);
    expect(execProcess(base, { args: ['id'], user: { uid: 7, gid: 8 } }).user).toEqual({ uid: 7, gid: 8, additionalGids: [8] });
    expect(execProcess(base, { args: ['id'], user: { uid: 7, gid: 8, additionalGids: [5, 8] } }).user).toEqual({ uid: 7, gid: 8, additionalGids: [8, 5] });
  });
});
