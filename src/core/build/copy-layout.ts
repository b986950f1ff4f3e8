// Where the files of a COPY/ADD land, as a plain list of layer entries: the
// contents of a source directory go into the destination, a file goes to the
// destination itself or, when that is a directory (written with a trailing "/",
// already one in the image, or several sources), to dest/<name>. Missing parent
// directories are created (0755). Owners are 0:0 unless --chown (COPY --from
// keeps the source's owners); --chmod sets the mode of everything copied.
import type { Owner } from './chown.js';
import type { CopyOp } from './plan/steps.js';

/** A file to copy, as listed from the context or from a rootfs view. */
export interface SourceFile {
  /** Path relative to the root it was read from, "/"-separated ("" for the root itself). */
  rel: string;
  /** Where its content can be read on disk (a context file, or a file in an unpacked layer). */
  path?: string;
  type: 'file' | 'directory' | 'symlink';
  /** Permission and special bits (07777). */
  mode: number;
  size: number;
  uid: number;
  gid: number;
  /** Seconds since the epoch. */
  mtime: number;
  linkname?: string;
  /** Changes whenever the file may have (size, mtime, ctime, inode): the key of a persistent digest cache. */
  statKey?: string;
}

/** One source of a COPY: the matched path, and everything under it when it is a directory. */
export interface SourceMatch {
  root: SourceFile;
  /** The descendants of a directory, paths relative to `root` ("sub/a.txt"), parents first. */
  tree: SourceFile[];
  /** Matched through a wildcard (a file then lands as dest/basename). */
  viaWildcard: boolean;
}

export interface LayerEntry {
  /** Path in the image without the leading "/" ("app/main.js"). */
  path: string;
  type: 'file' | 'directory' | 'symlink';
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
  linkname?: string;
  /** A file's content: read from disk, or given. */
  source?: { path: string; size: number } | { data: Buffer };
}

/** What the parent image has at a path: used for the destination and its ancestors. */
export type ExistingPath = 'directory' | 'other' | undefined;

export interface CopyLayoutInput {
  op: CopyOp;
  matches: readonly SourceMatch[];
  /** What the parent rootfs has at `op.dest` and each of its ancestors. */
  existing: (path: string) => ExistingPath;
  owner?: Owner;
  /** COPY --from keeps the owners the files had. */
  keepOwners: boolean;
}

/** The absolute directories `dest` and its ancestors, root first ("/a", "/a/b"). */
export function destAncestry(dest: string): string[] {
  const parts = dest.split('/').filter((p) => p !== '');
  return parts.map((_, i) => `/${parts.slice(0, i + 1).join('/')}`);
}

/** The entries of a COPY/ADD layer (the archives ADD unpacks are added by the runtime, into op.dest). */
export function layoutCopy(input: CopyLayoutInput): LayerEntry[] {
  const { matches } = input;
  const op = { ...input.op, dest: input.op.dest.replace(/\/+$/, '') || '/' };
  const under = (rel: string): string => `${op.dest === '/' ? '' : op.dest}/${rel}`;
  const destIsDir = op.destIsDir || input.existing(op.dest) === 'directory' || matches.some((m) => m.root.type === 'directory') || matches.length + op.inline.length > 1;
  const out: LayerEntry[] = [];
  const owner = (f: SourceFile): Owner => input.owner ?? (input.keepOwners ? { uid: f.uid, gid: f.gid } : { uid: 0, gid: 0 });
  const mode = (f: SourceFile): number => op.chmod ?? f.mode;
  const add = (path: string, f: SourceFile): void => {
    const entry: LayerEntry = { path: path.replace(/^\/+/, ''), type: f.type, mode: f.type === 'symlink' ? 0o777 : mode(f), ...owner(f), mtime: f.mtime };
    if (f.type === 'symlink') entry.linkname = f.linkname ?? '';
    if (f.type === 'file') entry.source = f.path !== undefined ? { path: f.path, size: f.size } : { data: Buffer.alloc(0) };
    out.push(entry);
  };
  for (const m of matches) {
    if (m.root.type === 'directory') {
      for (const f of m.tree) add(under(f.rel), f);
    } else add(destIsDir ? under(m.root.rel.split('/').pop()!) : op.dest, m.root);
  }
  for (const doc of op.inline) {
    const data = Buffer.from(doc.content);
    const f: SourceFile = { rel: doc.name, type: 'file', mode: 0o644, size: data.length, uid: 0, gid: 0, mtime: 0 };
    out.push({ path: (destIsDir ? under(doc.name) : op.dest).replace(/^\/+/, ''), type: 'file', mode: mode(f), ...owner(f), mtime: 0, source: { data } });
  }
  return [...createdDirs(destIsDir ? op.dest : parentOf(op.dest), out, input), ...out];
}

/**
 * The missing directories of `dir` and its ancestors (0755, owned by the
 * --chown owner else root), which the layer must create; existing ones are
 * left alone so a COPY never changes the mode of /usr or /tmp.
 */
export function createdDirs(dir: string, entries: readonly LayerEntry[], input: Pick<CopyLayoutInput, 'existing' | 'owner'>): LayerEntry[] {
  const have = new Set(entries.filter((e) => e.type === 'directory').map((e) => e.path));
  const owner = input.owner ?? { uid: 0, gid: 0 };
  return destAncestry(dir)
    .filter((d) => input.existing(d) !== 'directory' && !have.has(d.slice(1)))
    .map((d) => ({ path: d.slice(1), type: 'directory' as const, mode: 0o755, ...owner, mtime: 0 }));
}

function parentOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}
