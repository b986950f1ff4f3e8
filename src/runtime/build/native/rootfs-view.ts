// A layer stack seen read-only, as the builder reads it (COPY --from, --chown
// names, COPY destinations): a read-only overlay mount of the store's
// unpacked layers, so whiteouts and opaque directories hide what they should.
// No layer needs no mount (an empty root), one layer is its own directory.
// Paths are resolved inside the root (symlinks re-rooted), never outside it.
import type { Stats } from 'node:fs';
import { mkdirSync } from 'node:fs';
import { lstat, readdir, readFile, readlink, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { SourceFile } from '../../../core/build/copy-layout.js';
import type { ImageStore } from '../../images/store/image-store.js';
import { layerFsDir } from '../../images/store/layout.js';
import { mountLayers, unmountLayers } from '../../images/rootfs/overlay.js';
import { resolveInRoot } from '../../images/unpack/root-path.js';
import type { Rootfs, RootfsView } from '../interfaces.js';
import { newRunDir } from './build-dirs.js';

export async function openRootfsView(store: ImageStore, rootfs: Rootfs): Promise<RootfsView> {
  const layers = rootfs.diffIds;
  if (layers.length === 0) return dirView(undefined, async () => {});
  if (layers.length === 1) return dirView(layerFsDir(store.layout, layers[0]!), async () => {});
  const dir = newRunDir(store, 'view');
  const target = join(dir, 'root');
  mkdirSync(target, { mode: 0o700 });
  try {
    await mountLayers(store, layers, { target, emptyDir: dir }, 'being built');
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  return dirView(target, async () => {
    await unmountLayers(target);
    await rm(dir, { recursive: true, force: true });
  });
}

/** A view of the directory `root` (undefined: an empty root). */
export function dirView(root: string | undefined, release: () => Promise<void>): RootfsView {
  const locate = async (path: string): Promise<string | undefined> => {
    if (!root) return undefined;
    const rel = path.replace(/^\/+/, '');
    if (rel === '') return root;
    const parent = await resolveInRoot(root, dirname(rel) === '.' ? '' : dirname(rel));
    return join(parent, basename(rel));
  };
  return {
    async stat(path) {
      if (path.replace(/^\/+/, '') === '') return { rel: '', path: root, type: 'directory', mode: 0o755, size: 0, uid: 0, gid: 0, mtime: 0 };
      const full = await locate(path);
      const st = full ? await lstat(full).catch(() => undefined) : undefined;
      return st && full ? await sourceFile(full, path.replace(/^\/+/, ''), st) : undefined;
    },
    async list(path) {
      const start = await locate(path);
      const st = start ? await lstat(start).catch(() => undefined) : undefined;
      if (!start || !st?.isDirectory()) return [];
      const out: SourceFile[] = [];
      const walk = async (dir: string, rel: string): Promise<void> => {
        for (const name of (await readdir(dir)).sort()) {
          const full = join(dir, name);
          const childRel = rel === '' ? name : `${rel}/${name}`;
          const child = await lstat(full);
          const file = await sourceFile(full, childRel, child);
          if (!file) continue;
          out.push(file);
          if (child.isDirectory()) await walk(full, childRel);
        }
      };
      await walk(start, '');
      return out;
    },
    async readFile(path) {
      if (!root) return undefined;
      const resolved = await resolveInRoot(root, path.replace(/^\/+/, ''));
      const st = await lstat(resolved).catch(() => undefined);
      return st?.isFile() ? readFile(resolved) : undefined;
    },
    release,
  };
}

async function sourceFile(full: string, rel: string, st: Stats): Promise<SourceFile | undefined> {
  const type = st.isDirectory() ? 'directory' : st.isSymbolicLink() ? 'symlink' : st.isFile() ? 'file' : undefined;
  if (!type) return undefined; // devices, FIFOs and sockets are not copied
  const file: SourceFile = { rel, path: full, type, mode: st.mode & 0o7777, size: type === 'file' ? st.size : 0, uid: st.uid, gid: st.gid, mtime: Math.floor(st.mtimeMs / 1000) };
  if (type === 'symlink') file.linkname = await readlink(full);
  return file;
}
