import { describe, expect, it } from 'vitest';
import { TugError } from '../../src/core/errors.js';
import { normalizeVolumes } from '../../src/core/load/normalize/volumes.js';

const ctx = { workingDir: '/proj', homeDir: '/home/ada' };

describe('normalizeVolumes: short syntax', () => {
  it('a relative source is a bind mount made absolute, creating the host path', () => {
    expect(normalizeVolumes(['./data:/var/lib/data'], ctx)).toEqual([
      { type: 'bind', source: '/proj/data', target: '/var/lib/data', bind: { create_host_path: true } },
    ]);
    expect(normalizeVolumes(['../shared:/s'], ctx)[0]!.source).toBe('/shared');
  });

  it('an absolute source is a bind mount, cleaned', () => {
    expect(normalizeVolumes(['/srv/app/:/app/'], ctx)).toEqual([
      { type: 'bind', source: '/srv/app', target: '/app', bind: { create_host_path: true } },
    ]);
  });

  it('~ expands to the home directory', () => {
    expect(normalizeVolumes(['~/.ssh:/root/.ssh:ro'], ctx)).toEqual([
      { type: 'bind', source: '/home/ada/.ssh', target: '/root/.ssh', read_only: true, bind: { create_host_path: true } },
    ]);
    expect(normalizeVolumes(['~:/h'], ctx)[0]!.source).toBe('/home/ada');
  });

  it('a plain name is a named volume', () => {
    expect(normalizeVolumes(['db-data:/var/lib/postgresql/data'], ctx)).toEqual([
      { type: 'volume', source: 'db-data', target: '/var/lib/postgresql/data', volume: {} },
    ]);
  });

  it('a single path is an anonymous volume', () => {
    expect(normalizeVolumes(['/cache'], ctx)).toEqual([{ type: 'volume', target: '/cache', volume: {} }]);
  });

  it('reads ro, rw, nocopy, SELinux and propagation options', () => {
    expect(normalizeVolumes(['data:/d:ro,nocopy'], ctx)).toEqual([
      { type: 'volume', source: 'data', target: '/d', read_only: true, volume: { nocopy: true } },
    ]);
    expect(normalizeVolumes(['./src:/app:rw,z,rshared'], ctx)).toEqual([
      { type: 'bind', source: '/proj/src', target: '/app', bind: { selinux: 'z', propagation: 'rshared', create_host_path: true } },
    ]);
    expect(normalizeVolumes(['./x:/x:Z,unknown-option'], ctx)[0]!.bind).toEqual({ selinux: 'Z', create_host_path: true });
  });
});

describe('normalizeVolumes: long syntax', () => {
  it('resolves a relative bind source and casts booleans', () => {
    expect(normalizeVolumes([{ type: 'bind', source: './conf', target: '/etc/conf', read_only: 'true' }], ctx)).toEqual([
      { type: 'bind', source: '/proj/conf', target: '/etc/conf', read_only: true },
    ]);
  });

  it('leaves named volume sources alone and casts nested options', () => {
    expect(
      normalizeVolumes([{ type: 'volume', source: 'data', target: '/d', volume: { nocopy: 'false', subpath: 'x' } }], ctx),
    ).toEqual([{ type: 'volume', source: 'data', target: '/d', volume: { nocopy: false, subpath: 'x' } }]);
  });

  it('reads tmpfs sizes as bytes', () => {
    expect(normalizeVolumes([{ type: 'tmpfs', target: '/tmp', tmpfs: { size: '64m', mode: '1777' } }], ctx)).toEqual([
      { type: 'tmpfs', target: '/tmp', tmpfs: { size: 64 * 1024 * 1024, mode: 0o1777 } },
    ]);
  });
});

describe('normalizeVolumes: duplicates and errors', () => {
  it('a later mount at the same target replaces the earlier one in place', () => {
    const mounts = normalizeVolumes(['a:/data', '/cache', './b:/data'], ctx);
    expect(mounts.map((m) => [m.type, m.source, m.target])).toEqual([
      ['bind', '/proj/b', '/data'],
      ['volume', undefined, '/cache'],
    ]);
  });

  it('reports malformed entries with their paths', () => {
    const sink: TugError[] = [];
    normalizeVolumes(['a:b:c:d', 'a::/x', '', 42, { type: 'bind', target: '/x' }, { type: 'volume' }], ctx, ['services', 'web', 'volumes'], sink);
    expect(sink.map((e) => [e.code, e.path![3]])).toEqual([
      ['normalize.volume', 0],
      ['normalize.volume', 1],
      ['normalize.volume', 2],
      ['normalize.volume', 3],
      ['normalize.volume', 4],
      ['normalize.volume', 5],
    ]);
  });
});
