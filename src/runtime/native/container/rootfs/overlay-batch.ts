// Mounts the overlay roots of many replicas with one util-linux `mount -a`
// over a private fstab, instead of one `mount` process each. A process spawned
// by the engine costs it 5-12 ms of blocked event loop on two busy cores
// (fork of a large process, then a wait for the child's exec), so 100 image
// replicas paid about a second for their mounts alone. `mount -a` goes on
// after a failed entry, so each request's outcome is read back from
// /proc/self/mountinfo, and a failure carries the message mount printed for
// that target, never another replica's.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TugError } from '../../../../core/errors.js';
import { currentMountPoints, type OverlayRequest } from '../../../images/rootfs/overlay.js';
import { runTool } from '../run-tool.js';

/** fstab fields are split on whitespace; libmount undoes octal escapes (as in /proc/mounts). */
export function fstabField(value: string): string {
  return value.replace(/[\\\s#]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);
}

export function fstabText(requests: readonly OverlayRequest[]): string {
  return requests.map((r) => `overlay ${fstabField(r.target)} overlay ${fstabField(r.options)} 0 0\n`).join('');
}

/** mount's complaint about one target: its "mount: TARGET: ..." line and the lines that continue it. */
export function messageFor(stderr: string, target: string): string | undefined {
  const lines = stderr.split('\n');
  const start = lines.findIndex((l) => l.startsWith(`mount: ${target}: `));
  if (start < 0) return undefined;
  const out = [lines[start]!.slice(`mount: ${target}: `.length).trim()];
  for (const l of lines.slice(start + 1)) {
    if (!/^\s/.test(l) || l.trim() === '') break;
    out.push(l.trim());
  }
  return out.join(' ');
}

let batches = 0;

/**
 * Mounts every request; returns, in order, undefined for each mounted and a
 * TugError for each that is not. `scratch` holds the fstab while mount reads it.
 */
export async function mountOverlays(requests: readonly OverlayRequest[], scratch: string, mountPath = 'mount'): Promise<(TugError | undefined)[]> {
  const results: (TugError | undefined)[] = requests.map(() => undefined);
  // The lower directories are relative to the mount's working directory: one run per directory (one store, in practice).
  const byCwd = new Map<string, number[]>();
  requests.forEach((r, i) => byCwd.set(r.cwd, [...(byCwd.get(r.cwd) ?? []), i]));
  await mkdir(scratch, { recursive: true, mode: 0o700 });
  for (const [cwd, indexes] of byCwd) {
    const fstab = join(scratch, `overlays-${process.pid}-${++batches}.fstab`);
    await writeFile(fstab, fstabText(indexes.map((i) => requests[i]!)), { mode: 0o600 });
    let stderr: string;
    try {
      const r = await runTool(mountPath, ['-a', '-T', fstab], { cwd, timeoutMs: 120_000 });
      stderr = r.stderr;
    } finally {
      await rm(fstab, { force: true });
    }
    const mounted = await currentMountPoints();
    for (const i of indexes) {
      const { target } = requests[i]!;
      if (mounted.has(target)) continue;
      const why = messageFor(stderr, target) ?? (stderr.trim().split('\n')[0] || 'mount reported nothing');
      results[i] = new TugError({ code: 'rootfs.mount-failed', message: `mount ${target} failed: ${why}`, hint: 'overlay mounts need root and a kernel with overlayfs' });
    }
  }
  return results;
}
