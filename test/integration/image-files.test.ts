// Reading the image's user files and seeding image volumes, never through a
// symlink that leaves the root filesystem.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { setAttribute } from '@napi-rs/xattr';
import { readUserFiles, readUserFilesFromLayers, seedVolume } from '../../src/runtime/images/rootfs/image-files.js';
import { itRoot } from '../helpers/root.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tug-imgfiles-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('image files', () => {
  it('reads /etc/passwd inside the root, even through an absolute symlink', async () => {
    const root = join(dir, 'root');
    mkdirSync(join(root, 'etc'), { recursive: true });
    mkdirSync(join(root, 'real'));
    writeFileSync(join(root, 'real/passwd'), 'app:x:1:1::/:/bin/sh\n');
    symlinkSync('/real/passwd', join(root, 'etc/passwd'));
    symlinkSync('/etc/hostname', join(root, 'etc/group')); // the host's file must not be read
    expect(await readUserFiles(root)).toEqual({ passwd: 'app:x:1:1::/:/bin/sh\n' });
  });

  it('seeds an empty volume once with the image content at the path', async () => {
    const root = join(dir, 'root');
    mkdirSync(join(root, 'var/lib/app/sub'), { recursive: true });
    writeFileSync(join(root, 'var/lib/app/sub/seed.txt'), 'from image');
    symlinkSync('sub/seed.txt', join(root, 'var/lib/app/link'));
    const vol = join(dir, 'vol');
    mkdirSync(vol);
    expect(await seedVolume(root, '/var/lib/app', vol)).toBe(true);
    expect(readFileSync(join(vol, 'sub/seed.txt'), 'utf8')).toBe('from image');
    expect(readdirSync(vol).sort()).toEqual(['link', 'sub']);
    writeFileSync(join(vol, 'sub/seed.txt'), 'changed by the replica');
    expect(await seedVolume(root, '/var/lib/app', vol)).toBe(false);
    expect(readFileSync(join(vol, 'sub/seed.txt'), 'utf8')).toBe('changed by the replica');
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    expect(await seedVolume(root, '/not/there', empty)).toBe(false);
  });

  describe('from the layers alone, topmost first (an image root the runtime mounts inside the container)', () => {
    const layer = (name: string, files: Record<string, string>) => {
      const root = join(dir, name);
      mkdirSync(join(root, 'etc'), { recursive: true });
      for (const [path, body] of Object.entries(files)) writeFileSync(join(root, path), body);
      return root;
    };

    it('takes each file from the highest layer that has it', async () => {
      const base = layer('base', { 'etc/passwd': 'root:x:0:0::/root:/bin/sh\n', 'etc/group': 'root:x:0:\n' });
      const app = layer('app', { 'etc/passwd': 'root:x:0:0::/root:/bin/sh\napp:x:1000:1000::/app:/bin/sh\n' });
      const top = join(dir, 'top');
      mkdirSync(join(top, 'srv'), { recursive: true });
      expect(await readUserFilesFromLayers([top, app, base])).toEqual({ passwd: 'root:x:0:0::/root:/bin/sh\napp:x:1000:1000::/app:/bin/sh\n', group: 'root:x:0:\n' });
      expect(await readUserFilesFromLayers([top])).toEqual({});
    });

    it('leaves a symlinked /etc or file to a mounted root', async () => {
      const base = layer('base', { 'etc/passwd': 'root:x:0:0::/root:/bin/sh\n' });
      const linked = join(dir, 'linked');
      mkdirSync(join(linked, 'real'), { recursive: true });
      symlinkSync('real', join(linked, 'etc'));
      expect(await readUserFilesFromLayers([linked, base])).toBeUndefined();
      const fileLink = layer('filelink', {});
      symlinkSync('/real/passwd', join(fileLink, 'etc/passwd'));
      expect(await readUserFilesFromLayers([fileLink, base])).toBeUndefined();
    });

    itRoot('stops at a whiteout of the file or of /etc, and at an opaque /etc', async () => {
      const base = layer('base', { 'etc/passwd': 'root:x:0:0::/root:/bin/sh\n', 'etc/group': 'root:x:0:\n' });
      const deletes = layer('deletes', {});
      expect(spawnSync('mknod', [join(deletes, 'etc/group'), 'c', '0', '0']).status).toBe(0);
      expect(await readUserFilesFromLayers([deletes, base])).toEqual({ passwd: 'root:x:0:0::/root:/bin/sh\n' });
      const noEtc = join(dir, 'noetc');
      mkdirSync(noEtc);
      expect(spawnSync('mknod', [join(noEtc, 'etc'), 'c', '0', '0']).status).toBe(0);
      expect(await readUserFilesFromLayers([noEtc, base])).toEqual({});
      const opaque = layer('opaque', { 'etc/group': 'staff:x:50:\n' });
      await setAttribute(join(opaque, 'etc'), 'trusted.overlay.opaque', 'y');
      expect(await readUserFilesFromLayers([opaque, base])).toEqual({ group: 'staff:x:50:\n' });
    });
  });
});
