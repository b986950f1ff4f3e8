// How overlayfs marks deletions in a layer directory (an unpacked image layer,
// an upper directory): a removed entry is a 0/0 character device (a
// whiteout), and a directory that hides everything below it carries the
// opaque xattr. Read by builds (an upper directory becomes a layer) and by
// image roots (a file looked up through the layers without mounting them).
import type { Stats } from 'node:fs';

const OPAQUE_XATTRS = ['trusted.overlay.opaque', 'user.overlay.opaque'];
/** The native addon, loaded on the first directory asked about (not with every command). */
let xattr: Promise<typeof import('@napi-rs/xattr')> | undefined;

/** Whether `stat` is an overlay whiteout: a character device numbered 0/0. */
export function isWhiteout(stat: Stats): boolean {
  return stat.isCharacterDevice() && stat.rdev === 0;
}

/** Whether the directory hides what the layers below have under the same path. */
export async function isOpaque(path: string): Promise<boolean> {
  const { getAttribute } = await (xattr ??= import('@napi-rs/xattr'));
  for (const name of OPAQUE_XATTRS) {
    const value = await getAttribute(path, name).catch(() => null);
    if (value && value.toString() === 'y') return true;
  }
  return false;
}
