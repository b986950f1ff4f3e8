// The build context sent to the engine: .dockerignore rules and the tar
// archive itself (read back with the system's tar, so the format is checked
// by an independent reader).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ignoreMatcher } from '../../src/runtime/context/ignore.js';
import { buildContext } from '../../src/runtime/docker/build-context.js';
import { packBuffer } from '../../src/runtime/tar/pack.js';

const excluded = (rules: string, path: string) => ignoreMatcher(rules).ignores(path);

describe('.dockerignore rules', () => {
  it('* stays within a segment, ** spans directories', () => {
    expect(excluded('*.log', 'a.log')).toBe(true);
    expect(excluded('*.log', 'dir/a.log')).toBe(false);
    expect(excluded('**/*.log', 'dir/sub/a.log')).toBe(true);
    expect(excluded('**/*.log', 'a.log')).toBe(true);
    expect(excluded('dir/**', 'dir/a/b')).toBe(true);
    expect(excluded('?.txt', 'a.txt')).toBe(true);
    expect(excluded('?.txt', 'ab.txt')).toBe(false);
  });

  it('a rule that matches a directory excludes everything in it; a leading / is ignored', () => {
    expect(excluded('node_modules', 'node_modules/x/index.js')).toBe(true);
    expect(excluded('/build', 'build/out.js')).toBe(true);
    expect(excluded('build/', 'build/out.js')).toBe(true);
  });

  it('the last matching rule wins: ! re-includes, a later rule excludes again', () => {
    expect(excluded('*.md\n!README.md', 'README.md')).toBe(false);
    expect(excluded('*.md\n!README.md', 'CHANGES.md')).toBe(true);
    expect(excluded('*.md\n!README*.md\nREADME-secret.md', 'README-secret.md')).toBe(true);
  });

  it('comments and blank lines are skipped', () => {
    expect(excluded('# a comment\n\n   \n*.tmp\n', 'x.tmp')).toBe(true);
    expect(excluded('# a comment\n\n   \n*.tmp\n', '# a comment')).toBe(false);
  });
});

describe('build context archive', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  async function listing(ctxDir: string, opts = {}): Promise<{ files: string[]; dockerfile: string }> {
    const ctx = await buildContext(ctxDir, opts);
    const chunks: Buffer[] = [];
    for await (const chunk of ctx.stream) chunks.push(chunk as Buffer);
    const archive = join(dir!, 'ctx.tar');
    writeFileSync(archive, Buffer.concat(chunks));
    const files = execFileSync('tar', ['-tf', archive], { encoding: 'utf8' }).split('\n').filter((l) => l !== '');
    return { files: files.sort(), dockerfile: ctx.dockerfile };
  }

  it('honours .dockerignore but always sends the Dockerfile and .dockerignore', async () => {
    dir = mkdtempSync(join(tmpdir(), 'tug-ctx-'));
    const ctxDir = join(dir, 'app');
    mkdirSync(join(ctxDir, 'src'), { recursive: true });
    mkdirSync(join(ctxDir, 'secret'), { recursive: true });
    writeFileSync(join(ctxDir, 'Dockerfile'), 'FROM scratch\n');
    writeFileSync(join(ctxDir, '.dockerignore'), 'Dockerfile\n.dockerignore\nsecret\n*.log\n!keep.log\n');
    writeFileSync(join(ctxDir, 'src', 'main.js'), 'x');
    writeFileSync(join(ctxDir, 'secret', 'key'), 'k');
    writeFileSync(join(ctxDir, 'debug.log'), 'l');
    writeFileSync(join(ctxDir, 'keep.log'), 'l');
    const { files, dockerfile } = await listing(ctxDir);
    expect(dockerfile).toBe('Dockerfile');
    expect(files).toEqual(['.dockerignore', 'Dockerfile', 'keep.log', 'src/', 'src/main.js']);
  });

  it('an inline Dockerfile travels as an extra entry', async () => {
    dir = mkdtempSync(join(tmpdir(), 'tug-ctx-'));
    const ctxDir = join(dir, 'app');
    mkdirSync(ctxDir);
    writeFileSync(join(ctxDir, 'a.txt'), 'a');
    const { files, dockerfile } = await listing(ctxDir, { dockerfileInline: 'FROM scratch\n' });
    expect(files).toContain(dockerfile);
    expect(files).toContain('a.txt');
  });

  it('<Dockerfile>.dockerignore beside the Dockerfile wins over .dockerignore', async () => {
    dir = mkdtempSync(join(tmpdir(), 'tug-ctx-'));
    const ctxDir = join(dir, 'app');
    mkdirSync(join(ctxDir, 'docker'), { recursive: true });
    writeFileSync(join(ctxDir, 'docker', 'web.Dockerfile'), 'FROM scratch\n');
    writeFileSync(join(ctxDir, 'docker', 'web.Dockerfile.dockerignore'), '*.secret\n');
    writeFileSync(join(ctxDir, '.dockerignore'), '*.txt\n');
    writeFileSync(join(ctxDir, 'a.txt'), 'a');
    writeFileSync(join(ctxDir, 'b.secret'), 'b');
    const { files } = await listing(ctxDir, { dockerfile: 'docker/web.Dockerfile' });
    expect(files).toContain('a.txt');
    expect(files).not.toContain('b.secret');
    expect(files).toContain('docker/web.Dockerfile');
  });

  it('a file that changes size while it is sent still makes a valid archive', async () => {
    dir = mkdtempSync(join(tmpdir(), 'tug-tar-'));
    const file = join(dir, 'grows.txt');
    writeFileSync(file, 'abc');
    const archive = join(dir, 'out.tar');
    writeFileSync(
      archive,
      await packBuffer([
        { name: 'grows.txt', type: 'file', mode: 0o644, path: file, size: 2 },
        { name: 'shrank.txt', type: 'file', mode: 0o644, path: file, size: 5 },
      ]),
    );
    expect(execFileSync('tar', ['-xOf', archive, 'grows.txt'], { encoding: 'utf8' })).toBe('ab');
    expect(execFileSync('tar', ['-xOf', archive, 'shrank.txt']).length).toBe(5);
  });

  it('long names survive (ustar prefix and pax headers)', async () => {
    dir = mkdtempSync(join(tmpdir(), 'tug-tar-'));
    const deep = `${'d'.repeat(60)}/${'e'.repeat(60)}/${'f'.repeat(60)}.txt`;
    const flat = `${'g'.repeat(180)}.txt`;
    const archive = join(dir, 'long.tar');
    writeFileSync(
      archive,
      await packBuffer([
        { name: deep, type: 'file', mode: 0o644, body: Buffer.from('deep') },
        { name: flat, type: 'file', mode: 0o644, body: Buffer.from('flat') },
        { name: 'link', type: 'symlink', mode: 0o777, linkname: 'target' },
      ]),
    );
    const names = execFileSync('tar', ['-tf', archive], { encoding: 'utf8' }).split('\n').filter((l) => l !== '');
    expect(names).toEqual([deep, flat, 'link']);
    expect(execFileSync('tar', ['-xOf', archive, flat], { encoding: 'utf8' })).toBe('flat');
  });
});
