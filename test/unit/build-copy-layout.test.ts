// Where COPY puts files (pure layout) and whose they are (--chown against the
// image's passwd and group texts).
import { describe, expect, it } from 'vitest';
import { resolveChown } from '../../src/core/build/chown.js';
import { layoutCopy, type ExistingPath, type SourceFile, type SourceMatch } from '../../src/core/build/copy-layout.js';
import type { CopyOp } from '../../src/core/build/plan/steps.js';
import { TugError } from '../../src/core/errors.js';

const loc = { file: 'Dockerfile', line: 4, column: 1 };
const f = (rel: string, type: SourceFile['type'] = 'file', extra: Partial<SourceFile> = {}): SourceFile => ({ rel, path: `/ctx/${rel}`, type, mode: type === 'directory' ? 0o755 : 0o644, size: 1, uid: 501, gid: 20, mtime: 100, ...extra });
const match = (root: SourceFile, tree: SourceFile[] = [], viaWildcard = false): SourceMatch => ({ root, tree, viaWildcard });
const op = (dest: string, extra: Partial<CopyOp> = {}): CopyOp => ({ kind: 'copy', instruction: 'copy', sources: [], inline: [], dest, destIsDir: false, link: false, ...extra });
const existingDirs = (...dirs: string[]) => (p: string): ExistingPath => (p === '/' || dirs.includes(p) ? 'directory' : undefined);
const layout = (o: CopyOp, matches: SourceMatch[], existing = existingDirs(), extra = {}) =>
  layoutCopy({ op: o, matches, existing, keepOwners: false, ...extra }).map((e) => `${e.type[0]} ${e.path} ${e.mode.toString(8)} ${e.uid}:${e.gid}`);

describe('COPY layout', () => {
  it('copies a file to the destination path, or into it when it is a directory', () => {
    expect(layout(op('/etc/app.conf'), [match(f('app.conf'))], existingDirs('/etc'))).toEqual(['f etc/app.conf 644 0:0']);
    expect(layout(op('/etc', { destIsDir: false }), [match(f('app.conf'))], existingDirs('/etc'))).toEqual(['f etc/app.conf 644 0:0']);
    expect(layout(op('/srv/new', { destIsDir: true }), [match(f('a.txt'))])).toEqual(['d srv 755 0:0', 'd srv/new 755 0:0', 'f srv/new/a.txt 644 0:0']);
  });

  it('copies the contents of a directory, not the directory itself', () => {
    expect(layout(op('/app', { destIsDir: true }), [match(f('src', 'directory'), [f('lib', 'directory'), f('lib/x.js'), f('main.js')])], existingDirs('/app'))).toEqual([
      'd app/lib 755 0:0',
      'f app/lib/x.js 644 0:0',
      'f app/main.js 644 0:0',
    ]);
  });

  it('lands wildcard matches under their own names and keeps symlinks as links', () => {
    const entries = layoutCopy({ op: op('/out', { destIsDir: true }), matches: [match(f('a.js'), [], true), match(f('link', 'symlink', { linkname: 'a.js' }), [], true)], existing: existingDirs('/out'), keepOwners: false });
    expect(entries.map((e) => [e.path, e.type, e.linkname])).toEqual([['out/a.js', 'file', undefined], ['out/link', 'symlink', 'a.js']]);
  });

  it('applies --chown to everything it writes, created directories included, and --chmod to what it copies', () => {
    expect(layout(op('/home/app/bin/', { destIsDir: true, chmod: 0o750 }), [match(f('run.sh'))], existingDirs('/home'), { owner: { uid: 1000, gid: 1000 } })).toEqual([
      'd home/app 755 1000:1000',
      'd home/app/bin 755 1000:1000',
      'f home/app/bin/run.sh 750 1000:1000',
    ]);
  });

  it('keeps the source owners for COPY --from, and writes heredoc files 0644', () => {
    expect(layout(op('/x'), [match(f('x'))], existingDirs(), { keepOwners: true })).toEqual(['f x 644 501:20']);
    const heredoc = layoutCopy({ op: op('/etc/', { destIsDir: true, inline: [{ name: 'motd', content: 'hi\n' }] }), matches: [], existing: existingDirs('/etc'), keepOwners: false });
    expect(heredoc).toMatchObject([{ path: 'etc/motd', mode: 0o644, source: { data: Buffer.from('hi\n') } }]);
  });
});

describe('--chown', () => {
  const files = { passwd: 'root:x:0:0::/root:/bin/sh\napp:x:1000:1001::/home/app:/bin/sh\n', group: 'root:x:0:\nappgrp:x:1001:\nstaff:x:50:app\napp:x:1500:\n' };

  it('resolves names in the image files, numbers as they are', () => {
    expect(resolveChown('app:staff', files, loc)).toEqual({ uid: 1000, gid: 50 });
    expect(resolveChown('app', files, loc)).toEqual({ uid: 1000, gid: 1500 });
    expect(resolveChown('1000', files, loc)).toEqual({ uid: 1000, gid: 1000 });
    expect(resolveChown('4242:4343', {}, loc)).toEqual({ uid: 4242, gid: 4343 });
    expect(resolveChown('app', { passwd: files.passwd }, loc)).toEqual({ uid: 1000, gid: 1001 });
  });

  it('refuses a name the image does not have, naming the file', () => {
    expect(() => resolveChown('nobody', files, loc)).toThrow(TugError);
    expect(() => resolveChown('nobody', files, loc)).toThrow("--chown: unable to find user nobody: no matching entries in the image's /etc/passwd");
    expect(() => resolveChown('app:wheel', files, loc)).toThrow(/unable to find group wheel/);
    expect(() => resolveChown('a:b:c', files, loc)).toThrow(/expected user, uid/);
  });
});
