import { describe, expect, it } from 'vitest';
import { formatPath } from '../../src/core/errors.js';
import { decideProcessSync } from '../../src/core/watch/process-sync.js';
import type { WatchRule } from '../../src/core/watch/rules.js';

const entry = (rule: Partial<WatchRule>) => ({ service: 'web', index: 0, rule: { path: '/proj/src', action: 'sync' as const, target: '/proj/www', ...rule } });
const real = (target: string, source = '/proj/src') => ({ project: '/proj', source, target });

describe('sync in process mode', () => {
  it('refuses a target outside the project directory, once, with the reason and a way out', () => {
    const d = decideProcessSync(entry({ target: '/app' }), '/proj', real('/app'));
    expect(d.kind).toBe('refused');
    if (d.kind !== 'refused') return;
    expect(d.error.message).toContain('/app');
    expect(d.error.message).toContain("host's file system");
    expect(d.error.hint).toContain('container');
    expect(formatPath(d.error.path!)).toBe('services.web.develop.watch[0].target');
  });

  it('refuses a target inside the project that a symlink leads out of it', () => {
    const d = decideProcessSync(entry({ target: 'out/www' }), '/proj', real('/etc/www'));
    expect(d.kind === 'refused' && d.error.message).toContain('symlink to /etc/www');
  });

  it('copies to a target inside the project; a relative target is relative to the project directory', () => {
    expect(decideProcessSync(entry({ target: 'build/www' }), '/proj', real('/proj/build/www'))).toEqual({ kind: 'copy', service: 'web', index: 0, target: '/proj/build/www' });
  });

  it('needs nothing when the target is the watched path itself, and says so', () => {
    const d = decideProcessSync(entry({ target: './src' }), '/proj', real('/proj/src'));
    expect(d.kind).toBe('in-place');
    expect(d.kind === 'in-place' && d.notice).toContain('nothing is copied');
  });

  it('refuses a target inside the watched path, which would copy its own copies forever', () => {
    const d = decideProcessSync(entry({ target: '/proj/src/dist' }), '/proj', real('/proj/src/dist'));
    expect(d.kind === 'refused' && d.error.message).toContain('inside the watched path');
  });
});
