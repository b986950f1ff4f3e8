// The generated /etc files of a container replica, as Docker 20.10 writes
// them for the same options (checked with `docker run` on this machine).
import { describe, expect, it } from 'vitest';
import { embeddedServerOptions, hostHostsFile, hostResolvConf, hostsFile, resolvConf, resolveHostGateway } from '../../src/runtime/native/container/etc-files.js';

describe('etc files', () => {
  it('/etc/hosts: localhost lines, then extra_hosts, then the replica\'s own address', () => {
    const text = hostsFile({ hostname: 'p-app-1', addresses: ['10.0.0.2'], extraHosts: { 'a.example': ['10.1.2.3'], 'b.example': ['10.1.2.4', '10.1.2.5'] } });
    expect(text.trim().split('\n').slice(-4)).toEqual(['10.1.2.3\ta.example', '10.1.2.4\tb.example', '10.1.2.5\tb.example', '10.0.0.2\tp-app-1']);
  });

  it('host-gateway is the gateway given; without one the entry is left out', () => {
    const hosts = { gw: ['host-gateway'], other: ['10.1.1.1'] };
    expect(resolveHostGateway(hosts, '10.213.0.1')).toEqual({ gw: ['10.213.0.1'], other: ['10.1.1.1'] });
    expect(resolveHostGateway(hosts, undefined)).toEqual({ other: ['10.1.1.1'] });
  });

  it('the embedded server\'s resolv.conf gets ndots:0 unless dns_opt sets ndots', () => {
    expect(embeddedServerOptions([])).toEqual(['ndots:0']);
    expect(embeddedServerOptions(['timeout:1'])).toEqual(['timeout:1', 'ndots:0']);
    expect(embeddedServerOptions(['ndots:2', 'timeout:1'])).toEqual(['ndots:2', 'timeout:1']);
    expect(resolvConf({ nameservers: ['10.0.0.1'], search: ['corp.example'], options: ['ndots:2'] })).toBe('search corp.example\nnameserver 10.0.0.1\noptions ndots:2\n');
  });

  it('network_mode host: the host\'s files, each kind of line replaced only when the service sets it', () => {
    const host = '# generated\nnameserver 10.255.255.53\nnameserver 10.255.255.54\nsearch lan\noptions edns0\n';
    expect(hostResolvConf(host, {})).toBe(host);
    expect(hostResolvConf(host, { nameservers: ['127.0.0.9'], search: ['corp.example'] })).toBe('# generated\noptions edns0\nsearch corp.example\nnameserver 127.0.0.9\n');
    expect(hostResolvConf('domain lan\nnameserver 1.1.1.1', { search: ['x.example'] })).toBe('nameserver 1.1.1.1\nsearch x.example\n');
    expect(hostHostsFile('127.0.0.1\tlocalhost', { a: ['10.1.2.3'] })).toBe('127.0.0.1\tlocalhost\n10.1.2.3\ta\n');
    expect(hostHostsFile('127.0.0.1\tlocalhost\n', {})).toBe('127.0.0.1\tlocalhost\n');
  });
});
