import { describe, expect, it } from 'vitest';
import { formatPath } from '../../src/core/errors.js';
import type { ServiceSpec } from '../../src/core/model/types.js';
import { containerSyncRefusal } from '../../src/core/watch/container-sync.js';
import type { WatchRule } from '../../src/core/watch/rules.js';
import { insideRootUpper, mountinfoEscape } from '../../src/runtime/native/container-sync/container-sync.js';

const entry = (target: string | undefined) => ({ service: 'web', index: 1, rule: { path: '/proj/src', action: 'sync' as const, target } as WatchRule });
const hostRooted = (extra: Partial<ServiceSpec> = {}): ServiceSpec => ({ command: ['app'], ...extra }) as ServiceSpec;

describe('sync into native containers: which targets can be written', () => {
  it('writes anywhere in a container rooted in an image (its own writable layer), for an image or a build service', () => {
    expect(containerSyncRefusal(entry('/app'), { image: 'web:1' } as ServiceSpec)).toBeUndefined();
    expect(containerSyncRefusal(entry('/etc/app'), { build: { context: '.' } } as ServiceSpec)).toBeUndefined();
  });

  it('refuses a target on the read-only host root, naming the places that can be written and the rule', () => {
    const error = containerSyncRefusal(entry('/srv/app'), hostRooted({ volumes: [{ type: 'volume', source: 'data', target: '/data' }] }));
    expect(error?.code).toBe('watch.sync-read-only-root');
    expect(error?.message).toContain('/srv/app');
    expect(error?.message).toContain('/data, /tmp, /run, /var/tmp');
    expect(formatPath(error!.path!)).toBe('services.web.develop.watch[1].target');
    expect(error?.hint).toContain('volume');
  });

  it('writes in a host-rooted container\'s volumes, tmpfs, writable binds and private directories, not in a read-only mount', () => {
    const svc = hostRooted({
      volumes: [
        { type: 'volume', source: 'data', target: '/data' },
        { type: 'tmpfs', target: '/cache' },
        { type: 'bind', source: '/proj/out', target: '/out' },
        { type: 'volume', source: 'ro', target: '/ro', read_only: true },
      ],
    });
    for (const target of ['/data/x', '/cache', '/out/a/b', '/tmp/site', '/run/app', '/var/tmp/x']) expect(containerSyncRefusal(entry(target), svc), target).toBeUndefined();
    for (const target of ['/ro/x', '/datax', '/usr/lib', '/tmpx']) expect(containerSyncRefusal(entry(target), svc)?.code, target).toBe('watch.sync-read-only-root');
  });

  it('refuses a relative target or the root itself: a container has no project directory to be relative to', () => {
    expect(containerSyncRefusal(entry('./www'), { image: 'web:1' } as ServiceSpec)?.code).toBe('watch.container-target');
    expect(containerSyncRefusal(entry('/'), { image: 'web:1' } as ServiceSpec)?.code).toBe('watch.container-target');
  });
});

describe('sync into a container whose root the runtime mounted: the overlay that identifies it', () => {
  it('takes the upper directory of an overlay at / in the bundle, and nothing from other bundles', () => {
    const overlay = { destination: '/', type: 'overlay', source: 'overlay', options: ['lowerdir=/h/images/l/a1:/h/images/l/b2,upperdir=/h/projects/p/image-roots/p-web-1/upper,workdir=/h/projects/p/image-roots/p-web-1/work'] };
    expect(insideRootUpper({ mounts: [overlay, { destination: '/proc', type: 'proc', source: 'proc' }] })).toBe('/h/projects/p/image-roots/p-web-1/upper');
    // Host-rooted, or mounted on the host: the bundle's root.path is compared instead.
    expect(insideRootUpper({ mounts: [{ destination: '/proc', type: 'proc', source: 'proc' }, overlay] })).toBeUndefined();
    expect(insideRootUpper({ mounts: [] })).toBeUndefined();
  });

  it('writes the path as the kernel shows it in mountinfo: spaces, tabs, newlines and backslashes escaped in octal', () => {
    expect(mountinfoEscape('/home/me/my tug/upper')).toBe('/home/me/my\\040tug/upper');
    expect(mountinfoEscape('/a\tb\nc\\d')).toBe('/a\\011b\\012c\\134d');
    expect(mountinfoEscape('/plain/path')).toBe('/plain/path');
  });
});
