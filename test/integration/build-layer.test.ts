// COPY/ADD layers as files: the tar stream read back by the system's tar, the
// directory form with owners and modes (setuid kept after chown), and ADD's
// archive unpacking for each compression the system's tools make.
import { execFileSync } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LayerEntry } from '../../src/core/build/copy-layout.js';
import { TugError } from '../../src/core/errors.js';
import { archiveEntries, sniffArchive } from '../../src/runtime/build/archive.js';
import { layerTar, writeLayerDir } from '../../src/runtime/build/layer.js';
import { listTar } from '../helpers/build-fakes.js';
import { itRoot } from '../helpers/root.js';

const loc = { file: 'Dockerfile', line: 2, column: 1 };
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tug-build-layer-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const hasTool = (name: string) => {
  try {
    execFileSync(name, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

function entries(): LayerEntry[] {
  writeFileSync(join(dir, 'src.bin'), 'binary');
  return [
    { path: 'opt', type: 'directory', mode: 0o755, uid: 0, gid: 0, mtime: 0 },
    { path: 'opt/tool', type: 'file', mode: 0o4755, uid: 1000, gid: 50, mtime: 1_600_000_000, source: { path: join(dir, 'src.bin'), size: 6 } },
    { path: 'opt/conf', type: 'file', mode: 0o600, uid: 0, gid: 0, mtime: 0, source: { data: Buffer.from('x=1\n') } },
    { path: 'opt/link', type: 'symlink', mode: 0o777, uid: 0, gid: 0, mtime: 0, linkname: 'tool' },
  ];
}

describe('layer output', () => {
  it('streams a tar that the system tar reads with the listed modes and owners', async () => {
    const chunks: Buffer[] = [];
    for await (const c of layerTar(entries())) chunks.push(c as Buffer);
    const listing = listTar(Buffer.concat(chunks)).map((l) => l.split(/\s+/).filter((_, i) => i !== 2 && i !== 3 && i !== 4).join(' '));
    expect(listing).toEqual(['drwxr-xr-x 0/0 opt/', '-rwsr-xr-x 1000/50 opt/tool', '-rw------- 0/0 opt/conf', 'lrwxrwxrwx 0/0 opt/link -> tool']);
  });

  itRoot('writes the layer as a directory, setuid kept after chown', async () => {
    const out = join(dir, 'upper');
    mkdirSync(out);
    await writeLayerDir(entries(), out);
    const tool = lstatSync(join(out, 'opt/tool'));
    expect([tool.mode & 0o7777, tool.uid, tool.gid, tool.mtimeMs / 1000]).toEqual([0o4755, 1000, 50, 1_600_000_000]);
    expect(readFileSync(join(out, 'opt/conf'), 'utf8')).toBe('x=1\n');
    expect(lstatSync(join(out, 'opt/conf')).mode & 0o777).toBe(0o600);
    expect(readlinkSync(join(out, 'opt/link'))).toBe('tool');
  });

  it('refuses entry paths that leave the layer', async () => {
    await expect(writeLayerDir([{ path: '../escape', type: 'file', mode: 0o644, uid: 0, gid: 0, mtime: 0, source: { data: Buffer.from('') } }], dir)).rejects.toThrow(/unsafe layer path/);
  });
});

describe('ADD archives', () => {
  function makeArchive(flag: string, name: string): string {
    const src = join(dir, 'tree');
    mkdirSync(join(src, 'pkg/bin'), { recursive: true });
    writeFileSync(join(src, 'pkg/bin/run'), '#!/bin/sh\n');
    execFileSync('chmod', ['0750', join(src, 'pkg/bin/run')]);
    const archive = join(dir, name);
    execFileSync('tar', ['-c', ...(flag ? [flag] : []), '--owner=7', '--group=8', '-f', archive, '-C', src, 'pkg']);
    return archive;
  }

  for (const [kind, flag, name, tool] of [
    ['none', '', 'a.tar', 'tar'],
    ['gzip', '-z', 'a.tar.gz', 'gzip'],
    ['bzip2', '-j', 'a.tar.bz2', 'bzip2'],
    ['xz', '-J', 'a.tar.xz', 'xz'],
    ['zstd', '--zstd', 'a.tar.zst', 'zstd'],
  ] as const) {
    it.skipIf(!hasTool(tool))(`unpacks a ${kind === 'none' ? 'plain' : kind} tar into the destination with the archive's modes and owners`, async () => {
      const archive = makeArchive(flag, name);
      expect(await sniffArchive(archive)).toBe(kind);
      const got = await archiveEntries(archive, kind, '/opt', name, loc);
      expect(got!.map((e) => `${e.type} ${e.path} ${e.mode.toString(8)} ${e.uid}:${e.gid}`)).toEqual(['directory opt/pkg 755 7:8', 'directory opt/pkg/bin 755 7:8', 'file opt/pkg/bin/run 750 7:8']);
      expect(got![2]!.source).toEqual({ data: Buffer.from('#!/bin/sh\n') });
    });
  }

  it('leaves a file that is no archive, or compressed but no tar, to be copied as it is', async () => {
    writeFileSync(join(dir, 'plain.txt'), 'just text\n');
    expect(await sniffArchive(join(dir, 'plain.txt'))).toBeUndefined();
    execFileSync('sh', ['-c', 'gzip -c plain.txt > notar.gz'], { cwd: dir });
    expect(await sniffArchive(join(dir, 'notar.gz'))).toBe('gzip');
    expect(await archiveEntries(join(dir, 'notar.gz'), 'gzip', '/x', 'notar.gz', loc)).toBeUndefined();
  });

  it('refuses an archive member that climbs out of the destination', async () => {
    writeFileSync(join(dir, 'evil'), 'x');
    execFileSync('tar', ['-c', '-P', '-f', join(dir, 'evil.tar'), '--transform', 's,^,../../,', '-C', dir, 'evil']);
    const err = await archiveEntries(join(dir, 'evil.tar'), 'none', '/opt', 'evil.tar', loc).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TugError);
    expect((err as TugError).message).toMatch(/points outside the archive/);
  });
});
