// A Compose build section as a request to tug's builder: defaults, overrides,
// tags, and every unsupported setting refused at once with its YAML path.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigErrors, TugError } from '../../src/core/errors.js';
import { buildRequestFor } from '../../src/runtime/build/request.js';

const platform = { os: 'linux', architecture: 'amd64' };
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tug-build-req-'));
  writeFileSync(join(dir, 'Dockerfile'), 'FROM scratch\n');
  writeFileSync(join(dir, 'web.Dockerfile'), 'FROM busybox\n');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('buildRequestFor', () => {
  it('reads the Dockerfile, tags <project>-<service>, and lets the command line override args, cache and pull', async () => {
    const req = await buildRequestFor('proj', 'web', { build: { context: dir, dockerfile: 'web.Dockerfile', args: { A: '1', B: '2', UNSET: null }, tags: ['reg/web:1'], extra_hosts: { db: ['10.0.0.2'] }, shm_size: 1024 } }, { platform, buildArgs: { B: 'cli' }, noCache: true });
    expect(req).toMatchObject({
      name: 'web',
      dockerfile: { text: 'FROM busybox\n', path: join(dir, 'web.Dockerfile') },
      contextDir: dir,
      dockerfileName: 'web.Dockerfile',
      buildArgs: { A: '1', B: 'cli', UNSET: null },
      tags: ['proj-web', 'reg/web:1'],
      noCache: true,
      pull: false,
      extraHosts: ['db:10.0.0.2'],
      shmSize: 1024,
    });
    const named = await buildRequestFor('proj', 'web', { image: 'mine:2', build: { context: dir, dockerfile_inline: 'FROM a\n', no_cache: true, pull: true } }, { platform });
    expect(named).toMatchObject({ tags: ['mine:2'], dockerfile: { text: 'FROM a\n', path: 'dockerfile_inline' }, noCache: true, pull: true });
  });

  it('refuses what this builder cannot do, every problem at once with its path', async () => {
    const err = await buildRequestFor('p', 'web', { build: { context: 'https://github.com/x/y.git', network: 'buildnet', secrets: [{ source: 's' }], ssh: ['default'] } }, { platform }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigErrors);
    expect((err as ConfigErrors).errors.map((e) => [e.path?.join('.'), e.message])).toEqual([
      ['services.web.build.context', "build.context https://github.com/x/y.git is a URL: tug's builder builds from a local directory"],
      ['services.web.build.network', "build.network buildnet is not supported: tug's builder runs RUN steps with no network (none, the default) or on the host's (host)"],
      ['services.web.build.secrets', 'build.secrets is not supported'],
      ['services.web.build.ssh', 'build.ssh is not supported'],
    ]);
  });

  it('takes build.network host for RUN steps, and none or default as no network', async () => {
    const at = (network?: string) => buildRequestFor('p', 'web', { build: { context: dir, ...(network !== undefined && { network }) } }, { platform }).then((r) => r.network);
    expect(await at('host')).toBe('host');
    expect(await at('none')).toBe('none');
    expect(await at('default')).toBe('none');
    expect(await at()).toBe('none');
  });

  it('says which Dockerfile is missing', async () => {
    const err = await buildRequestFor('p', 'web', { build: { context: dir, dockerfile: 'nope.Dockerfile' } }, { platform }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TugError);
    expect(err).toMatchObject({ code: 'build.dockerfile', message: `the Dockerfile ${join(dir, 'nope.Dockerfile')} does not exist`, path: ['services', 'web', 'build', 'dockerfile'] });
  });
});
