// Applies one layer tar into its own empty directory in the form overlayfs
// reads as a lower layer (containerd's order, IMAGE-FACTS §3): whiteouts
// `.wh.<name>` become 0/0 character devices, opaque markers `.wh..wh..opq`
// become `trusted.overlay.opaque=y` on their directory, and the markers
// themselves are not written. Every entry is checked to stay inside the
// directory (root-path.ts). Ownership, then xattrs, then modes (chmod after
// chown, which clears setuid bits), then times, directories' times last since
// creating their children changes them. tar-stream exposes each entry as it
// is (node-tar drops devices and masks modes).
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { chmod, link, lchown, lstat, lutimes, mkdir, rm, symlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { extract, type Header } from 'tar-stream';
import { TugError } from '../../../core/errors.js';
import { IO_CHUNK } from './decompress.js';
import { cleanEntryName, resolveInRoot } from './root-path.js';

const WHITEOUT = '.wh.';
const OPAQUE = '.wh..wh..opq';
const OPAQUE_XATTR = 'trusted.overlay.opaque';

// The native addon loads only for layers that carry xattrs or opaque markers.
let xattr: Promise<typeof import('@napi-rs/xattr')> | undefined;
const setAttribute = async (path: string, name: string, value: string): Promise<void> => (await (xattr ??= import('@napi-rs/xattr'))).setAttribute(path, name, value);

export interface ApplyOptions {
  /** Name for messages (the diff ID). */
  layer: string;
  /** Root can chown, make devices and set trusted.* xattrs; without it those are skipped (or refused for whiteouts). */
  privileged: boolean;
}

export interface ApplyResult {
  /** Bytes of file content written. */
  size: number;
  entries: number;
}

export async function applyLayer(tar: Readable, root: string, opts: ApplyOptions): Promise<ApplyResult> {
  const ex = extract();
  const dirTimes: [string, Date][] = [];
  const result: ApplyResult = { size: 0, entries: 0 };
  ex.on('entry', (header, stream, next) => {
    applyEntry(root, header, stream, opts, dirTimes, result).then(
      () => next(),
      (err: unknown) => {
        stream.resume();
        next(err as Error);
      },
    );
  });
  await pipeline(tar, ex as unknown as NodeJS.WritableStream);
  // Deepest first, so setting a child's time does not disturb its parent's. lutimes: a later
  // entry may have replaced the directory with a symlink, which must not be followed.
  for (const [dir, mtime] of dirTimes.sort((a, b) => b[0].length - a[0].length)) await lutimes(dir, mtime, mtime).catch(() => undefined);
  return result;
}

async function applyEntry(root: string, h: Header, source: unknown, opts: ApplyOptions, dirTimes: [string, Date][], result: ApplyResult): Promise<void> {
  // tar-stream's entry streams are streamx streams; Node's pipeline takes them as they are.
  const body = source as Readable;
  const rel = cleanEntryName(h.name, opts.layer);
  if (rel === '') return void body.resume(); // the root directory itself keeps our mode
  result.entries++;
  const parent = await resolveInRoot(root, dirname(rel) === '.' ? '' : dirname(rel));
  await mkdir(parent, { recursive: true, mode: 0o755 });
  const base = basename(rel);
  if (base.startsWith(WHITEOUT)) {
    body.resume();
    return applyWhiteout(parent, base, h, opts);
  }
  const target = join(parent, base);
  const existing = await lstat(target).catch(() => undefined);
  if (existing && !(existing.isDirectory() && h.type === 'directory')) await rm(target, { recursive: true, force: true });
  switch (h.type) {
    case 'directory':
      if (!existing?.isDirectory()) await mkdir(target, { mode: 0o700 });
      body.resume();
      break;
    case 'file':
    case 'contiguous-file':
      await pipeline(body, createWriteStream(target, { flags: 'wx', mode: 0o600, highWaterMark: IO_CHUNK }) /* O_EXCL: never through a symlink */);
      result.size += h.size ?? 0;
      break;
    case 'symlink':
      body.resume();
      await symlink(h.linkname ?? '', target);
      break;
    case 'link': {
      body.resume();
      const source = await linkSource(root, h.linkname ?? '', opts.layer);
      await link(source, target);
      return; // a hard link shares its target's owner, mode and times
    }
    case 'character-device':
    case 'block-device':
    case 'fifo':
      body.resume();
      if (!opts.privileged && h.type !== 'fifo') return; // devices need CAP_MKNOD; Docker skips them unprivileged too
      await mknod(target, h.type === 'fifo' ? 'p' : h.type === 'block-device' ? 'b' : 'c', h.devmajor ?? 0, h.devminor ?? 0);
      break;
    default:
      body.resume();
      return; // GNU volume headers and the like carry nothing to write
  }
  await finishEntry(target, h, opts, dirTimes);
}

async function finishEntry(target: string, h: Header, opts: ApplyOptions, dirTimes: [string, Date][]): Promise<void> {
  if (opts.privileged) await lchown(target, h.uid ?? 0, h.gid ?? 0);
  const isLink = h.type === 'symlink';
  if (!isLink) await setXattrs(target, h, opts);
  if (!isLink) await chmod(target, (h.mode ?? 0o644) & 0o7777);
  const mtime = h.mtime ?? new Date(0);
  if (h.type === 'directory') dirTimes.push([target, mtime]);
  else await lutimes(target, mtime, mtime).catch(() => undefined);
}

async function applyWhiteout(parent: string, base: string, h: Header, opts: ApplyOptions): Promise<void> {
  if (!opts.privileged) {
    throw new TugError({ code: 'image.unpack-needs-root', message: `layer ${opts.layer} deletes files from lower layers (whiteouts), which only root can unpack for overlayfs`, hint: 'run tug as root to use this image on the native backend' });
  }
  if (base === OPAQUE) {
    await setAttribute(parent, OPAQUE_XATTR, 'y');
    return;
  }
  const name = base.slice(WHITEOUT.length);
  if (name === '' || name === '.' || name === '..' || name.startsWith(WHITEOUT)) {
    throw new TugError({ code: 'image.layer-invalid', message: `layer ${opts.layer} has an invalid whiteout "${base}"` });
  }
  const target = join(parent, name);
  await rm(target, { recursive: true, force: true });
  await mknod(target, 'c', 0, 0);
  await lchown(target, h.uid ?? 0, h.gid ?? 0);
}

/** A hard link names an earlier entry of the same layer; it may not leave the layer. */
async function linkSource(root: string, linkname: string, layer: string): Promise<string> {
  const rel = cleanEntryName(linkname, layer);
  const parent = await resolveInRoot(root, dirname(rel) === '.' ? '' : dirname(rel));
  const source = join(parent, basename(rel));
  const st = await lstat(source).catch(() => undefined);
  if (!st || st.isDirectory()) {
    throw new TugError({ code: 'image.layer-invalid', message: `layer ${layer} has a hard link to "${linkname}", which is not a file earlier in the same layer` });
  }
  return source;
}

/** `SCHILY.xattr.<name>` PAX records; trusted.* is refused (overlay's own), unsupported names skipped. */
async function setXattrs(target: string, h: Header, opts: ApplyOptions): Promise<void> {
  for (const [key, value] of Object.entries((h.pax ?? {}) as Record<string, unknown>)) {
    if (!key.startsWith('SCHILY.xattr.') || typeof value !== 'string') continue;
    const name = key.slice('SCHILY.xattr.'.length);
    if (name.startsWith('trusted.')) continue;
    if (!opts.privileged && name.startsWith('security.')) continue;
    // tar-stream decodes PAX values as UTF-8: a binary value it could not decode is skipped, not corrupted.
    if (value.includes('\uFFFD')) continue;
    try {
      await setAttribute(target, name, value);
    } catch (err) {
      const code = (err as { code?: string }).code ?? '';
      if (!/ENOTSUP|EOPNOTSUPP|EPERM|EACCES/.test(code + String((err as Error).message))) throw err;
    }
  }
}

/** Node has no mknod(2): coreutils `mknod`, with the path as an argument (no shell). */
function mknod(path: string, kind: 'c' | 'b' | 'p', major: number, minor: number): Promise<void> {
  const args = kind === 'p' ? [path, 'p'] : [path, kind, String(major), String(minor)];
  return new Promise((resolve, reject) => {
    const child = spawn('mknod', ['--', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new TugError({ code: 'image.unpack-failed', message: `cannot create device ${basename(path)}: ${stderr.trim()}` }))));
  });
}
