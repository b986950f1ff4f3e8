// Reading the image's user files and seeding image volumes, never through a
// symlink that leaves the root filesystem.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readUserFiles, seedVolume } from '../../src/runtime/images/rootfs/image-files.js';

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
});
