// Loads a project from an in-memory file tree, for loader tests with literals.
import { ConfigErrors, TugError } from '../../src/core/errors.js';
import { loadProject, type LoadRequest, type LoadResult } from '../../src/core/load/load-project.js';

export function loadFromMemory(
  files: Record<string, string>,
  opts: Partial<Omit<LoadRequest, 'files' | 'readFile'>> & { main?: string[] } = {},
): LoadResult {
  const main = opts.main ?? ['/proj/compose.yaml'];
  return loadProject({
    workingDir: '/proj',
    environment: {},
    homeDir: '/home/u',
    ...opts,
    files: main.map((path) => ({ path, content: files[path] ?? '' })),
    readFile: (p) => files[p],
  });
}

/** The user errors a load produced (empty when it succeeded). */
export function loadErrors(files: Record<string, string>, opts: Parameters<typeof loadFromMemory>[1] = {}): TugError[] {
  try {
    loadFromMemory(files, opts);
    return [];
  } catch (err) {
    if (err instanceof ConfigErrors) return err.errors;
    if (err instanceof TugError) return [err];
    throw err;
  }
}
