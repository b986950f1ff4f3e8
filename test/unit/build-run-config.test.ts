// The OCI config of a RUN step's container, from literals: its network
// namespace (its own, or the host's with build.network: host) and the hosts
// file it is given.
import { describe, expect, it } from 'vitest';
import { buildHostsFile, runContainerConfig } from '../../src/runtime/build/native/run-config.js';

const inputs = { root: '/r', argv: ['sh', '-c', 'true'], env: [], user: { uid: 0, gid: 0, additionalGids: [], home: '/root' }, workdir: '/', files: [], cgroupsPath: '/tug/build/x' };
const namespaces = (network?: 'none' | 'host') => runContainerConfig({ ...inputs, network }).linux!.namespaces!.map((n) => n.type);

describe('runContainerConfig', () => {
  it('gives a RUN a network namespace of its own, and none of its own on the host network', () => {
    expect(namespaces()).toContain('network');
    expect(namespaces('none')).toContain('network');
    expect(namespaces('host')).toEqual(['pid', 'ipc', 'uts', 'mount', 'cgroup']);
  });
});

describe('buildHostsFile', () => {
  it('names loopback, or keeps the host\'s hosts file, then adds extra_hosts', () => {
    expect(buildHostsFile(['db:10.0.0.2'])).toBe('127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n10.0.0.2\tdb\n');
    expect(buildHostsFile(['db:10.0.0.2'], '127.0.0.1 localhost\n192.168.1.5 myhost\n\n')).toBe('127.0.0.1 localhost\n192.168.1.5 myhost\n10.0.0.2\tdb\n');
  });
});
