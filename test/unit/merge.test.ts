import { describe, expect, it } from 'vitest';
import { mergeExtended, mergeModels, mergeService } from '../../src/core/load/merge.js';
import { parseYaml } from '../../src/core/load/parse.js';
import { YamlTag } from '../../src/core/load/yaml-tags.js';

const reset = (value: unknown = null) => new YamlTag('!reset', value);
const override = (value: unknown) => new YamlTag('!override', value);

function containsTag(value: unknown): boolean {
  if (value instanceof YamlTag) return true;
  if (Array.isArray(value)) return value.some(containsTag);
  if (value !== null && typeof value === 'object') return Object.values(value).some(containsTag);
  return false;
}

describe('mergeService: scalars, mappings, sequences', () => {
  it('lets the override win for scalars and keeps the rest', () => {
    const out = mergeService({ image: 'nginx:1', restart: 'always' }, { image: 'nginx:2', user: 'app' });
    expect(out).toEqual({ image: 'nginx:2', restart: 'always', user: 'app' });
  });

  it('replaces command and entrypoint instead of appending', () => {
    const out = mergeService(
      { command: ['echo', 'foo'], entrypoint: ['/bin/sh', '-c'] },
      { command: ['echo', 'bar'], entrypoint: '/entry.sh' },
    );
    expect(out.command).toEqual(['echo', 'bar']);
    expect(out.entrypoint).toBe('/entry.sh');
  });

  it('appends ordinary sequences', () => {
    const out = mergeService({ volumes_from: ['a'] }, { volumes_from: ['b'] });
    expect(out.volumes_from).toEqual(['a', 'b']);
  });

  it('keeps the base when the override key is empty (null)', () => {
    expect(mergeService({ image: 'x', environment: ['A=1'] }, { environment: null })).toEqual({
      image: 'x',
      environment: ['A=1'],
    });
  });

  it('deep-merges unknown mappings such as ulimits, replacing a scalar by a mapping', () => {
    const out = mergeService(
      { ulimits: { nproc: 65535, nofile: { soft: 1, hard: 2 } } },
      { ulimits: { nproc: { soft: 10, hard: 20 }, nofile: { hard: 4 } } },
    );
    expect(out.ulimits).toEqual({ nproc: { soft: 10, hard: 20 }, nofile: { soft: 1, hard: 4 } });
  });
});

describe('mergeService: keyed lists', () => {
  it('merges environment given as list and map by key, override winning', () => {
    const out = mergeService(
      { environment: ['A=1', 'B=2', 'BARE', 'EQ=x=y'] },
      { environment: { B: 'two', C: 3 } },
    );
    expect(out.environment).toEqual({ A: '1', B: 'two', BARE: null, EQ: 'x=y', C: 3 });
  });

  it('merges a map base with a list override', () => {
    const out = mergeService({ environment: { A: '1', B: '2' } }, { environment: ['B=3', 'D'] });
    expect(out.environment).toEqual({ A: '1', B: '3', D: null });
  });

  it('merges labels, annotations, sysctls and build.args the same way', () => {
    const out = mergeService(
      {
        labels: ['com.example.a=1'],
        annotations: { x: '1' },
        sysctls: ['net.core.somaxconn=1024'],
        build: { context: '.', args: ['V=1', 'W=2'] },
      },
      {
        labels: { 'com.example.a': '2', 'com.example.b': '3' },
        annotations: ['y=2'],
        sysctls: { 'net.core.somaxconn': 2048 },
        build: { args: { W: 'two' } },
      },
    );
    expect(out.labels).toEqual({ 'com.example.a': '2', 'com.example.b': '3' });
    expect(out.annotations).toEqual({ x: '1', y: '2' });
    expect(out.sysctls).toEqual({ 'net.core.somaxconn': 2048 });
    expect(out.build).toEqual({ context: '.', args: { V: '1', W: 'two' } });
  });

  it('merges extra_hosts by host name for both separators', () => {
    const out = mergeService(
      { extra_hosts: ['db:10.0.0.1', 'cache=10.0.0.2'] },
      { extra_hosts: ['db=10.0.0.9', 'v6:::1'] },
    );
    expect(out.extra_hosts).toEqual({ db: '10.0.0.9', cache: '10.0.0.2', v6: '::1' });
  });

  it('deduplicates env_file, dns, dns_search, dns_opt and tmpfs', () => {
    const out = mergeService(
      {
        env_file: ['a.env', { path: 'b.env', required: true }],
        dns: '8.8.8.8',
        dns_search: ['example.com'],
        dns_opt: ['use-vc'],
        tmpfs: ['/run', '/tmp:size=64m'],
      },
      {
        env_file: [{ path: 'b.env', required: false }, 'c.env', 'a.env'],
        dns: ['8.8.8.8', '1.1.1.1'],
        dns_search: 'example.com',
        dns_opt: ['use-vc', 'no-tld-query'],
        tmpfs: '/tmp:size=128m',
      },
    );
    expect(out.env_file).toEqual(['a.env', { path: 'b.env', required: false }, 'c.env']);
    expect(out.dns).toEqual(['8.8.8.8', '1.1.1.1']);
    expect(out.dns_search).toEqual(['example.com']);
    expect(out.dns_opt).toEqual(['use-vc', 'no-tld-query']);
    expect(out.tmpfs).toEqual(['/run', '/tmp:size=128m']);
  });

  it('deduplicates expose, cap_add, cap_drop, links, profiles, security_opt, group_add, external_links', () => {
    const keys = ['expose', 'cap_add', 'cap_drop', 'links', 'profiles', 'security_opt', 'group_add', 'external_links'];
    const base = Object.fromEntries(keys.map((k) => [k, ['a', 'b']]));
    const over = Object.fromEntries(keys.map((k) => [k, ['b', 'c']]));
    const out = mergeService(base, over);
    for (const k of keys) expect(out[k]).toEqual(['a', 'b', 'c']);
  });
});

describe('mergeService: unique resources', () => {
  it('appends ports and drops duplicates, short by string and long by binding', () => {
    const out = mergeService(
      { ports: ['8080:80', { target: 443, published: '8443', protocol: 'tcp' }, { target: 9000 }] },
      {
        ports: [
          '8080:80',
          '9090:90',
          { target: 443, published: '8443', host_ip: '0.0.0.0' },
          { target: 9000 },
        ],
      },
    );
    expect(out.ports).toEqual([
      '8080:80',
      { target: 443, published: '8443', host_ip: '0.0.0.0' },
      { target: 9000 },
      '9090:90',
      { target: 9000 }, // unpublished ports never collide
    ]);
  });

  it('replaces the volume at the same target in place, across short and long syntax', () => {
    const out = mergeService(
      { volumes: ['./data:/data:ro', 'cache:/cache', '/anon'] },
      { volumes: [{ type: 'volume', source: 'data', target: '/data' }, '/anon', 'logs:/logs'] },
    );
    expect(out.volumes).toEqual([
      { type: 'volume', source: 'data', target: '/data' },
      'cache:/cache',
      '/anon',
      'logs:/logs',
    ]);
  });

  it('keeps a Windows drive letter whole when finding a volume target', () => {
    const out = mergeService({ volumes: ['C:\\data:/data'] }, { volumes: ['D:\\other:/data:ro'] });
    expect(out.volumes).toEqual(['D:\\other:/data:ro']);
  });

  it('makes secrets and configs unique by target, with the default mount paths', () => {
    const out = mergeService(
      { secrets: ['db_pass', { source: 'api', target: '/etc/api' }], configs: ['app', 'other'] },
      {
        secrets: [{ source: 'db_pass_v2', target: '/run/secrets/db_pass' }, { source: 'api', target: 'api' }],
        configs: [{ source: 'app2', target: '/app' }],
      },
    );
    expect(out.secrets).toEqual([
      { source: 'db_pass_v2', target: '/run/secrets/db_pass' },
      { source: 'api', target: '/etc/api' },
      { source: 'api', target: 'api' },
    ]);
    expect(out.configs).toEqual([{ source: 'app2', target: '/app' }, 'other']);
  });

  it('makes devices unique by container path', () => {
    const out = mergeService(
      { devices: ['/dev/ttyUSB0:/dev/ttyUSB0', '/dev/sda'] },
      { devices: ['/dev/ttyUSB1:/dev/ttyUSB0:rwm', { source: '/dev/sdb', target: '/dev/sda' }] },
    );
    expect(out.devices).toEqual(['/dev/ttyUSB1:/dev/ttyUSB0:rwm', { source: '/dev/sdb', target: '/dev/sda' }]);
  });
});

describe('mergeService: list-or-map keys', () => {
  it('turns depends_on lists into maps with defaults, then deep-merges', () => {
    const out = mergeService(
      { depends_on: ['db', 'cache'] },
      { depends_on: { db: { condition: 'service_healthy' }, queue: { condition: 'service_started' } } },
    );
    expect(out.depends_on).toEqual({
      db: { condition: 'service_healthy', required: true },
      cache: { condition: 'service_started', required: true },
      queue: { condition: 'service_started' },
    });
  });

  it('turns service networks lists into maps and deduplicates aliases', () => {
    const out = mergeService(
      { networks: { front: { aliases: ['web', 'www'] }, back: null } },
      { networks: ['front', 'extra'] },
    );
    expect(out.networks).toEqual({ front: { aliases: ['web', 'www'] }, back: null, extra: null });
    const more = mergeService(
      { networks: ['front'] },
      { networks: { front: { aliases: ['web'] } } },
    );
    expect(more.networks).toEqual({ front: { aliases: ['web'] } });
    const aliases = mergeService(
      { networks: { front: { aliases: ['web', 'www'] } } },
      { networks: { front: { aliases: ['www', 'api'] } } },
    );
    expect(aliases.networks).toEqual({ front: { aliases: ['web', 'www', 'api'] } });
  });

  it('turns a build string into a context and merges', () => {
    expect(mergeService({ build: './app' }, { build: { dockerfile: 'Dockerfile.dev' } }).build).toEqual({
      context: './app',
      dockerfile: 'Dockerfile.dev',
    });
    expect(mergeService({ build: { context: '.', target: 'prod' } }, { build: './other' }).build).toEqual({
      context: './other',
      target: 'prod',
    });
  });

  it('merges logging options when the driver is the same or absent, replaces otherwise', () => {
    const base = { logging: { driver: 'json-file', options: { 'max-size': '10m', 'max-file': '3' } } };
    expect(mergeService(base, { logging: { options: { 'max-size': '20m' } } }).logging).toEqual({
      driver: 'json-file',
      options: { 'max-size': '20m', 'max-file': '3' },
    });
    expect(
      mergeService(base, { logging: { driver: 'json-file', options: { compress: 'true' } } }).logging,
    ).toEqual({ driver: 'json-file', options: { 'max-size': '10m', 'max-file': '3', compress: 'true' } });
    expect(mergeService(base, { logging: { driver: 'syslog', options: { tag: 'x' } } }).logging).toEqual({
      driver: 'syslog',
      options: { tag: 'x' },
    });
  });

  it('replaces healthcheck.test but keeps the other healthcheck fields', () => {
    const out = mergeService(
      { healthcheck: { test: ['CMD', 'curl', '-f', 'http://localhost'], interval: '30s', retries: 3 } },
      { healthcheck: { test: ['CMD-SHELL', 'true'], retries: 5 } },
    );
    expect(out.healthcheck).toEqual({ test: ['CMD-SHELL', 'true'], interval: '30s', retries: 5 });
  });

  it('lets the override extends win', () => {
    expect(mergeService({ extends: 'a' }, { extends: { service: 'b', file: 'b.yaml' } }).extends).toEqual({
      service: 'b',
      file: 'b.yaml',
    });
  });
});

describe('!reset and !override', () => {
  it('!reset removes a key, and a nested entry', () => {
    const out = mergeService(
      { image: 'x', command: 'sleep 1', environment: { FOO: '1', BAR: '2' }, ports: ['80:80'] },
      { command: reset(), environment: { FOO: reset() }, ports: reset([]) },
    );
    expect(out).toEqual({ image: 'x', environment: { BAR: '2' } });
  });

  it('!reset of a nested mapping entry and of a whole mapping', () => {
    const out = mergeService(
      { build: { context: '.', args: { A: '1' } }, depends_on: { db: { condition: 'service_healthy' } } },
      { build: { args: reset({}) }, depends_on: { db: reset() } },
    );
    expect(out).toEqual({ build: { context: '.' }, depends_on: {} });
  });

  it('!override replaces a list and a mapping instead of merging', () => {
    const out = mergeService(
      { ports: ['80:80', '443:443'], environment: { A: '1', B: '2' } },
      { ports: override(['8080:80']), environment: override({ C: '3' }) },
    );
    expect(out.ports).toEqual(['8080:80']);
    expect(out.environment).toEqual({ C: '3' });
  });

  it('drops a reset with nothing to reset and unwraps a lone override', () => {
    const out = mergeService({ image: 'x' }, { ports: reset([]), labels: override({ a: '1' }) });
    expect(out).toEqual({ image: 'x', labels: { a: '1' } });
  });

  it('leaves no tag anywhere in a merged model, even in parts only one side has', () => {
    const out = mergeModels(
      { services: { a: { image: 'a', environment: { X: reset() } } } },
      {
        services: {
          a: { labels: { l: override('1') } },
          b: { image: 'b', ports: reset([]), networks: { front: { aliases: override(['x']) } } },
        },
        networks: { front: { labels: reset() } },
      },
    );
    expect(containsTag(out)).toBe(false);
    expect(out.services).toEqual({
      a: { image: 'a', environment: {}, labels: { l: '1' } },
      b: { image: 'b', networks: { front: { aliases: ['x'] } } },
    });
  });

  it('!reset removes a whole service', () => {
    const out = mergeModels({ services: { a: { image: 'a' }, b: { image: 'b' } } }, { services: { b: reset() } });
    expect(out.services).toEqual({ a: { image: 'a' } });
  });
});

describe('mergeModels', () => {
  it('merges services by name and top-level resources by key', () => {
    const out = mergeModels(
      {
        name: 'one',
        services: { web: { image: 'web:1', ports: ['80:80'] }, db: { image: 'pg' } },
        networks: { front: { driver: 'bridge', labels: ['a=1'] } },
        volumes: { data: { driver: 'local' } },
        secrets: { token: { file: './token' } },
        include: ['a.yaml'],
      },
      {
        name: 'two',
        services: { web: { image: 'web:2', ports: ['80:80', '443:443'] }, cache: { image: 'redis' } },
        networks: { front: { labels: { b: '2' } }, back: {} },
        volumes: { data: { driver_opts: { type: 'tmpfs' } } },
        secrets: { token: { environment: 'TOKEN' } },
        include: ['b.yaml'],
      },
    );
    expect(out).toEqual({
      name: 'two',
      services: {
        web: { image: 'web:2', ports: ['80:80', '443:443'] },
        db: { image: 'pg' },
        cache: { image: 'redis' },
      },
      networks: { front: { driver: 'bridge', labels: { a: '1', b: '2' } }, back: {} },
      volumes: { data: { driver: 'local', driver_opts: { type: 'tmpfs' } } },
      secrets: { token: { file: './token', environment: 'TOKEN' } },
      include: ['a.yaml', 'b.yaml'],
    });
  });

  it('deep-merges x- extension keys at the top level and in services', () => {
    const out = mergeModels(
      { 'x-common': { a: 1, nested: { b: 2 } }, services: { s: { 'x-meta': { owner: 'me' } } } },
      { 'x-common': { nested: { c: 3 } }, services: { s: { 'x-meta': { team: 'ops' } } } },
    );
    expect(out['x-common']).toEqual({ a: 1, nested: { b: 2, c: 3 } });
    expect(out.services).toEqual({ s: { 'x-meta': { owner: 'me', team: 'ops' } } });
  });

  it('never mutates its inputs and shares no objects with them', () => {
    const base = {
      services: { web: { image: 'a', environment: ['A=1'], ports: ['80:80'], build: './app' } },
      'x-y': { deep: { list: [1] } },
    };
    const over = {
      services: { web: { environment: { B: '2' }, ports: override(['81:80']), build: { target: 'dev' } } },
      'x-y': { deep: { list: [2] } },
    };
    const baseCopy = structuredClone(base);
    const overSnapshot = JSON.stringify(over);
    const out = mergeModels(base, over);
    expect(base).toEqual(baseCopy);
    expect(JSON.stringify(over)).toBe(overSnapshot);
    (out['x-y'] as { deep: { list: number[] } }).deep.list.push(3);
    expect(base['x-y'].deep.list).toEqual([1]);
    expect(over['x-y'].deep.list).toEqual([2]);
  });

  it('merges 1000 services quickly', () => {
    const services = (tag: string) =>
      Object.fromEntries(
        Array.from({ length: 1000 }, (_, i) => [
          `svc${i}`,
          { image: `img:${tag}`, environment: [`I=${i}`, `T=${tag}`], ports: [`${10000 + i}:80`], depends_on: ['db'] },
        ]),
      );
    const start = performance.now();
    const out = mergeModels({ services: services('a') }, { services: services('b') });
    const elapsed = performance.now() - start;
    expect(Object.keys(out.services as object)).toHaveLength(1000);
    expect(elapsed).toBeLessThan(1000); // generous: a sanity bound, not a benchmark
  });
});

describe('mergeExtended', () => {
  it('applies the merge rules and drops the extends key', () => {
    const out = mergeExtended(
      { image: 'base', command: 'sleep infinity', environment: ['A=1'], ports: ['8000:8000'] },
      { extends: { service: 'init' }, command: ['run'], environment: { B: '2' }, ports: ['8000:8000'] },
    );
    expect(out).toEqual({ image: 'base', command: ['run'], environment: { A: '1', B: '2' }, ports: ['8000:8000'] });
  });

  it('honours !reset from parsed YAML (compose-go extends/reset.yaml)', () => {
    const { value } = parseYaml(
      'reset.yaml',
      'services:\n  init:\n    image: alpine:latest\n    command: "sleep infinity"\n  base:\n    extends: { service: init }\n    command: !reset\n',
    );
    const services = (value as { services: Record<string, Record<string, unknown>> }).services;
    const out = mergeExtended(services.init!, services.base!);
    expect(out).toEqual({ image: 'alpine:latest' });
  });
});
