// Unpacks a stored layer blob once into layers/<diff id hex>/fs, verifying on
// the way that the uncompressed tar hashes to the diff ID the image config
// names. The work happens in a temporary directory committed by rename, under
// a lock per diff ID: two pulls sharing a layer unpack it once, and a killed
// unpack leaves only a temporary directory that the next one removes.
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { chmod, mkdir, readlink, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { TugError } from '../../../core/errors.js';
import type { ImageStore, StoredLayer } from '../store/image-store.js';
import { SHORT_ID_LENGTH, blobPath, hexOf, layerDir } from '../store/layout.js';
import { withStoreLock } from '../store/store-lock.js';
import { applyLayer } from './apply-layer.js';
import { decompressStream, openLayerTar } from './decompress.js';

export interface UnpackOptions {
  privileged?: boolean;
  onWait?: (message: string) => void;
  /**
   * The blob's bytes while they download, instead of the stored blob. The
   * layer is committed only once `ready` (the download's verification) has
   * resolved. A layer someone else is unpacking is not waited for: this fails
   * and the caller unpacks from the stored blob.
   */
  stream?: { bytes: Readable; ready: Promise<unknown> };
}

export async function unpackLayer(store: ImageStore, layer: StoredLayer, opts: UnpackOptions = {}): Promise<void> {
  try {
    await unpackOnce(store, layer, opts);
  } finally {
    // Read to the end, or abandoned: either way the download must not wait for this reader.
    opts.stream?.bytes.destroy();
  }
}

async function unpackOnce(store: ImageStore, layer: StoredLayer, opts: UnpackOptions): Promise<void> {
  const hex = hexOf(layer.diffId);
  if (store.hasLayer(layer.diffId)) return ensureShortLink(store, layer.diffId);
  store.ensureDirs();
  await withStoreLock(store.layout, `layer-${hex}`, async () => {
    if (store.hasLayer(layer.diffId)) return;
    const final = layerDir(store.layout, layer.diffId);
    await removeLeftovers(store, hex, final);
    const tmp = join(store.layout.layersDir, `.tmp-${hex}-${randomBytes(4).toString('hex')}`);
    try {
      await mkdir(join(tmp, 'fs'), { recursive: true });
      await chmod(join(tmp, 'fs'), 0o755);
      const hash = createHash('sha256');
      const tee = new Transform({
        transform(chunk: Buffer, _enc, done) {
          hash.update(chunk);
          done(null, chunk);
        },
      });
      const tar = opts.stream ? await decompressStream(opts.stream.bytes) : await openLayerTar(blobPath(store.layout, layer.digest));
      tar.on('error', (err) => tee.destroy(err));
      const applied = await applyLayer(tar.pipe(tee), join(tmp, 'fs'), { layer: layer.diffId, privileged: opts.privileged ?? process.getuid?.() === 0 });
      const diffId = `sha256:${hash.digest('hex')}`;
      if (diffId !== layer.diffId) {
        throw new TugError({
          code: 'image.diffid-mismatch',
          message: `layer ${layer.digest} unpacks to content ${diffId}, but the image config says ${layer.diffId}; nothing was stored`,
          hint: 'the image is corrupted (its layers do not match its configuration); push or save it again',
        });
      }
      await opts.stream?.ready;
      await writeFile(join(tmp, 'layer.json'), JSON.stringify({ diffId, blob: layer.digest, size: applied.size, entries: applied.entries }) + '\n');
      await rename(tmp, final);
    } catch (err) {
      await rm(tmp, { recursive: true, force: true });
      throw wrapUnpackError(err, layer);
    }
  }, opts.onWait, { wait: !opts.stream });
  await ensureShortLink(store, layer.diffId);
}

/** A directory left by a killed unpack (under our lock nobody else is writing it). */
async function removeLeftovers(store: ImageStore, hex: string, final: string): Promise<void> {
  for (const name of readdirSync(store.layout.layersDir)) {
    if (name.startsWith(`.tmp-${hex}-`)) await rm(join(store.layout.layersDir, name), { recursive: true, force: true });
  }
  // A final directory without layer.json cannot come from a commit by rename; remove it to be sure.
  await rm(final, { recursive: true, force: true });
}

/** l/<12 hex> → ../layers/<hex>/fs; a (vanishingly unlikely) clash keeps the other's link and the long path is used. */
export async function ensureShortLink(store: ImageStore, diffId: string): Promise<void> {
  const hex = hexOf(diffId);
  const link = join(store.layout.shortLinksDir, hex.slice(0, SHORT_ID_LENGTH));
  const target = `../layers/${hex}/fs`;
  try {
    await symlink(target, link);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    if ((await readlink(link).catch(() => '')) === target) return;
  }
}

/** The overlay lowerdir name of a layer, relative to l/ (the mount's working directory). */
export async function shortLayerName(store: ImageStore, diffId: string): Promise<string> {
  const hex = hexOf(diffId);
  const short = hex.slice(0, SHORT_ID_LENGTH);
  const target = await readlink(join(store.layout.shortLinksDir, short)).catch(() => '');
  return target === `../layers/${hex}/fs` ? short : `../layers/${hex}/fs`;
}

function wrapUnpackError(err: unknown, layer: StoredLayer): unknown {
  if (err instanceof TugError) return err;
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'Z_DATA_ERROR' || /incorrect header check|unexpected end|Invalid tar/i.test(e.message ?? '')) {
    return new TugError({ code: 'image.layer-corrupt', message: `layer ${layer.digest} is not a valid tar archive: ${e.message}; nothing was stored` });
  }
  return new TugError({ code: 'image.unpack-failed', message: `cannot unpack layer ${layer.digest}: ${e.message}` });
}
