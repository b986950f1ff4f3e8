// The docker backend's readers of engine output, with literal bytes: log
// frames, status texts, events, DOCKER_HOST, and the image decision table.
import { describe, expect, it } from 'vitest';
import { TugError } from '../../src/core/errors.js';
import { parseDockerHost } from '../../src/runtime/docker/connection.js';
import { engineTime, toAction } from '../../src/runtime/docker/events.js';
import { imageAction } from '../../src/runtime/docker/images.js';
import { keyToEngineTime, LogDecoder, sortableTime } from '../../src/runtime/docker/log-decoder.js';
import { approximateAge, fromListing } from '../../src/runtime/docker/observe.js';
import { validateForDocker } from '../../src/runtime/docker/validate.js';
import { projectLiteral } from '../helpers/project-literal.js';

function frame(stream: 1 | 2, text: string): Buffer {
  const body = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}

describe('LogDecoder', () => {
  it('demultiplexes frames into timestamped lines, across chunk boundaries', () => {
    const bytes = Buffer.concat([
      frame(1, '2024-05-01T10:00:00.000000001Z hello\n'),
      frame(2, '2024-05-01T10:00:00.5Z oops\n2024-05-01T10:00:01Z second'),
      frame(2, ' half\n'),
    ]);
    const decoder = new LogDecoder();
    const lines = [...decoder.push(bytes.subarray(0, 13)), ...decoder.push(bytes.subarray(13)), ...decoder.flush()];
    expect(lines.map((l) => [l.stream, l.text])).toEqual([
      ['stdout', 'hello'],
      ['stderr', 'oops'],
      ['stderr', 'second half'],
    ]);
    expect(lines[0]!.key).toBe('2024-05-01T10:00:00.000000001Z');
    expect(lines[1]!.time).toBe('2024-05-01T10:00:00.500Z');
  });

  it('raw (TTY) output is stdout, with \\r\\n endings trimmed', () => {
    const decoder = new LogDecoder();
    const lines = decoder.push(Buffer.from('2024-05-01T10:00:00Z tty line\r\n'));
    expect(lines).toEqual([{ stream: 'stdout', time: '2024-05-01T10:00:00.000Z', key: '2024-05-01T10:00:00.000000000Z', text: 'tty line' }]);
  });

  it('keys sort as text and convert back to the engine form for `since`', () => {
    expect(sortableTime('2024-05-01T10:00:00.5Z')! < sortableTime('2024-05-01T10:00:00.05Z')!).toBe(false);
    expect(keyToEngineTime('1970-01-01T00:00:10.000000042Z')).toBe('10.000000042');
    expect(engineTime(10_250)).toBe('10.250000000');
  });
});

describe('observe from a container listing', () => {
  const listing = (State: string, Status: string) =>
    ({
      Id: 'abc',
      Names: ['/shop-web-2'],
      Image: 'nginx',
      Command: 'nginx -g',
      Created: 1_700_000_000,
      State,
      Status,
      Labels: { 'com.docker.compose.project': 'shop', 'com.docker.compose.service': 'web', 'com.docker.compose.container-number': '2', 'com.docker.compose.oneoff': 'False' },
      Ports: [
        { IP: '0.0.0.0', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' },
        { PrivatePort: 443, Type: 'tcp' },
      ],
    }) as never;

  it('name, number, state, health and published ports', () => {
    const r = fromListing(listing('running', 'Up 5 minutes (healthy)'), Date.parse('2024-01-01T00:10:00Z'));
    expect(r).toMatchObject({ id: 'abc', name: 'shop-web-2', project: 'shop', service: 'web', number: 2, oneoff: false, state: 'running', health: 'healthy' });
    expect(r.startedAt).toBe('2024-01-01T00:05:00.000Z');
    expect(r.ports).toEqual([{ hostIp: '0.0.0.0', published: 8080, target: 80, protocol: 'tcp' }]);
    // The engine lists an exposed, unpublished port without a PublicPort: ps shows it as 443/tcp.
    expect(r.exposed).toEqual([{ target: 443, protocol: 'tcp' }]);
  });

  it('exit code from the status text; "health: starting"', () => {
    expect(fromListing(listing('exited', 'Exited (137) 2 seconds ago')).exitCode).toBe(137);
    expect(fromListing(listing('running', 'Up 1 second (health: starting)')).health).toBe('starting');
  });

  it('anonymous volumes are the mounts at the targets the label records, whatever the volume names', () => {
    const hex = (c: string) => c.repeat(64);
    const c = {
      ...(listing('running', 'Up 1 second') as object),
      Labels: { 'com.docker.compose.project': 'shop', 'dev.tug.anonymous-volumes': '/anon' },
      Mounts: [
        { Type: 'volume', Name: hex('a'), Destination: '/anon' },
        { Type: 'volume', Name: hex('e'), Destination: '/external' },
        { Type: 'bind', Source: '/srv', Destination: '/srv' },
      ],
    } as never;
    expect(fromListing(c).anonymousVolumes).toEqual({ '/anon': hex('a') });
    // Without tug's label (made by another tool) nothing is taken for anonymous, not even a 64-hex name.
    const unlabelled = { ...(c as object), Labels: { 'com.docker.compose.project': 'shop' } } as never;
    expect(fromListing(unlabelled).anonymousVolumes).toBeUndefined();
  });

  it('human durations', () => {
    expect(approximateAge('Less than a second')).toBe(0);
    expect(approximateAge('About a minute')).toBe(60_000);
    expect(approximateAge('About an hour')).toBe(3_600_000);
    expect(approximateAge('3 days')).toBe(259_200_000);
  });
});

describe('events', () => {
  it('engine actions map to replica events; the rest are ignored', () => {
    expect(toAction('start')).toBe('start');
    expect(toAction('destroy')).toBe('remove');
    expect(toAction('oom')).toBe('oom');
    expect(toAction('health_status: unhealthy')).toBe('health');
    expect(toAction('exec_start: sh')).toBeUndefined();
    expect(toAction('attach')).toBeUndefined();
  });
});

describe('DOCKER_HOST', () => {
  it('the default socket, unix://, tcp:// and a bare host:port', () => {
    expect(parseDockerHost({})).toEqual({ endpoint: 'unix:///var/run/docker.sock', options: { socketPath: '/var/run/docker.sock' } });
    expect(parseDockerHost({ DOCKER_HOST: 'unix:///run/user/1000/docker.sock' }).options).toEqual({ socketPath: '/run/user/1000/docker.sock' });
    expect(parseDockerHost({ DOCKER_HOST: 'tcp://10.0.0.5:2375' })).toEqual({
      endpoint: 'tcp://10.0.0.5:2375',
      options: { host: '10.0.0.5', port: 2375, protocol: 'http' },
    });
    expect(parseDockerHost({ DOCKER_HOST: 'localhost:2375' }).options).toMatchObject({ host: 'localhost', port: 2375 });
  });

  it('ssh:// is refused with a TugError', () => {
    expect(() => parseDockerHost({ DOCKER_HOST: 'ssh://me@host' })).toThrow(TugError);
  });
});

describe('imageAction', () => {
  const flags = { build: 'missing' as const };
  it('image only: missing → pull; present → use; always → pull; never and missing → error', () => {
    expect(imageAction({ image: 'a' }, false, flags)).toBe('pull');
    expect(imageAction({ image: 'a' }, true, flags)).toBe('use');
    expect(imageAction({ image: 'a', pull_policy: 'always' }, true, flags)).toBe('pull');
    expect(imageAction({ image: 'a', pull_policy: 'never' }, false, flags)).toBeInstanceOf(TugError);
    expect(imageAction({ image: 'a' }, true, { build: 'missing', pull: 'always' })).toBe('pull');
  });

  it('build: built when missing, when --build, or pull_policy build; --no-build never builds', () => {
    const build = { context: '/x' };
    expect(imageAction({ build }, false, flags)).toBe('build');
    expect(imageAction({ build }, true, flags)).toBe('use');
    expect(imageAction({ build }, true, { build: 'always' })).toBe('build');
    expect(imageAction({ build, image: 'a', pull_policy: 'build' }, true, flags)).toBe('build');
    expect(imageAction({ build, image: 'a' }, false, flags)).toBe('pull-or-build');
    expect(imageAction({ build }, false, { build: 'never' })).toBeInstanceOf(TugError);
  });
});

describe('validateForDocker', () => {
  it('reports every service without image or build, and secrets it cannot mount, all at once', () => {
    const errors = validateForDocker(
      projectLiteral({
        name: 'p',
        workingDir: '/p',
        services: {
          ok: { image: 'a', secrets: [{ source: 'file' }] },
          bare: { command: ['x'] },
          alsoBare: {},
          env: { build: { context: '/p' }, secrets: [{ source: 'fromEnv' }], configs: [{ source: 'ext' }] },
        },
        secrets: { file: { file: '/p/s' }, fromEnv: { environment: 'TOKEN' } },
        configs: { ext: { external: true } },
      }),
    );
    expect(errors.map((e) => [e.code, e.path])).toEqual([
      ['docker.no-image', ['services', 'bare']],
      ['docker.no-image', ['services', 'alsoBare']],
      ['docker.secrets-source', ['services', 'env', 'secrets', 0]],
      ['docker.configs-source', ['services', 'env', 'configs', 0]],
    ]);
  });
});
