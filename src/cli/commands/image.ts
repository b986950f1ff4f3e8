// `tug image ls | inspect | rm | prune`: the image store shared by all of the
// user's projects (TUG_HOME/images), as `docker image` shows an engine's.
import { TugError, usageError } from '../../core/errors.js';
import { familiarName, parseReference } from '../../core/images/reference.js';
import { readBlob } from '../../runtime/images/store/blobs.js';
import { ImageStore, refsOf, type ImageRecord } from '../../runtime/images/store/image-store.js';
import { imageDiskUse, type ImageDiskUse } from '../../runtime/images/store/disk-use.js';
import { pruneStore, removeImage } from '../../runtime/images/store/prune.js';
import type { CliContext } from '../context.js';
import { formatUserError } from '../render/errors.js';
import { ago, humanSize, shortImageId, table } from '../render/image-table.js';
import { compareText } from '../../core/compare.js';

export function storeFor(ctx: CliContext): ImageStore {
  return ImageStore.forEnv(ctx.env);
}

interface ImageRow {
  repository: string;
  tag: string;
  record: ImageRecord;
  size: number;
  use: ImageDiskUse;
}

async function imageRows(store: ImageStore): Promise<ImageRow[]> {
  const refs = await store.readRefs();
  const rows: ImageRow[] = [];
  const records = await store.listImages();
  const uses = await imageDiskUse(store, records);
  for (const record of records) {
    const use = uses.get(record.id)!;
    const size = use.size;
    const names = Object.entries(refs).filter(([k, e]) => e.id === record.id && !k.includes('@'));
    if (names.length === 0) {
      rows.push({ repository: '<none>', tag: '<none>', record, size, use });
      continue;
    }
    for (const [name] of names) {
      const ref = parseReference(name);
      rows.push({ repository: familiarName(ref), tag: ref.tag ?? '<none>', record, size, use });
    }
  }
  return rows.sort((a, b) => compareText(b.record.created ?? '', a.record.created ?? '') || compareText(a.repository, b.repository) || compareText(a.tag, b.tag));
}

export async function imageLsCommand(ctx: CliContext, flags: { format: 'table' | 'json'; quiet?: boolean; all?: boolean }): Promise<number> {
  const rows = await imageRows(storeFor(ctx));
  if (flags.quiet) {
    ctx.out([...new Set(rows.map((r) => shortImageId(r.record.id)))].map((id) => `${id}\n`).join(''));
    return 0;
  }
  const now = Date.now();
  if (flags.format === 'json') {
    for (const r of rows) {
      ctx.out(JSON.stringify({ Repository: r.repository, Tag: r.tag, ID: shortImageId(r.record.id), Digest: r.record.repoDigests[0]?.split('@')[1] ?? '<none>', CreatedAt: r.record.created ?? '', CreatedSince: ago(r.record.created, now), Size: humanSize(r.size), VirtualSize: humanSize(r.size), UniqueSize: humanSize(r.use.unique), SharedSize: humanSize(r.use.shared), Containers: String(r.use.replicas), Platform: platformText(r.record) }) + '\n');
    }
    return 0;
  }
  ctx.out(table([['REPOSITORY', 'TAG', 'IMAGE ID', 'CREATED', 'SIZE'], ...rows.map((r) => [r.repository, r.tag, shortImageId(r.record.id), ago(r.record.created, now), humanSize(r.size)])]));
  return 0;
}

function platformText(r: ImageRecord): string {
  return [r.platform.os, r.platform.architecture, r.platform.variant].filter(Boolean).join('/');
}

export async function imageInspectCommand(ctx: CliContext, names: string[], flags: { format?: string }): Promise<number> {
  if (flags.format && flags.format !== 'json') throw usageError(`--format ${flags.format} is not supported`, 'tug image inspect prints JSON');
  const store = storeFor(ctx);
  const refs = await store.readRefs();
  const out: unknown[] = [];
  const missing: string[] = [];
  for (const name of names) {
    const found = await store.findImage(name);
    if (!found) {
      missing.push(name);
      continue;
    }
    const r = found.record;
    const config = JSON.parse((await readBlob(store.layout, r.config.digest)).toString('utf8')) as Record<string, unknown>;
    out.push({
      Id: r.id,
      RepoTags: refsOf(refs, r.id).filter((n) => !n.includes('@')),
      RepoDigests: r.repoDigests,
      Created: r.created ?? '',
      Architecture: r.platform.architecture,
      Os: r.platform.os,
      ...(r.platform.variant && { Variant: r.platform.variant }),
      Size: await store.imageSize(r),
      Config: config.config ?? {},
      RootFS: { Type: 'layers', Layers: r.layers.map((l) => l.diffId) },
      Manifest: r.manifest,
      Metadata: { Added: r.added },
    });
  }
  ctx.out(JSON.stringify(out, null, 4) + '\n');
  for (const m of missing) ctx.err(`${ctx.errColor.red('error')} no such image: ${m}\n`);
  return missing.length > 0 ? 1 : 0;
}

export async function imageRmCommand(ctx: CliContext, names: string[], flags: { force?: boolean }): Promise<number> {
  const store = storeFor(ctx);
  let failed = false;
  for (const name of names) {
    try {
      const { untagged, deleted } = await removeImage(store, name, { force: flags.force ?? false });
      for (const u of untagged) ctx.out(`Untagged: ${u}\n`);
      if (deleted) ctx.out(`Deleted: ${deleted}\n`);
    } catch (err) {
      // Docker goes on with the other names and fails at the end.
      if (!(err instanceof TugError)) throw err;
      ctx.err(formatUserError(err, ctx.errColor, ctx.cwd) + '\n');
      failed = true;
    }
  }
  return failed ? 1 : 0;
}

export async function imagePruneCommand(ctx: CliContext): Promise<number> {
  const report = await pruneStore(storeFor(ctx));
  if (report.images.length > 0) ctx.out(`Deleted Images:\n${report.images.map((i) => `deleted: ${i}\n`).join('')}\n`);
  ctx.out(`Total reclaimed space: ${humanSize(report.bytes)}\n`);
  return 0;
}
