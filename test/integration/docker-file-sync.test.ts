// Watch's file sync against the real Docker Engine: changed files go into
// every replica with their directories, mode and owner, deleted ones are
// removed, and a replica that cannot take the sync is reported while the
// others still get it.
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import type Dockerode from 'dockerode';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { SyncPath } from '../../src/core/watch/changes.js';
import { execInContainer } from '../../src/runtime/docker/exec.js';
import { syncFilesToContainers, type SyncReplica } from '../../src/runtime/docker/file-sync.js';
import { packBuffer } from '../../src/runtime/tar/pack.js';
import { describeDocker, ensureTestImage, removeDockerProjectAsync, TEST_IMAGE, testDocker, uniqueDockerProject } from '../helpers/docker.js';

const project = uniqueDockerProject('tugsync');
let docker: Dockerode;
let host: string;

async function replica(name: string, withRm: boolean): Promise<SyncReplica> {
  const c = await docker.createContainer({
    name: `${project}-${name}`,
    Image: TEST_IMAGE,
    Cmd: ['sleep', '3600'],
    Labels: { 'com.docker.compose.project': project },
  });
  await c.start();
  const now = Date.now() / 1000;
  // What the image had: an old file, and busybox's rm unless this replica is to lack one.
  await c.putArchive(
    await packBuffer([
      { name: 'app/', type: 'directory', mode: 0o755, mtime: now },
      { name: 'app/old.txt', type: 'file', mode: 0o644, mtime: now, body: Buffer.from('old\n') },
      { name: 'bin/rm', type: 'symlink', mode: 0o777, mtime: now, linkname: 'busybox' },
    ]),
    { path: '/' },
  );
  if (!withRm) expect(await run(c.id, ['busybox', 'rm', '-f', '/bin/rm'])).toBe('');
  return { id: c.id, name };
}

/** stdout of a command in the container, or undefined when it fails. */
async function run(id: string, command: string[]): Promise<string | undefined> {
  const out: Buffer[] = [];
  const sink = new Writable({ write: (chunk: Buffer, _e, done) => (out.push(chunk), done()) });
  const code = await execInContainer(docker, id, { command }, { stdin: Readable.from([]), stdout: sink, stderr: new Writable({ write: (_c, _e, d) => d() }) });
  return code === 0 ? Buffer.concat(out).toString('utf8') : undefined;
}

describeDocker('docker file sync', () => {
  beforeAll(async () => {
    docker = await testDocker();
    await ensureTestImage();
    host = mkdtempSync(join(tmpdir(), 'tug-sync-'));
  }, 120_000);

  afterAll(async () => {
    await removeDockerProjectAsync(project);
    rmSync(host, { recursive: true, force: true });
  }, 60_000);

  it('copies a changed file and removes a deleted one in two replicas, with implied directories, mode and owner', async () => {
    const replicas = [await replica('web-1', true), await replica('web-2', true)];
    mkdirSync(join(host, 'src', 'lib', 'new'), { recursive: true });
    chmodSync(join(host, 'src', 'lib'), 0o750);
    writeFileSync(join(host, 'src', 'a.txt'), 'edited\n');
    writeFileSync(join(host, 'src', 'lib', 'new', 'b.txt'), 'nested\n');
    chmodSync(join(host, 'src', 'lib', 'new', 'b.txt'), 0o600);
    chownSync(join(host, 'src', 'lib', 'new', 'b.txt'), 1234, 2345);
    symlinkSync('a.txt', join(host, 'src', 'link'));
    const paths: SyncPath[] = [
      { hostPath: join(host, 'src', 'a.txt'), target: '/app/a.txt', rel: 'a.txt' },
      { hostPath: join(host, 'src', 'lib', 'new', 'b.txt'), target: '/app/lib/new/b.txt', rel: 'lib/new/b.txt' },
      { hostPath: join(host, 'src', 'link'), target: '/app/link', rel: 'link' },
      { hostPath: join(host, 'src', 'old.txt'), target: '/app/old.txt', rel: 'old.txt' }, // not on the host: deleted
    ];
    const results = await syncFilesToContainers(docker, replicas, paths);
    expect(results.map((r) => ({ replica: r.replica, copied: r.copied, removed: r.removed, error: r.error }))).toEqual([
      { replica: 'web-1', copied: 3, removed: 1, error: undefined },
      { replica: 'web-2', copied: 3, removed: 1, error: undefined },
    ]);
    for (const { id } of replicas) {
      expect(await run(id, ['cat', '/app/a.txt'])).toBe('edited\n');
      expect(await run(id, ['cat', '/app/lib/new/b.txt'])).toBe('nested\n');
      expect(await run(id, ['cat', '/app/link'])).toBe('edited\n');
      expect(await run(id, ['ls', '/app/old.txt'])).toBeUndefined();
      const file = (await run(id, ['ls', '-ln', '/app/lib/new/b.txt']))!.split(/\s+/);
      expect([file[0], file[2], file[3]]).toEqual(['-rw-------', '1234', '2345']);
      const dir = (await run(id, ['ls', '-ld', '/app/lib']))!;
      expect(dir.startsWith('drwxr-x---')).toBe(true); // the host directory's mode, not the engine's default
    }
  }, 120_000);

  it('reports a replica that cannot remove files and still syncs the others', async () => {
    const replicas = [await replica('api-1', true), await replica('api-2', false)];
    writeFileSync(join(host, 'fresh.txt'), 'fresh\n');
    const paths: SyncPath[] = [
      { hostPath: join(host, 'gone.txt'), target: '/app/old.txt', rel: 'gone.txt' },
      { hostPath: join(host, 'fresh.txt'), target: '/app/fresh.txt', rel: 'fresh.txt' },
    ];
    const [ok, broken] = await syncFilesToContainers(docker, replicas, paths);
    expect(ok!.error).toBeUndefined();
    expect(await run(replicas[0]!.id, ['cat', '/app/fresh.txt'])).toBe('fresh\n');
    expect(await run(replicas[0]!.id, ['ls', '/app/old.txt'])).toBeUndefined();
    expect(broken!.error?.code).toBe('sync.failed');
    expect(broken!.error?.message).toContain('api-2');
    expect(broken!.error?.hint).toContain('rm');
    expect(broken!.copied).toBe(0);
  }, 120_000);

  it('writes through a directory the image made a symlink, sending the files again without implied directories', async () => {
    const [web] = [await replica('link-1', true)];
    const now = Date.now() / 1000;
    await docker.getContainer(web!.id).putArchive(
      await packBuffer([
        { name: 'data/', type: 'directory', mode: 0o755, mtime: now },
        { name: 'data/lib/', type: 'directory', mode: 0o755, mtime: now },
        { name: 'app/lib', type: 'symlink', mode: 0o777, mtime: now, linkname: '/data/lib' },
      ]),
      { path: '/' },
    );
    mkdirSync(join(host, 'linked', 'lib'), { recursive: true });
    writeFileSync(join(host, 'linked', 'lib', 'x.txt'), 'through the link\n');
    const [result] = await syncFilesToContainers(docker, [web!], [
      { hostPath: join(host, 'linked', 'lib', 'x.txt'), target: '/app/lib/x.txt', rel: 'lib/x.txt' },
    ]);
    expect(result!.error).toBeUndefined();
    expect(await run(web!.id, ['cat', '/data/lib/x.txt'])).toBe('through the link\n');
    expect(await run(web!.id, ['readlink', '/app/lib'])).toBe('/data/lib\n');
  }, 120_000);
});
