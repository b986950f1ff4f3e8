// Absolute "/"-separated path tests shared by matching, watching and syncing:
// plain string work, so the same answers hold in the pure core and at the edges.

/** True when `path` is `dir` or inside it ("/a/bc" is not inside "/a/b"). */
export function isInside(path: string, dir: string): boolean {
  return path === dir || path.startsWith(dir === '/' ? '/' : `${dir}/`);
}

/** "/a/b/" → "/a/b"; "/" stays. */
export function trimSlash(path: string): string {
  return path.length > 1 && path.endsWith('/') ? path.replace(/\/+$/, '') || '/' : path;
}

/** `path` relative to `dir` it is inside of ("" for `dir` itself). */
export function relativeInside(dir: string, path: string): string {
  if (path === dir) return '';
  return path.slice(dir === '/' ? 1 : dir.length + 1);
}
