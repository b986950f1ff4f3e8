// The private fstab that mounts many replicas' overlay roots with one
// `mount -a`, and the reading of mount's complaints back to their replica.
import { describe, expect, it } from 'vitest';
import { fstabField, fstabText, messageFor } from '../../src/runtime/native/container/rootfs/overlay-batch.js';
import { mountPoints } from '../../src/runtime/images/rootfs/overlay.js';

describe('overlay batch fstab', () => {
  it('escapes what would split or end an fstab field, as libmount undoes it', () => {
    expect(fstabField('/home/a b/tug\thome/#x\\y')).toBe('/home/a\\040b/tug\\011home/\\043x\\134y');
    expect(fstabField('/plain/path')).toBe('/plain/path');
  });

  it('writes one overlay line per request, target and options escaped', () => {
    const text = fstabText([
      { target: '/h/r 1/rootfs', options: 'lowerdir=l/A,upperdir=/h/r 1/upper,workdir=/h/r 1/work', cwd: '/s' },
      { target: '/h/r2/rootfs', options: 'lowerdir=l/B:l/A,upperdir=/h/r2/upper,workdir=/h/r2/work', cwd: '/s' },
    ]);
    expect(text).toBe(
      'overlay /h/r\\0401/rootfs overlay lowerdir=l/A,upperdir=/h/r\\0401/upper,workdir=/h/r\\0401/work 0 0\n' +
        'overlay /h/r2/rootfs overlay lowerdir=l/B:l/A,upperdir=/h/r2/upper,workdir=/h/r2/work 0 0\n',
    );
  });

  it("finds mount's message for one target among the others', continuation lines included", () => {
    const stderr = [
      'mount: /h/r1/rootfs: special device overlay does not exist.',
      '       dmesg(1) may have more information after failed mount system call.',
      'mount: /h/r3/rootfs: wrong fs type, bad option, bad superblock on overlay.',
      '',
    ].join('\n');
    expect(messageFor(stderr, '/h/r1/rootfs')).toBe('special device overlay does not exist. dmesg(1) may have more information after failed mount system call.');
    expect(messageFor(stderr, '/h/r3/rootfs')).toBe('wrong fs type, bad option, bad superblock on overlay.');
    expect(messageFor(stderr, '/h/r2/rootfs')).toBeUndefined();
  });

  it('reads the mount points back from mountinfo, octal escapes undone', () => {
    const info = [
      '22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw',
      '90 22 0:50 / /h/r\\0401/rootfs rw,relatime - overlay overlay rw,lowerdir=l/A',
      '91 22 0:51 / /h/r2/rootfs rw,relatime - overlay overlay rw,lowerdir=l/B',
      '',
    ].join('\n');
    const mounted = mountPoints(info);
    expect(mounted.has('/h/r 1/rootfs')).toBe(true);
    expect(mounted.has('/h/r2/rootfs')).toBe(true);
    expect(mounted.has('/h/r\\0401/rootfs')).toBe(false);
    expect(mounted.has('/h/r3/rootfs')).toBe(false);
    expect(mounted.size).toBe(3);
  });
});
