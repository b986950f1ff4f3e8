import { describe, expect, it } from 'vitest';
import { TugError } from '../../src/core/errors.js';
import { normalizePorts } from '../../src/core/load/normalize/ports.js';

const at = ['services', 'web', 'ports'];

function errorsOf(raw: unknown[]): TugError[] {
  const sink: TugError[] = [];
  normalizePorts(raw, at, sink);
  return sink;
}

describe('normalizePorts: short syntax', () => {
  it('"80" is a target with no published port', () => {
    expect(normalizePorts(['80'])).toEqual([{ mode: 'ingress', target: 80, protocol: 'tcp' }]);
  });

  it('a number works like its string', () => {
    expect(normalizePorts([80])).toEqual([{ mode: 'ingress', target: 80, protocol: 'tcp' }]);
  });

  it('"8080:80" publishes a host port as a string', () => {
    expect(normalizePorts(['8080:80'])).toEqual([{ mode: 'ingress', target: 80, published: '8080', protocol: 'tcp' }]);
  });

  it('prints keys in the order docker compose config does', () => {
    expect(Object.keys(normalizePorts(['127.0.0.1:8080:80'])[0]!)).toEqual(['mode', 'host_ip', 'target', 'published', 'protocol']);
  });

  it('"8080:80/udp" keeps the protocol', () => {
    expect(normalizePorts(['8080:80/udp'])).toEqual([{ mode: 'ingress', target: 80, published: '8080', protocol: 'udp' }]);
    expect(normalizePorts(['53/UDP'])[0]!.protocol).toBe('udp');
  });

  it('"127.0.0.1:8080:80" binds a host IP', () => {
    expect(normalizePorts(['127.0.0.1:8080:80'])).toEqual([
      { mode: 'ingress', host_ip: '127.0.0.1', target: 80, published: '8080', protocol: 'tcp' },
    ]);
  });

  it('"127.0.0.1::80" binds a host IP with a random host port', () => {
    expect(normalizePorts(['127.0.0.1::80'])).toEqual([{ mode: 'ingress', host_ip: '127.0.0.1', target: 80, protocol: 'tcp' }]);
  });

  it('"[::1]:8080:80" strips the IPv6 brackets', () => {
    expect(normalizePorts(['[::1]:8080:80'])).toEqual([
      { mode: 'ingress', host_ip: '::1', target: 80, published: '8080', protocol: 'tcp' },
    ]);
  });

  it('"8000-8002:80-82" expands into three ports', () => {
    expect(normalizePorts(['8000-8002:80-82'])).toEqual([
      { mode: 'ingress', target: 80, published: '8000', protocol: 'tcp' },
      { mode: 'ingress', target: 81, published: '8001', protocol: 'tcp' },
      { mode: 'ingress', target: 82, published: '8002', protocol: 'tcp' },
    ]);
  });

  it('"9090-9091:8080-8081" maps range to range', () => {
    expect(normalizePorts(['9090-9091:8080-8081']).map((p) => [p.published, p.target])).toEqual([
      ['9090', 8080],
      ['9091', 8081],
    ]);
  });

  it('"8000-8005:80" is one port with a dynamic host range', () => {
    expect(normalizePorts(['8000-8005:80'])).toEqual([{ mode: 'ingress', target: 80, published: '8000-8005', protocol: 'tcp' }]);
  });

  it('a container range without host ports expands without published ports', () => {
    expect(normalizePorts(['3000-3001'])).toEqual([
      { mode: 'ingress', target: 3000, protocol: 'tcp' },
      { mode: 'ingress', target: 3001, protocol: 'tcp' },
    ]);
  });

  it('orders a range like compose-go does (by text)', () => {
    expect(normalizePorts(['98-101']).map((p) => p.target)).toEqual([100, 101, 98, 99]);
  });
});

describe('normalizePorts: long syntax', () => {
  it('fills mode and protocol, turns published into a string', () => {
    expect(normalizePorts([{ target: 80, published: 8080 }])).toEqual([
      { mode: 'ingress', target: 80, published: '8080', protocol: 'tcp' },
    ]);
  });

  it('casts an interpolated string target and keeps the other fields', () => {
    const [port] = normalizePorts([
      { target: '80', published: '8080', protocol: 'udp', mode: 'host', host_ip: '0.0.0.0', name: 'web', app_protocol: 'http' },
    ]);
    expect(port).toEqual({
      name: 'web',
      mode: 'host',
      host_ip: '0.0.0.0',
      target: 80,
      published: '8080',
      protocol: 'udp',
      app_protocol: 'http',
    });
    expect(Object.keys(port!)).toEqual(['name', 'mode', 'host_ip', 'target', 'published', 'protocol', 'app_protocol']);
  });

  it('keeps a published range string', () => {
    expect(normalizePorts([{ target: 80, published: '8000-8010' }])[0]!.published).toBe('8000-8010');
  });
});

describe('normalizePorts: duplicates', () => {
  it('drops identical entries and keeps the first position', () => {
    expect(normalizePorts(['8080:80', '9090:90', '8080:80', { target: 80, published: '8080' }])).toEqual([
      { mode: 'ingress', target: 80, published: '8080', protocol: 'tcp' },
      { mode: 'ingress', target: 90, published: '9090', protocol: 'tcp' },
    ]);
  });

  it('keeps entries that differ by protocol or host IP', () => {
    expect(normalizePorts(['8080:80', '8080:80/udp', '127.0.0.1:8080:80'])).toHaveLength(3);
  });
});

describe('normalizePorts: errors', () => {
  it('a container range with a host range of another size is normalize.port', () => {
    const [err] = errorsOf(['80', '8000-8001:80-82']);
    expect(err).toBeInstanceOf(TugError);
    expect(err!.code).toBe('normalize.port');
    expect(err!.path).toEqual(['services', 'web', 'ports', 1]);
    expect(err!.message).toContain('8000-8001:80-82');
    expect(err!.expected).toContain('same size');
  });

  it('a single host port for a container range is an error', () => {
    expect(errorsOf(['8000:80-82'])[0]!.code).toBe('normalize.port');
  });

  it('reports every bad entry, not just the first', () => {
    const errors = errorsOf(['abc', '70000', '80/xyz', '1.2.3:80:80', '', 'host:80:80', '81-80', { published: 80 }, true]);
    expect(errors.map((e) => e.path![3])).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(errors.every((e) => e.code === 'normalize.port')).toBe(true);
  });

  it('a bad long-form target is reported at its path', () => {
    const errors = errorsOf([{ target: 'eighty' }]);
    expect(errors[0]!.path).toEqual(['services', 'web', 'ports', 0, 'target']);
  });

  it('throws without a sink', () => {
    expect(() => normalizePorts(['8000-8001:80-82'])).toThrow(TugError);
  });
});
