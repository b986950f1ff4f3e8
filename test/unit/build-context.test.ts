// tug's build context on real directories: which sources a COPY gets (globs,
// directories, .dockerignore), the errors for missing and outside sources, and
// a content hash that follows names, modes and contents but not mtimes.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BuildContext } from '../../src/runtime/build/context.js';
import { FileDigester, type DigestCache } from '../../src/runtime/build/digest.js';
import { compileGlob } from '../../src/core/build/copy-glob.js';
import { ConfigErrors, TugError } from '../../src/core/errors.js';

const loc = { file: 'Dockerfile', line: 3, column: 1 };
let dir: string;

function write(rel: string, content = rel): void {
  mkdirSync(join(dir, rel, '..'), { recursive: true });
  writeFileSync(join(dir, rel), content);
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tug-build-ctx-'));
  write('Dockerfile', 'FROM scratch\n');
  write('app/main.js');
  write('app/lib/util.js');
  write('app/lib/util.test.js');
  write('app/README.md');
  write('notes.txt');
  write('secret.env');
  symlinkSync('notes.txt', join(dir, 'link'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const names = async (sources: string[], ctx?: BuildContext) => {
  const c = ctx ?? (await BuildContext.open(dir));
  return (await c.match(sources, loc, 'COPY')).map((m) => [m.root.rel, m.root.type, m.tree.map((f) => f.rel).join(',')]);
};

describe('COPY sources', () => {
  it('copies a directory as its contents, parents before children', async () => {
    expect(await names(['app'])).toEqual([['app', 'directory', 'README.md,lib,lib/util.js,lib/util.test.js,main.js']]);
    expect((await names(['.']))[0]![2]).toContain('app/lib/util.js');
  });

  it('matches globs with Go semantics plus **', async () => {
    expect(await names(['app/*.js'])).toEqual([['main.js', 'file', '']]);
    expect((await names(['app/**/*.js'])).map((m) => m[0])).toEqual(['util.js', 'util.test.js', 'main.js']);
    expect((await names(['*.txt', 'l?nk'])).map((m) => m[0])).toEqual(['notes.txt', 'link']);
    expect(compileGlob('[^a-m]*.txt')('notes.txt')).toBe(true);
    expect(compileGlob('[a-m]*.txt')('notes.txt')).toBe(false);
    expect(compileGlob('app/\\*')('app/*')).toBe(true);
  });

  it('leaves out what .dockerignore excludes, and says so when a source is excluded', async () => {
    write('.dockerignore', '*.env\napp/**/*.test.js\nDockerfile\n');
    const ctx = await BuildContext.open(dir);
    expect((await names(['.'], ctx))[0]![2]).not.toMatch(/secret\.env|util\.test\.js|Dockerfile/);
    const err = await ctx.match(['secret.env'], loc, 'COPY').catch((e: TugError) => e);
    expect(err).toMatchObject({ code: 'build.copy-source', location: loc, message: 'COPY secret.env: the file is excluded by .dockerignore' });
  });

  it('says when a source path goes through a symbolic link', async () => {
    symlinkSync('app', join(dir, 'applink'));
    const err = await (await BuildContext.open(dir)).match(['applink/main.js'], loc, 'COPY').catch((e: TugError) => e);
    expect(err).toMatchObject({ message: 'COPY applink/main.js: the path goes through a symbolic link, which the context does not follow' });
  });

  it('prefers <Dockerfile>.dockerignore beside the Dockerfile', async () => {
    write('.dockerignore', 'notes.txt\n');
    write('web.Dockerfile.dockerignore', 'secret.env\n');
    const ctx = await BuildContext.open(dir, 'web.Dockerfile');
    expect((await names(['.'], ctx))[0]![2]).toMatch(/notes\.txt/);
    expect((await names(['.'], ctx))[0]![2]).not.toMatch(/secret\.env/);
  });

  it('reports every missing or outside source at once', async () => {
    const ctx = await BuildContext.open(dir);
    const err = await ctx.match(['nope.txt', '../outside', 'app/*.go'], loc, 'ADD').catch((e: ConfigErrors) => e);
    expect(err).toBeInstanceOf(ConfigErrors);
    expect((err as ConfigErrors).errors.map((e) => e.message)).toEqual([
      'ADD nope.txt: no such file in the build context',
      'ADD ../outside: the source is outside the build context',
      'ADD app/*.go: no file in the build context matches',
    ]);
  });
});

describe('content hash', () => {
  const hash = async (sources = ['.'], cache?: DigestCache) => {
    const ctx = await BuildContext.open(dir);
    return new FileDigester(cache).contentHash(await ctx.match(sources, loc, 'COPY'));
  };

  it('stays the same when only mtimes change, and changes with content, mode or names', async () => {
    const first = await hash();
    utimesSync(join(dir, 'notes.txt'), new Date(1e12), new Date(1e12));
    expect(await hash()).toBe(first);
    write('notes.txt', 'changed');
    const changed = await hash();
    expect(changed).not.toBe(first);
    chmodSync(join(dir, 'notes.txt'), 0o600);
    expect(await hash()).not.toBe(changed);
    write('new.txt');
    expect(await hash()).not.toBe(changed);
  });

  it('tells apart equal names under different sources, and the same files under another name', async () => {
    write('a/same.txt', 'one');
    write('b/same.txt', 'two');
    const both = await hash(['a', 'b']);
    write('b/same.txt', 'one');
    expect(await hash(['a', 'b'])).not.toBe(both);
    expect(await hash(['a'])).not.toBe(await hash(['app']));
  });

  it('reuses digests from a persistent cache, yet sees a changed file', async () => {
    const store = new Map<string, string>();
    const cache: DigestCache = { get: (k) => store.get(k), set: (k, v) => void store.set(k, v) };
    const first = await hash(['.'], cache);
    expect(store.size).toBeGreaterThan(5);
    expect(await hash(['.'], cache)).toBe(first);
    write('notes.txt', 'a longer content than before');
    expect(await hash(['.'], cache)).toBe(await hash(['.']));
    expect(await hash(['.'], cache)).not.toBe(first);
  });
});
