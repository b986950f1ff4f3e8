// `tug image pull NAME` and `tug image load [-i FILE]`: bringing images into
// the store from a registry or an archive (a file, a directory, or stdin).
import { usageError } from '../../core/errors.js';
import { familiarReference, parseReference } from '../../core/images/reference.js';
import { parsePlatform } from '../../core/images/platform.js';
import { loadImages } from '../../runtime/images/load/load-images.js';
import { pullImage } from '../../runtime/images/registry/pull.js';
import type { CliContext } from '../context.js';
import { withImageProgress } from '../render/image-progress.js';
import { interruptController } from '../session.js';
import { storeFor } from './image.js';

export async function imagePullCommand(ctx: CliContext, name: string, flags: { platform?: string; quiet?: boolean }): Promise<number> {
  const ref = parseReference(name);
  const platform = flags.platform ? parsePlatform(flags.platform) : undefined;
  const interrupt = interruptController();
  try {
    const quietCtx = flags.quiet ? { ...ctx, globals: { ...ctx.globals, progress: 'quiet' as const } } : ctx;
    const result = await withImageProgress(quietCtx, (onProgress) =>
      pullImage(storeFor(ctx), name, {
        env: ctx.env,
        ...(platform && { platform }),
        signal: interrupt.signal,
        onProgress: (p) => onProgress({ service: familiarReference(ref), image: name, ...p }),
      }),
    );
    if (!flags.quiet) ctx.out(`Digest: ${result.digest}\nStatus: downloaded ${familiarReference(ref)}\n`);
    ctx.out(`${result.reference}\n`);
    return 0;
  } finally {
    interrupt.dispose();
  }
}

export async function imageLoadCommand(ctx: CliContext, flags: { input?: string; quiet?: boolean }): Promise<number> {
  if (!flags.input && process.stdin.isTTY) {
    throw usageError('no archive given: pass -i FILE or pipe one in', 'e.g. tug image load -i app.tar, or docker save app | tug image load');
  }
  const source = flags.input && flags.input !== '-' ? { path: flags.input } : { stream: process.stdin };
  const loaded = await loadImages(storeFor(ctx), source);
  for (const image of loaded) {
    if (image.names.length === 0) ctx.out(`Loaded image ID: ${image.id}\n`);
    for (const n of image.names) ctx.out(`Loaded image: ${n}\n`);
  }
  return 0;
}
