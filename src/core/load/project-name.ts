// Which name a project gets, in Compose's order of precedence: -p, then
// COMPOSE_PROJECT_NAME, then top-level `name:`, then the directory's basename.
// Only the last two are normalized; a name a user typed must already be valid.
import { TugError } from '../errors.js';

const VALID = /^[a-z0-9][a-z0-9_-]*$/;

export type ProjectNameSource = 'flag' | 'env' | 'file' | 'directory';

export function normalizeProjectName(raw: string): string {
  return raw.toLowerCase().replace(/[^a-z0-9_-]/g, '').replace(/^[_-]+/, '');
}

export function chooseProjectName(input: {
  flag?: string;
  env?: string;
  fromFile?: string;
  directory: string;
}): { name: string; source: ProjectNameSource } {
  const typed: [string | undefined, ProjectNameSource, string][] = [
    [input.flag, 'flag', '-p/--project-name'],
    [input.env, 'env', 'COMPOSE_PROJECT_NAME'],
  ];
  for (const [value, source, label] of typed) {
    if (value === undefined || value === '') continue;
    if (!VALID.test(value)) {
      throw new TugError({
        code: 'project.invalid-name',
        message: `invalid project name "${value}" (from ${label})`,
        expected: 'lowercase letters, digits, "-" and "_", starting with a letter or digit',
        hint: `try "${normalizeProjectName(value) || 'myproject'}"`,
        exitCode: source === 'flag' ? 2 : 1,
      });
    }
    return { name: value, source };
  }
  const derived: [string | undefined, ProjectNameSource][] = [
    [input.fromFile, 'file'],
    [basename(input.directory), 'directory'],
  ];
  for (const [value, source] of derived) {
    if (value === undefined || value === '') continue;
    const name = normalizeProjectName(value);
    if (name !== '') return { name, source };
    if (source === 'file') {
      throw new TugError({
        code: 'project.invalid-name',
        message: `the top-level "name: ${value}" leaves nothing usable as a project name`,
        path: ['name'],
        expected: 'lowercase letters, digits, "-" and "_"',
      });
    }
  }
  throw new TugError({
    code: 'project.no-name',
    message: `cannot derive a project name from the directory "${input.directory}"`,
    hint: 'set one with -p NAME or a top-level "name:" in the Compose file',
  });
}

function basename(dir: string): string {
  const trimmed = dir.replace(/\/+$/, '');
  return trimmed.slice(trimmed.lastIndexOf('/') + 1);
}
