import { describe, expect, it } from 'vitest';
import { DEFAULT_PATH, containerConfig, type ContainerConfigInput } from '../../src/core/images/container-config.js';
import type { ServiceSpec } from '../../src/core/model/types.js';

const PASSWD = 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:App:/home/app:/bin/sh\n# comment\nbroken line\n';
const GROUP = 'root:x:0:\nstaff:x:50:app,other\napp:x:1000:\n';

const input = (spec: ServiceSpec, image: ContainerConfigInput['image'] = {}, extra: Partial<ContainerConfigInput> = {}): ContainerConfigInput => ({
  service: 'web',
  spec,
  image,
  passwd: PASSWD,
  group: GROUP,
  hostname: 'web-1',
  ...extra,
});

describe('containerConfig', () => {
  const image = { Entrypoint: ['/entry.sh'], Cmd: ['serve', '--port', '80'], Env: ['PATH=/opt/bin:/bin', 'MODE=prod', 'A=1=2'], WorkingDir: '/srv', User: 'app' };

  it('runs the image\'s Entrypoint and Cmd by default, with its Env over the defaults', () => {
    const c = containerConfig(input({}, image));
    expect(c.argv).toEqual(['/entry.sh', 'serve', '--port', '80']);
    expect(c.env).toEqual({ PATH: '/opt/bin:/bin', HOSTNAME: 'web-1', MODE: 'prod', A: '1=2', HOME: '/home/app' });
    expect(c.workingDir).toBe('/srv');
    expect(c.user.uid).toBe(1000);
    expect(c.stopSignal).toBe('SIGTERM');
  });

  it('command: replaces Cmd only; entrypoint: replaces Entrypoint and drops Cmd', () => {
    expect(containerConfig(input({ command: ['debug'] }, image)).argv).toEqual(['/entry.sh', 'debug']);
    expect(containerConfig(input({ entrypoint: ['/bin/sh'] }, image)).argv).toEqual(['/bin/sh']);
    expect(containerConfig(input({ entrypoint: ['/bin/sh'], command: ['-c', 'x'] }, image)).argv).toEqual(['/bin/sh', '-c', 'x']);
    expect(containerConfig(input({ entrypoint: [''], command: ['ls'] }, image)).argv).toEqual(['ls']);
  });

  it('refuses a replica with nothing to run', () => {
    expect(() => containerConfig(input({}, {}))).toThrow(/service "web": no command specified/);
    expect(() => containerConfig(input({ entrypoint: [''] }, image))).toThrow(/no command specified/);
  });

  it('lets environment: win over the image, and keeps the default PATH when the image has none', () => {
    const c = containerConfig(input({ environment: { MODE: 'dev', EXTRA: 'x', UNSET: null } }, { Cmd: ['x'], Env: ['MODE=prod'] }, { tty: true }));
    expect(c.env).toEqual({ PATH: DEFAULT_PATH, HOSTNAME: 'web-1', TERM: 'xterm', MODE: 'dev', EXTRA: 'x', HOME: '/root' });
  });

  it('takes working_dir, user and stop_signal from the service over the image', () => {
    const c = containerConfig(input({ working_dir: '/w', user: '4242:4343', stop_signal: 'SIGQUIT' }, { ...image, StopSignal: 'SIGINT' }));
    expect([c.workingDir, c.user.uid, c.user.gid, c.stopSignal]).toEqual(['/w', 4242, 4343, 'SIGQUIT']);
    expect(containerConfig(input({}, { ...image, StopSignal: 'SIGINT' })).stopSignal).toBe('SIGINT');
  });

  it('unions exposed ports and puts the service\'s labels over the image\'s', () => {
    const c = containerConfig(input({ expose: ['9000', '53/udp', '80'], labels: { a: 'svc' } }, { ...image, ExposedPorts: { '80/tcp': {}, '443/tcp': {} }, Labels: { a: 'img', b: 'img' } }));
    expect(c.exposedPorts).toEqual(['53/udp', '80/tcp', '443/tcp', '9000/tcp']);
    expect(c.labels).toEqual({ a: 'svc', b: 'img' });
  });

  it('merges the healthcheck per field, reading the image\'s nanoseconds', () => {
    const hc = { Test: ['CMD', '/bin/true'], Interval: 5_000_000_000, Timeout: 2_000_000_000, Retries: 2, StartPeriod: 90_000_000_000 };
    expect(containerConfig(input({}, { ...image, Healthcheck: hc })).healthcheck).toEqual({ test: ['CMD', '/bin/true'], interval: '5s', timeout: '2s', start_period: '1m30s', retries: 2 });
    expect(containerConfig(input({ healthcheck: { interval: '1s', test: [] } }, { ...image, Healthcheck: hc })).healthcheck).toMatchObject({ test: ['CMD', '/bin/true'], interval: '1s', timeout: '2s' });
    expect(containerConfig(input({ healthcheck: { disable: true } }, { ...image, Healthcheck: hc })).healthcheck).toBeUndefined();
    expect(containerConfig(input({ healthcheck: { test: ['NONE'] } }, { ...image, Healthcheck: hc })).healthcheck).toBeUndefined();
    expect(containerConfig(input({}, { ...image, Healthcheck: { Test: ['NONE'] } })).healthcheck).toBeUndefined();
    expect(containerConfig(input({ healthcheck: { test: ['CMD-SHELL', 'true'] } }, image)).healthcheck).toEqual({ test: ['CMD-SHELL', 'true'] });
  });

  it('gives each image volume not mounted by the service an anonymous volume', () => {
    const c = containerConfig(input({ volumes: [{ type: 'volume', source: 'data', target: '/data/' }] }, { ...image, Volumes: { '/data': {}, '/cache': {}, 'rel': {} } }));
    expect(c.imageVolumes).toEqual(['/cache', '/rel']);
  });
});
