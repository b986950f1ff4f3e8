// A COPY/ADD step in two halves. `readCopySources` finds what the step reads
// (in the build context, or in the rootfs of the stage or image of --from) and
// hashes it, which is all the cache key needs. `copyLayerEntries` runs only on
// a cache miss: it resolves --chown against the parent's passwd and group,
// checks which destination directories exist, unpacks ADD archives, and lists
// the layer. WORKDIR's directory creation is here too: it is the same kind of
// change, a few directories written without running anything.
import { posix } from 'node:path';
import { ConfigErrors, TugError, type SourceLocation } from '../../core/errors.js';
import { resolveChown } from '../../core/build/chown.js';
import { compileGlob, hasWildcards } from '../../core/build/copy-glob.js';
import { createdDirs, destAncestry, layoutCopy, type ExistingPath, type LayerEntry, type SourceMatch } from '../../core/build/copy-layout.js';
import type { CopyOp } from '../../core/build/plan/steps.js';
import type { BuildContext } from './context.js';
import type { FileDigester } from './digest.js';
import type { RootfsView } from './interfaces.js';

export interface CopySources {
  matches: SourceMatch[];
  contentHash: string;
}

/** What a COPY/ADD reads, from the context or (with --from) from `fromView`. */
export async function readCopySources(
  op: CopyOp,
  location: SourceLocation,
  from: { context?: BuildContext; fromView?: RootfsView },
  digester: FileDigester,
): Promise<CopySources> {
  const name = op.instruction.toUpperCase();
  let matches: SourceMatch[] = [];
  if (op.sources.length > 0) {
    if (from.fromView) matches = await matchInView(from.fromView, op.sources, location, name);
    else if (from.context) matches = await from.context.match(op.sources, location, name);
    else throw new TugError({ code: 'build.no-context', message: `${name}: this build has no context to copy from`, location, hint: 'give build.context a directory' });
  }
  return { matches, contentHash: await digester.contentHash(matches) };
}

async function matchInView(view: RootfsView, sources: readonly string[], location: SourceLocation, name: string): Promise<SourceMatch[]> {
  const out: SourceMatch[] = [];
  const errors: TugError[] = [];
  for (const source of sources) {
    const clean = posix.normalize(`/${source}`).replace(/\/$/, '') || '/';
    if (hasWildcards(clean)) {
      const parts = clean.split('/');
      const fixed = parts.slice(0, parts.findIndex((p) => hasWildcards(p))).join('/') || '/';
      const test = compileGlob(clean.slice(1));
      const found = (await view.list(fixed)).filter((f) => test(posix.join(fixed, f.rel).slice(1)));
      if (found.length === 0) errors.push(missing(location, `${name} --from ${source}: nothing matches`));
      for (const f of found) out.push(await viewMatch(view, posix.join(fixed, f.rel), true));
      continue;
    }
    const root = await view.stat(clean);
    if (!root) errors.push(missing(location, `${name} --from ${source}: no such file in the source image`));
    else out.push(await viewMatch(view, clean, false));
  }
  if (errors.length > 1) throw new ConfigErrors(errors);
  if (errors.length === 1) throw errors[0];
  return out;
}

async function viewMatch(view: RootfsView, path: string, viaWildcard: boolean): Promise<SourceMatch> {
  const root = (await view.stat(path))!;
  const tree = root.type === 'directory' ? await view.list(path) : [];
  return { root: { ...root, rel: path === '/' ? '' : posix.basename(path) }, tree, viaWildcard };
}

function missing(location: SourceLocation, message: string): TugError {
  return new TugError({ code: 'build.copy-source', message, location, hint: 'check the path inside the stage or image named by --from' });
}

/** What the parent rootfs has at `dest` and each ancestor. */
async function existingPaths(parent: RootfsView, dest: string): Promise<(path: string) => ExistingPath> {
  const known = new Map<string, ExistingPath>();
  for (const dir of ['/', ...destAncestry(dest)]) {
    const stat = await parent.stat(dir);
    known.set(dir, stat === undefined ? undefined : stat.type === 'directory' ? 'directory' : 'other');
  }
  return (path) => known.get(path);
}

/** The entries of the layer a COPY/ADD writes on top of `parent`. */
export async function copyLayerEntries(op: CopyOp, sources: CopySources, parent: RootfsView, location: SourceLocation): Promise<LayerEntry[]> {
  const owner = op.chown === undefined ? undefined : resolveChown(op.chown, await ownerFiles(parent), location);
  const existing = await existingPaths(parent, op.dest);
  const plain: SourceMatch[] = [];
  const unpacked: LayerEntry[] = [];
  // Only ADD unpacks archives; COPY never loads the archive reader.
  const archives = op.instruction === 'add' && op.from === undefined ? await import('./archive.js') : undefined;
  for (const m of sources.matches) {
    const archive = archives && m.root.type === 'file' && m.root.path !== undefined ? await archives.sniffArchive(m.root.path) : undefined;
    const entries = archive === undefined ? undefined : await archives!.archiveEntries(m.root.path!, archive, op.dest, m.root.rel, location);
    if (entries) unpacked.push(...entries);
    else plain.push(m);
  }
  const layout = layoutCopy({ op, matches: plain, existing, owner, keepOwners: op.from !== undefined });
  if (unpacked.length === 0) return layout;
  return [...createdDirs(op.dest, layout, { existing, owner }), ...layout, ...unpacked];
}

async function ownerFiles(view: RootfsView): Promise<{ passwd?: string; group?: string }> {
  const [passwd, group] = await Promise.all([view.readFile('/etc/passwd'), view.readFile('/etc/group')]);
  return { passwd: passwd?.toString('utf8'), group: group?.toString('utf8') };
}

/** The directories WORKDIR must create (those missing from the parent), root-owned 0755 as Docker does. */
export async function workdirEntries(path: string, parent: RootfsView): Promise<LayerEntry[]> {
  return createdDirs(path, [], { existing: await existingPaths(parent, path) });
}
