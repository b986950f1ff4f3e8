import { describe, expect, it } from 'vitest';
import { assessMachine, crunWorks, type MachineFacts } from '../../src/runtime/native/container/capability-report.js';
import { parseCgroupMounts } from '../../src/runtime/native/container/cgroups/cgroup-layout.js';

const here: MachineFacts = {
  platform: 'linux',
  kernel: '6.18.44',
  uid: 0,
  maxUserNamespaces: 96364,
  runc: { path: '/usr/sbin/runc', version: 'runc 1.1.5+ds1' },
  cgroup: { layout: 'hybrid', v1Controllers: ['cpu', 'cpuacct', 'memory', 'pids'], v2Controllers: ['hugetlb'] },
  overlayfs: true,
  bridgeVeth: true,
  ip: { path: '/usr/sbin/ip', version: 'iproute2 6.1.0' },
  iptables: { path: '/usr/sbin/iptables', version: 'iptables v1.8.9 (nf_tables)' },
  ipForward: 1,
  init: { path: '/usr/bin/tini-static' },
  cc: { path: '/usr/bin/cc' },
};

const byId = (facts: MachineFacts) => Object.fromEntries(assessMachine(facts).capabilities.map((c) => [c.id, c]));

describe('machine capability report', () => {
  it('says containers work on a root machine with runc', () => {
    const report = assessMachine(here);
    expect(report.containers).toEqual({ available: true, runtime: 'runc', missing: [] });
    expect(report.capabilities.filter((c) => c.status !== 'ok')).toEqual([]);
  });

  it('names the missing runtime, what it costs, and the package to install', () => {
    const { runc: _runc, ...noRunc } = here;
    const report = assessMachine(noRunc);
    expect(report.containers).toEqual({ available: false, missing: ['an OCI runtime (runc)'] });
    const runc = byId(noRunc).runc!;
    expect(runc.status).toBe('missing');
    expect(runc.fix).toBe('apt-get install runc');
    expect(runc.cost).toMatch(/host process/);
    // TUG_OCI_RUNTIME naming nothing usable: said so, and how to undo it.
    const overridden = byId({ ...noRunc, runtimeOverride: '/opt/none/runc' }).runc!;
    expect(overridden.detail).toBe('TUG_OCI_RUNTIME=/opt/none/runc is not an executable runc or crun');
    expect(overridden.fix).toBe('apt-get install runc, or unset TUG_OCI_RUNTIME');
  });

  it('refuses crun on a hybrid layout whose v2 hierarchy has controllers, and accepts it elsewhere', () => {
    const { runc: _runc, ...withCrun } = { ...here, crun: { path: '/usr/bin/crun', version: 'crun 1.8.1' } };
    expect(crunWorks(withCrun)).toBe(false);
    expect(assessMachine(withCrun).containers.available).toBe(false);
    expect(byId(withCrun).crun!.detail).toMatch(/hybrid cgroup layout .*hugetlb/);
    const pureV2 = { ...withCrun, cgroup: { layout: 'v2' as const, v1Controllers: [], v2Controllers: ['cpu', 'memory', 'pids'] } };
    expect(assessMachine(pureV2).containers).toEqual({ available: true, runtime: 'crun', missing: [] });
  });

  it('explains what a non-root user loses', () => {
    const report = assessMachine({ ...here, uid: 1000 });
    expect(report.containers.missing).toEqual(['root privileges']);
    expect(byId({ ...here, uid: 1000 }).root).toMatchObject({ status: 'missing', detail: 'not root (uid 1000)' });
  });

  it('prices each missing network and init piece', () => {
    const { iptables: _i, init: _t, ip: _ip, cc: _cc, ...bare } = here;
    const caps = byId({ ...bare, bridgeVeth: false, bridgeVethError: 'Unknown device type.' });
    expect(caps.iproute2).toMatchObject({ status: 'missing', fix: 'apt-get install iproute2' });
    expect(caps['bridge-veth']).toMatchObject({ status: 'missing', detail: 'cannot create them: Unknown device type.' });
    expect(caps.nat).toMatchObject({ status: 'missing', fix: 'apt-get install iptables' });
    expect(caps.nat!.cost).toMatch(/FORWARD DROP/);
    expect(caps.init).toMatchObject({ status: 'missing', fix: 'apt-get install tini' });
    expect(caps.shim).toMatchObject({ status: 'warning', fix: 'apt-get install gcc libc6-dev' });
    expect(caps.shim!.cost).toMatch(/10 MB/);
  });

  it('reports missing cgroup controllers and a machine without cgroups', () => {
    const v2 = byId({ ...here, cgroup: { layout: 'v2', v1Controllers: [], v2Controllers: ['cpu', 'io'] } });
    expect(v2.cgroups).toMatchObject({ status: 'warning' });
    expect(v2.cgroups!.cost).toBe('limits on memory, pids are not enforced');
    expect(byId({ ...here, cgroup: { layout: 'none', v1Controllers: [], v2Controllers: [] } }).cgroups!.status).toBe('missing');
  });

  it('reports other systems as process-mode only', () => {
    const report = assessMachine({ ...here, platform: 'darwin' });
    expect(report.containers).toEqual({ available: false, missing: ['a Linux kernel'] });
    expect(report.capabilities).toHaveLength(1);
  });
});

describe('cgroup layout from mountinfo', () => {
  const hybrid = [
    '31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755',
    '32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct',
    '35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory',
    '40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,release_agent=/x,name=systemd',
    '41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw',
  ].join('\n');

  it('tells hybrid, v1, v2 and none apart', () => {
    expect(parseCgroupMounts(hybrid)).toEqual({
      layout: 'hybrid',
      v1: { cpu: '/sys/fs/cgroup/cpu,cpuacct', cpuacct: '/sys/fs/cgroup/cpu,cpuacct', memory: '/sys/fs/cgroup/memory', 'name=systemd': '/sys/fs/cgroup/systemd' },
      v2: '/sys/fs/cgroup/unified',
    });
    expect(parseCgroupMounts(hybrid.split('\n').slice(0, 3).join('\n')).layout).toBe('v1');
    expect(parseCgroupMounts('30 23 0:27 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate')).toEqual({ layout: 'v2', v1: {}, v2: '/sys/fs/cgroup' });
    expect(parseCgroupMounts('22 1 8:1 / / rw - ext4 /dev/sda1 rw').layout).toBe('none');
  });

  it('unescapes mount points with spaces', () => {
    expect(parseCgroupMounts('1 1 0:1 / /cg\\040x rw - cgroup2 cgroup2 rw').v2).toBe('/cg x');
  });
});
