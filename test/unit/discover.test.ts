import { describe, expect, it } from 'vitest';
import { discoverFiles } from '../../src/core/load/discover.js';

const fsWith = (...paths: string[]) => (p: string) => paths.includes(p);

describe('discoverFiles', () => {
  it('searches upward for compose.yaml and adds the override file beside it', () => {
    const d = discoverFiles({
      cwd: '/repo/app/src',
      files: [],
      env: {},
      exists: fsWith('/repo/app/compose.yaml', '/repo/app/compose.override.yaml', '/repo/compose.yaml'),
    });
    expect(d.files).toEqual(['/repo/app/compose.yaml', '/repo/app/compose.override.yaml']);
    expect(d.workingDir).toBe('/repo/app');
  });

  it('prefers compose.yaml over docker-compose.yml and warns when several exist', () => {
    const d = discoverFiles({ cwd: '/r', files: [], env: {}, exists: fsWith('/r/compose.yaml', '/r/docker-compose.yml') });
    expect(d.files).toEqual(['/r/compose.yaml']);
    expect(d.warnings[0]).toMatch(/multiple config files/);
  });

  it('uses -f files in order, relative to the current directory', () => {
    const d = discoverFiles({ cwd: '/r', files: ['a.yaml', '/x/b.yaml'], env: {}, exists: fsWith('/r/a.yaml', '/x/b.yaml') });
    expect(d.files).toEqual(['/r/a.yaml', '/x/b.yaml']);
    expect(d.workingDir).toBe('/r');
  });

  it('reads COMPOSE_FILE and its TUG_FILE alias, split by the path separator', () => {
    const exists = fsWith('/r/a.yaml', '/r/b.yaml');
    expect(discoverFiles({ cwd: '/r', files: [], env: { COMPOSE_FILE: 'a.yaml:b.yaml' }, exists }).files).toEqual(['/r/a.yaml', '/r/b.yaml']);
    expect(discoverFiles({ cwd: '/r', files: [], env: { TUG_FILE: 'b.yaml' }, exists }).files).toEqual(['/r/b.yaml']);
  });

  it('honours --project-directory as the working directory', () => {
    const d = discoverFiles({ cwd: '/r', files: ['/x/c.yaml'], env: {}, projectDirectory: 'p', exists: fsWith('/x/c.yaml') });
    expect(d.workingDir).toBe('/r/p');
  });

  it('accepts "-" for stdin and fails clearly when nothing is found', () => {
    expect(discoverFiles({ cwd: '/r', files: ['-'], env: {}, exists: () => false }).files).toEqual(['-']);
    expect(() => discoverFiles({ cwd: '/r', files: [], env: {}, exists: () => false })).toThrow(/no Compose file found/);
    expect(() => discoverFiles({ cwd: '/r', files: ['nope.yaml'], env: {}, exists: () => false })).toThrow(/not found: \/r\/nope.yaml/);
  });
});
