// A RUN layer from a real overlay upper directory: files the command wrote are
// in the layer, a deleted file is a `.wh.` whiteout and a directory replaced
// with `rm -rf d && mkdir d` is opaque, as Docker's builder writes them.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { upperdirTar } from '../../src/runtime/build/upperdir-diff.js';
import { listTar } from '../helpers/build-fakes.js';
import { describeRoot } from '../helpers/root.js';

let dir: string;
let mounted = false;

describeRoot('RUN layers from an overlay upper directory', () => {
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'tug-build-upper-'));
    for (const d of ['lower/data/keep', 'upper', 'work', 'merged']) mkdirSync(join(dir, d), { recursive: true });
    writeFileSync(join(dir, 'lower/data/gone.txt'), 'old');
    writeFileSync(join(dir, 'lower/data/keep/old.txt'), 'old');
    const r = spawnSync('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${dir}/lower,upperdir=${dir}/upper,workdir=${dir}/work`, join(dir, 'merged')], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`cannot mount an overlay: ${r.stderr}`);
    mounted = true;
    // What a RUN would do: delete one file, replace a directory, write a new file.
    execFileSync('sh', ['-c', 'rm data/gone.txt && rm -rf data/keep && mkdir data/keep && echo new > data/keep/new.txt && echo hi > added.txt'], { cwd: join(dir, 'merged') });
    execFileSync('umount', [join(dir, 'merged')]);
    mounted = false;
  });

  afterAll(() => {
    if (mounted) spawnSync('umount', [join(dir, 'merged')]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes whiteouts and opaque markers the OCI way, and overlay internals not at all', async () => {
    const chunks: Buffer[] = [];
    for await (const c of upperdirTar(join(dir, 'upper'))) chunks.push(c as Buffer);
    const names = listTar(Buffer.concat(chunks)).map((l) => l.split(/\s+/).slice(5).join(' '));
    expect(names).toEqual(['added.txt', 'data/', 'data/.wh.gone.txt', 'data/keep/', 'data/keep/.wh..wh..opq', 'data/keep/new.txt']);
  });
});
