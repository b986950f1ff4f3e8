// The private fstab that mounts many replicas' overlay roots with one
// `mount -a`, and the reading of mount's complaints back to their replica.
import { describe, expect, it } from 'vitest';
import { fstabField, fstabText, messageFor } from '../../src/runtime/native/container/rootfs/overlay-batch.js';

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
});
