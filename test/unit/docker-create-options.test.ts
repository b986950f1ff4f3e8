// ReplicaSpec → ContainerCreate body, with literal specs in the normalized
// (canonical) form the loader produces.
import { describe, expect, it } from 'vitest';
import { TugError } from '../../src/core/errors.js';
import { parseTargetsLabel } from '../../src/core/model/labels.js';
import type { ServiceSpec } from '../../src/core/model/types.js';
import type { ReplicaSpec } from '../../src/core/reconcile/operations.js';
import { publishesPortRange, toCreateOptions, type CreateContext } from '../../src/runtime/docker/to-create-options.js';
import { specLiteral } from '../helpers/replica-spec.js';

function replica(service_spec: ServiceSpec, overrides: Partial<ReplicaSpec> = {}): ReplicaSpec {
  return specLiteral({
    project: 'shop',
    service: 'web',
    labels: { 'com.docker.compose.project': 'shop', 'com.docker.compose.service': 'web' },
    service_spec,
    projectDir: '/srv/shop',
    networkNames: { default: 'shop_default' },
    volumeNames: {},
    ...overrides,
  });
}

const create = (svc: ServiceSpec, overrides: Partial<ReplicaSpec> = {}, ctx?: CreateContext) => toCreateOptions(replica(svc, overrides), ctx);

describe('toCreateOptions: the container config', () => {
  it('a minimal service: image, labels, the default network with aliases', () => {
    const opts = create({ image: 'nginx:1.27', networks: { default: null } });
    expect(opts.name).toBe('shop-web-1');
    expect(opts.body).toEqual({
      Image: 'nginx:1.27',
      Labels: { 'com.docker.compose.project': 'shop', 'com.docker.compose.service': 'web' },
      HostConfig: { NetworkMode: 'shop_default' },
      NetworkingConfig: { EndpointsConfig: { shop_default: { Aliases: ['shop-web-1', 'web'] } } },
    });
    expect(opts.extraNetworks).toEqual([]);
  });

  it('a build-only service runs the image <project>-<service>', () => {
    expect(create({ build: { context: '/srv/shop' } }).body.Image).toBe('shop-web');
  });

  it('command and entrypoint as lists, environment as KEY=VALUE without unset (null) values', () => {
    const { body } = create({
      image: 'x',
      command: ['npm', 'start'],
      entrypoint: ['/init', '--'],
      environment: { A: '1', EMPTY: '', UNSET: null },
      working_dir: '/app',
      user: '1000:1000',
      hostname: 'web',
    });
    expect(body).toMatchObject({
      Cmd: ['npm', 'start'],
      Entrypoint: ['/init', '--'],
      Env: ['A=1', 'EMPTY='],
      WorkingDir: '/app',
      User: '1000:1000',
      Hostname: 'web',
    });
  });

  it('service labels are kept; the replica labels win on a clash', () => {
    const { body } = create({ image: 'x', labels: { team: 'a', 'com.docker.compose.service': 'spoofed' } });
    expect(body.Labels).toEqual({ team: 'a', 'com.docker.compose.project': 'shop', 'com.docker.compose.service': 'web' });
  });

  it('stop signal, stop grace period in whole seconds (rounded up), tty and stdin_open', () => {
    const { body } = create({ image: 'x', stop_signal: 'SIGINT', stop_grace_period: '1m30s', tty: true, stdin_open: true });
    expect(body).toMatchObject({ StopSignal: 'SIGINT', StopTimeout: 90, Tty: true, OpenStdin: true });
    expect(create({ image: 'x', stop_grace_period: '1.5s' }).body.StopTimeout).toBe(2);
  });
});

describe('toCreateOptions: ports', () => {
  it('every form: single, host IP, udp, random, a published range', () => {
    const { body } = create({
      image: 'x',
      ports: [
        { mode: 'ingress', target: 80, published: '8080', protocol: 'tcp' },
        { mode: 'ingress', target: 80, published: '8081', protocol: 'tcp', host_ip: '127.0.0.1' },
        { mode: 'ingress', target: 53, published: '5353', protocol: 'udp' },
        { mode: 'ingress', target: 9000, protocol: 'tcp' },
        { mode: 'ingress', target: 3000, published: '8000-8005', protocol: 'tcp' },
      ],
      expose: ['7000-7001', '6000/udp'],
    });
    expect(body.ExposedPorts).toEqual({
      '80/tcp': {},
      '53/udp': {},
      '9000/tcp': {},
      '3000/tcp': {},
      '7000/tcp': {},
      '7001/tcp': {},
      '6000/udp': {},
    });
    expect(body.HostConfig.PortBindings).toEqual({
      '80/tcp': [
        { HostIp: '', HostPort: '8080' },
        { HostIp: '127.0.0.1', HostPort: '8081' },
      ],
      '53/udp': [{ HostIp: '', HostPort: '5353' }],
      '9000/tcp': [{ HostIp: '', HostPort: '' }],
      '3000/tcp': [{ HostIp: '', HostPort: '8000-8005' }],
    });
  });

  it('a published host port range marks the replica for serialised starts', () => {
    expect(publishesPortRange({ ports: [{ mode: 'ingress', target: 80, published: '8000-8005', protocol: 'tcp' }] })).toBe(true);
    expect(publishesPortRange({ ports: [{ mode: 'ingress', target: 80, published: '8000', protocol: 'tcp' }] })).toBe(false);
    expect(publishesPortRange({})).toBe(false);
  });
});

describe('toCreateOptions: healthcheck and restart policy', () => {
  it('durations in nanoseconds, retries kept', () => {
    const { body } = create({
      image: 'x',
      healthcheck: { test: ['CMD-SHELL', 'curl -f localhost'], interval: '10s', timeout: '500ms', start_period: '1m0s', start_interval: '2s', retries: 3 },
    });
    expect(body.Healthcheck).toEqual({
      Test: ['CMD-SHELL', 'curl -f localhost'],
      Interval: 10_000_000_000,
      Timeout: 500_000_000,
      StartPeriod: 60_000_000_000,
      StartInterval: 2_000_000_000,
      Retries: 3,
    });
  });

  it('disable: true turns the image healthcheck off', () => {
    expect(create({ image: 'x', healthcheck: { disable: true } }).body.Healthcheck).toEqual({ Test: ['NONE'] });
  });

  it('restart values, and deploy.restart_policy, which overrides restart: as in Compose', () => {
    const policy = (svc: ServiceSpec) => create({ image: 'x', ...svc }).body.HostConfig.RestartPolicy;
    expect(policy({ restart: 'always' })).toEqual({ Name: 'always' });
    expect(policy({ restart: 'no' })).toEqual({ Name: 'no' });
    expect(policy({ restart: 'unless-stopped' })).toEqual({ Name: 'unless-stopped' });
    expect(policy({ restart: 'on-failure:5' })).toEqual({ Name: 'on-failure', MaximumRetryCount: 5 });
    expect(policy({ deploy: { restart_policy: { condition: 'on-failure', max_attempts: 2 } } })).toEqual({ Name: 'on-failure', MaximumRetryCount: 2 });
    expect(policy({ deploy: { restart_policy: { condition: 'none' } } })).toEqual({ Name: 'no' });
    expect(policy({ deploy: { restart_policy: { condition: 'any' } } })).toEqual({ Name: 'always' });
    expect(policy({})).toBeUndefined();
    expect(policy({ restart: 'always', deploy: { restart_policy: { condition: 'on-failure', max_attempts: 2 } } })).toEqual({ Name: 'on-failure', MaximumRetryCount: 2 });
    expect(() => policy({ restart: 'sometimes' })).toThrow('invalid restart policy "sometimes"');
  });
});

describe('toCreateOptions: mounts', () => {
  it('binds that may create their host path, bind mounts, named, anonymous and tmpfs volumes', () => {
    const { body } = create(
      {
        image: 'x',
        volumes: [
          { type: 'bind', source: '/srv/shop/src', target: '/app', bind: { create_host_path: true } },
          { type: 'bind', source: '/srv/shop/conf', target: '/etc/conf', read_only: true, bind: { create_host_path: true, selinux: 'z' } },
          { type: 'bind', source: '/var/run/docker.sock', target: '/var/run/docker.sock', bind: { propagation: 'rprivate' } },
          { type: 'volume', source: 'data', target: '/data', volume: { nocopy: true } },
          { type: 'volume', target: '/cache', volume: {} },
          { type: 'tmpfs', target: '/tmp', tmpfs: { size: 1048576, mode: 0o1777 } },
        ],
        tmpfs: ['/run:size=64m'],
        volumes_from: ['container:legacy:ro'],
      },
      { volumeNames: { data: 'shop_data' } },
    );
    expect(body.HostConfig.Binds).toEqual(['/srv/shop/src:/app:rw', '/srv/shop/conf:/etc/conf:ro,z']);
    expect(body.HostConfig.Mounts).toEqual([
      { Type: 'bind', Source: '/var/run/docker.sock', Target: '/var/run/docker.sock', BindOptions: { Propagation: 'rprivate' } },
      { Type: 'volume', Source: 'shop_data', Target: '/data', VolumeOptions: { NoCopy: true } },
      { Type: 'volume', Target: '/cache' },
      { Type: 'tmpfs', Target: '/tmp', TmpfsOptions: { SizeBytes: 1048576, Mode: 0o1777 } },
    ]);
    expect(body.HostConfig.Tmpfs).toEqual({ '/run': 'size=64m' });
    expect(body.HostConfig.VolumesFrom).toEqual(['legacy:ro']);
  });

  it('secrets and configs from files are read-only binds; content is copied in after create', () => {
    const opts = create(
      { image: 'x', secrets: [{ source: 'token' }, { source: 'key', target: 'api.key' }], configs: [{ source: 'nginx' }, { source: 'inline', target: '/etc/app.conf', mode: 0o440 }] },
      {
        secrets: { token: { file: '/srv/shop/token.txt' }, key: { file: '/srv/shop/key' } },
        configs: { nginx: { file: '/srv/shop/nginx.conf' }, inline: { content: 'debug=true\n' } },
      },
    );
    expect(opts.body.HostConfig.Binds).toEqual([
      '/srv/shop/token.txt:/run/secrets/token:ro',
      '/srv/shop/key:/run/secrets/api.key:ro',
      '/srv/shop/nginx.conf:/nginx:ro',
    ]);
    expect(opts.injections).toEqual([{ path: '/etc/app.conf', content: 'debug=true\n', mode: 0o440 }]);
  });
});

describe('toCreateOptions: networks', () => {
  it('the first network (by priority, then name) at create, the others connected after, each with aliases and addresses', () => {
    const opts = create(
      {
        image: 'x',
        networks: {
          back: { aliases: ['api'], ipv4_address: '172.28.0.10' },
          front: null,
          admin: { priority: 10 },
        },
      },
      { networkNames: { back: 'shop_back', front: 'shop_front', admin: 'corp-admin' } },
    );
    expect(opts.body.HostConfig.NetworkMode).toBe('corp-admin');
    expect(opts.body.NetworkingConfig).toEqual({ EndpointsConfig: { 'corp-admin': { Aliases: ['shop-web-1', 'web'] } } });
    expect(opts.extraNetworks).toEqual([
      { network: 'shop_back', endpoint: { Aliases: ['shop-web-1', 'web', 'api'], IPAMConfig: { IPv4Address: '172.28.0.10' } } },
      { network: 'shop_front', endpoint: { Aliases: ['shop-web-1', 'web'] } },
    ]);
  });

  it('a one-off replica is reachable by its container name only', () => {
    const opts = create({ image: 'x', networks: { default: { aliases: ['a'] } } }, { oneoff: true, number: 0, name: 'shop-web-run-abc' });
    expect(opts.body.NetworkingConfig?.EndpointsConfig.shop_default?.Aliases).toEqual(['shop-web-run-abc']);
  });

  it('links become endpoint links to the linked service container', () => {
    const opts = create({ image: 'x', networks: { default: null }, links: ['db', 'cache:redis'] }, {}, { containerOf: (s) => `id-${s}` });
    expect(opts.body.NetworkingConfig?.EndpointsConfig.shop_default?.Links).toEqual(['id-db:db', 'id-cache:redis']);
  });

  it('network_mode host/none pass through; service:x resolves to the container; a missing one is an error', () => {
    expect(create({ image: 'x', network_mode: 'host' }).body.HostConfig.NetworkMode).toBe('host');
    expect(create({ image: 'x', network_mode: 'none' }).body).not.toHaveProperty('NetworkingConfig');
    expect(create({ image: 'x', network_mode: 'container:abc' }).body.HostConfig.NetworkMode).toBe('container:abc');
    const ctx: CreateContext = { containerOf: (s) => (s === 'vpn' ? 'c0ffee' : undefined) };
    expect(create({ image: 'x', network_mode: 'service:vpn' }, {}, ctx).body.HostConfig.NetworkMode).toBe('container:c0ffee');
    expect(() => create({ image: 'x', network_mode: 'service:db' }, {}, ctx)).toThrow(TugError);
    expect(() => create({ image: 'x', network_mode: 'service:db' }, {}, ctx)).toThrow(/service "db" has no container/);
  });

  it('volumes_from a service names its container', () => {
    const ctx: CreateContext = { containerOf: (s) => `id-${s}` };
    expect(create({ image: 'x', volumes_from: ['data:ro', 'logs'] }, {}, ctx).body.HostConfig.VolumesFrom).toEqual(['id-data:ro', 'id-logs']);
  });
});

describe('toCreateOptions: host settings and resources', () => {
  it('capabilities, privileges, dns, hosts, sysctls, ulimits, devices, shm', () => {
    const { HostConfig } = create({
      image: 'x',
      cap_add: ['NET_ADMIN'],
      cap_drop: ['ALL'],
      privileged: true,
      read_only: true,
      init: true,
      shm_size: 67108864,
      ulimits: { nofile: { soft: 1024, hard: 2048 }, nproc: 512 },
      sysctls: { 'net.core.somaxconn': '1024' },
      extra_hosts: { db: ['10.0.0.2'], v6: ['::1'] },
      dns: ['1.1.1.1'],
      dns_search: ['corp.local'],
      dns_opt: ['ndots:2'],
      devices: [{ source: '/dev/fuse', target: '/dev/fuse', permissions: 'rwm' }],
    }).body;
    expect(HostConfig).toMatchObject({
      CapAdd: ['NET_ADMIN'],
      CapDrop: ['ALL'],
      Privileged: true,
      ReadonlyRootfs: true,
      Init: true,
      ShmSize: 67108864,
      Ulimits: [
        { Name: 'nofile', Soft: 1024, Hard: 2048 },
        { Name: 'nproc', Soft: 512, Hard: 512 },
      ],
      Sysctls: { 'net.core.somaxconn': '1024' },
      ExtraHosts: ['db:10.0.0.2', 'v6:::1'],
      Dns: ['1.1.1.1'],
      DnsSearch: ['corp.local'],
      DnsOptions: ['ndots:2'],
      Devices: [{ PathOnHost: '/dev/fuse', PathInContainer: '/dev/fuse', CgroupPermissions: 'rwm' }],
    });
  });

  it('deploy.resources.limits win over mem_limit/cpus/pids_limit', () => {
    expect(create({ image: 'x', mem_limit: 268435456, cpus: 0.5, pids_limit: 100 }).body.HostConfig).toMatchObject({
      Memory: 268435456,
      NanoCpus: 500_000_000,
      PidsLimit: 100,
    });
    const limited = create({ image: 'x', mem_limit: 1, cpus: 4, deploy: { resources: { limits: { memory: 536870912, cpus: 1.5, pids: 50 } } } });
    expect(limited.body.HostConfig).toMatchObject({ Memory: 536870912, NanoCpus: 1_500_000_000, PidsLimit: 50 });
  });
});

describe('toCreateOptions: anonymous volumes', () => {
  it('the label records every anonymous target: unnamed volume mounts and the image VOLUMEs nothing mounts over', () => {
    const { body } = create(
      {
        image: 'x',
        volumes: [
          { type: 'volume', target: '/var/lib/db', volume: {} },
          { type: 'volume', source: 'data', target: '/data' },
          { type: 'bind', source: '/srv/cfg', target: '/cfg' },
        ],
        tmpfs: ['/scratch'],
      },
      { volumeNames: { data: 'shop_data' } },
      { imageVolumes: ['/cfg', '/data', '/scratch/', '/image-volume', '/odd,path'] },
    );
    expect(body.Labels['dev.tug.anonymous-volumes']).toBe('/image-volume,/odd%2Cpath,/var/lib/db');
    expect(parseTargetsLabel(body.Labels['dev.tug.anonymous-volumes'])).toEqual(['/image-volume', '/odd,path', '/var/lib/db']);
  });

  it('no anonymous volume, no label; with volumes_from the image VOLUMEs may be the other container\'s, so they are not counted', () => {
    expect(create({ image: 'x', volumes: [{ type: 'volume', source: 'data', target: '/data' }] }, { volumeNames: { data: 'shop_data' } }).body.Labels).not.toHaveProperty(
      'dev.tug.anonymous-volumes',
    );
    expect(create({ image: 'x', volumes_from: ['container:data'] }, {}, { imageVolumes: ['/data'] }).body.Labels).not.toHaveProperty('dev.tug.anonymous-volumes');
  });

  it('a recreate mounts the replaced replica\'s volumes at the anonymous targets, and nowhere else', () => {
    const { body } = create(
      { image: 'x', volumes: [{ type: 'volume', target: '/var/lib/db', volume: {} }, { type: 'bind', source: '/srv/cfg', target: '/cfg' }] },
      { inheritedVolumes: { '/var/lib/db': 'a'.repeat(64), '/image-volume': 'b'.repeat(64), '/cfg': 'c'.repeat(64), '/gone': 'd'.repeat(64) } },
      { imageVolumes: ['/image-volume'] },
    );
    expect(body.HostConfig.Mounts).toEqual([
      { Type: 'volume', Source: 'a'.repeat(64), Target: '/var/lib/db' },
      { Type: 'bind', Source: '/srv/cfg', Target: '/cfg' },
      { Type: 'volume', Source: 'b'.repeat(64), Target: '/image-volume' },
    ]);
  });
});
