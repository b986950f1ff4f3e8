// Reading from and copying out of a replica's image root filesystem without
// ever following its symlinks out of it: the image's /etc/passwd and /etc/group
// (for user: resolution), and the content an image VOLUME starts with, copied
// into a fresh anonymous volume on first use as Docker does.
import { spawn } from 'node:child_process';
import { lstat, readdir, readFile } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';
import { TugError } from '../../../core/errors.js';
import { resolveInRoot } from '../unpack/root-path.js';
import { isOpaque, isWhiteout } from './overlay-markers.js';

/** A file inside `root`, its symlinks resolved with `root` as "/"; undefined when absent or not a file. */
export async function readInRoot(root: string, path: string): Promise<string | undefined> {
  const resolved = await resolveInRoot(root, path);
  const st = await lstat(resolved).catch(() => undefined);
  if (!st?.isFile()) return undefined;
  return readFile(resolved, 'utf8');
}

export async function readUserFiles(root: string): Promise<{ passwd?: string; group?: string }> {
  const [passwd, group] = await Promise.all([readInRoot(root, 'etc/passwd'), readInRoot(root, 'etc/group')]);
  return { ...(passwd !== undefined && { passwd }), ...(group !== undefined && { group }) };
}

/**
 * Seeds an empty volume directory with the image's content at `target`
 * (owners, modes, links and times kept). A volume that already has content is
 * left alone: it is seeded once, on first use.
 */
export async function seedVolume(root: string, target: string, volumeDir: string): Promise<boolean> {
  if ((await readdir(volumeDir).catch(() => [])).length > 0) return false;
  const parent = await resolveInRoot(root, dirname(target).replace(/^\/+/, ''));
  const source = join(parent, basename(target));
  const st = await lstat(source).catch(() => undefined);
  if (!st?.isDirectory()) return false;
  await new Promise<void>((resolve, reject) => {
    const child = spawn('cp', ['-a', '--', `${source}/.`, volumeDir], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new TugError({ code: 'image.volume-seed', message: `cannot copy the image's ${target} into its volume: ${stderr.trim()}` }))));
  });
  return true;
}

/** What a lookup through the layers found: the file's text, nothing there, or a shape only a mounted root can resolve. */
type LayeredFile = { found: string } | { absent: true } | { unresolvable: true };

/** `etc/<name>` as the overlay of `layers` (topmost first) would show it, from the layer directories alone. */
async function readEtcFromLayers(layers: readonly string[], name: string): Promise<LayeredFile> {
  for (const layer of layers) {
    const etc = join(layer, 'etc');
    const dir = await lstat(etc).catch(() => undefined);
    if (!dir) continue;
    if (isWhiteout(dir)) return { absent: true };
    if (!dir.isDirectory()) return { unresolvable: true };
    const file = join(etc, name);
    const st = await lstat(file).catch(() => undefined);
    if (st?.isFile()) return { found: await readFile(file, 'utf8') };
    if (st && isWhiteout(st)) return { absent: true };
    if (st) return { unresolvable: true };
    if (await isOpaque(etc)) return { absent: true };
  }
  return { absent: true };
}

/**
 * readUserFiles for an image whose root is not mounted on the host (the
 * container runtime mounts it inside the container): each file from the
 * highest layer that has it, absent where a layer whites it or /etc out.
 * Undefined when /etc or a file is a symlink or something else only a
 * mounted root resolves as the container would.
 */
export async function readUserFilesFromLayers(layers: readonly string[]): Promise<{ passwd?: string; group?: string } | undefined> {
  const [passwd, group] = await Promise.all([readEtcFromLayers(layers, 'passwd'), readEtcFromLayers(layers, 'group')]);
  if ('unresolvable' in passwd || 'unresolvable' in group) return undefined;
  return { ...('found' in passwd && { passwd: passwd.found }), ...('found' in group && { group: group.found }) };
}
