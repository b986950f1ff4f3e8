// Which Compose files make up the project when the user names none: -f, then
// COMPOSE_FILE (or TUG_FILE), else the first directory from the working
// directory up to / that holds a compose file, plus its override file.
// Pure: the file system is asked through `exists`.
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { TugError } from '../errors.js';

export const COMPOSE_FILE_NAMES = ['compose.yaml', 'compose.yml', 'docker-compose.yaml', 'docker-compose.yml'];
export const OVERRIDE_FILE_NAMES = [
  'compose.override.yaml',
  'compose.override.yml',
  'docker-compose.override.yaml',
  'docker-compose.override.yml',
];

export interface DiscoveryInput {
  cwd: string;
  /** -f values, in order; "-" is stdin. */
  files: readonly string[];
  env: Readonly<Record<string, string | undefined>>;
  projectDirectory?: string;
  exists(path: string): boolean;
}

export interface Discovery {
  /** Absolute paths, or "-" for stdin. */
  files: string[];
  /** The project directory: --project-directory, else the first file's directory. */
  workingDir: string;
  warnings: string[];
}

export function discoverFiles(input: DiscoveryInput): Discovery {
  const warnings: string[] = [];
  const base = input.projectDirectory ? resolve(input.cwd, input.projectDirectory) : input.cwd;
  let files: string[] = [];
  if (input.files.length > 0) {
    files = input.files.map((f) => (f === '-' ? '-' : resolve(input.cwd, f)));
  } else {
    const fromEnv = input.env.COMPOSE_FILE || input.env.TUG_FILE;
    if (fromEnv) {
      const sep = input.env.COMPOSE_PATH_SEPARATOR || ':';
      files = fromEnv
        .split(sep)
        .filter((f) => f !== '')
        .map((f) => (isAbsolute(f) ? f : resolve(base, f)));
    } else {
      files = searchUpward(base, input.exists, warnings);
    }
  }
  if (files.length === 0) {
    throw new TugError({
      code: 'discover.no-file',
      message: `no Compose file found in ${base} or any parent directory`,
      expected: `one of ${COMPOSE_FILE_NAMES.join(', ')}`,
      hint: 'create compose.yaml, or name a file with -f',
    });
  }
  for (const f of files) {
    if (f !== '-' && !input.exists(f)) {
      throw new TugError({
        code: 'discover.missing-file',
        message: `Compose file not found: ${f}`,
        hint: 'check the -f / COMPOSE_FILE value',
      });
    }
  }
  const first = files.find((f) => f !== '-');
  const workingDir = input.projectDirectory ? base : first ? dirname(first) : input.cwd;
  return { files, workingDir, warnings };
}

function searchUpward(start: string, exists: (p: string) => boolean, warnings: string[]): string[] {
  let dir = start;
  for (;;) {
    const found = COMPOSE_FILE_NAMES.filter((n) => exists(join(dir, n)));
    if (found.length > 0) {
      if (found.length > 1) {
        warnings.push(`found multiple config files (${found.join(', ')}) in ${dir}; using ${found[0]}`);
      }
      const files = [join(dir, found[0]!)];
      const override = OVERRIDE_FILE_NAMES.find((n) => exists(join(dir, n)));
      if (override) files.push(join(dir, override));
      return files;
    }
    const parent = dirname(dir);
    if (parent === dir) return [];
    dir = parent;
  }
}
