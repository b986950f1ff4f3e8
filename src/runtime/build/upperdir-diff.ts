// The layer of a RUN step from the upper directory of its overlay mount: what
// the command created or changed is there as is, what it deleted is a 0/0
// character device (written to the layer as `.wh.<name>`), and a directory it
// replaced carries the opaque xattr (written as `.wh..wh..opq` inside it, first,
// so a consumer applies it before the directory's new children). overlay's own
// xattrs stay out of the layer. Not carried yet: other xattrs (file
// capabilities), hard links (each link becomes its own copy), FIFOs, sockets
// and devices other than whiteouts.
import { lstat, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { packStream, type PackEntry } from '../tar/pack.js';
import { isOpaque, isWhiteout } from '../images/rootfs/overlay-markers.js';

/** The layer entries of an upper directory, parents first, names sorted. */
export async function* upperdirEntries(upper: string, rel = ''): AsyncGenerator<PackEntry> {
  const names = (await readdir(rel === '' ? upper : join(upper, rel))).sort();
  for (const name of names) {
    const childRel = rel === '' ? name : `${rel}/${name}`;
    const path = join(upper, childRel);
    const stat = await lstat(path);
    const base = { mode: stat.mode & 0o7777, uid: stat.uid, gid: stat.gid, mtime: Math.floor(stat.mtimeMs / 1000) };
    if (isWhiteout(stat)) {
      yield { name: rel === '' ? `.wh.${name}` : `${rel}/.wh.${name}`, type: 'file', mode: 0o600, uid: stat.uid, gid: stat.gid, mtime: 0, body: Buffer.alloc(0) };
    } else if (stat.isDirectory()) {
      yield { ...base, name: `${childRel}/`, type: 'directory' };
      if (await isOpaque(path)) yield { name: `${childRel}/.wh..wh..opq`, type: 'file', mode: 0o600, uid: 0, gid: 0, mtime: 0, body: Buffer.alloc(0) };
      yield* upperdirEntries(upper, childRel);
    } else if (stat.isSymbolicLink()) {
      yield { ...base, name: childRel, type: 'symlink', linkname: await readlink(path) };
    } else if (stat.isFile()) {
      yield { ...base, name: childRel, type: 'file', path, size: stat.size };
    }
  }
}

/** The upper directory as a layer tar stream (OCI whiteouts). */
export function upperdirTar(upper: string): Readable {
  return packStream(upperdirEntries(upper));
}
