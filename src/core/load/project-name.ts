// Which name a project gets, in Compose's order of precedence: -p, then
// COMPOSE_PROJECT_NAME, then top-level `name:`, then the directory's basename.
// Only the last two are normalized; a name a user typed must already be valid,
// and acceptTypedProjectName is the one place that decides whether it is,
// before anything builds a path or an object name from it.
import { TugError } from '../errors.js';
import { nameProblem, PROJECT_NAME, shown } from './names.js';

export type ProjectNameSource = 'flag' | 'env' | 'file' | 'directory';

export function normalizeProjectName(raw: string): string {
  return raw.toLowerCase().replace(/[^a-z0-9_-]/g, '').replace(/^[_-]+/, '');
}

/**
 * A project name typed by the user (`-p`, COMPOSE_PROJECT_NAME), returned
 * when valid; otherwise a usage error (exit 2) naming where it came from.
 */
export function acceptTypedProjectName(value: string, from: string): string {
  if (nameProblem(PROJECT_NAME, value) === undefined) return value;
  const suggestion = normalizeProjectName(value).slice(0, PROJECT_NAME.max);
  const tooLong = value.length > PROJECT_NAME.max ? `: it is ${value.length} characters long, more than ${PROJECT_NAME.max}` : '';
  throw new TugError({
    code: 'project.invalid-name',
    message: `invalid project name ${shown(value)} (from ${from})${tooLong}`,
    expected: PROJECT_NAME.expected,
    hint: `try "${suggestion || 'myproject'}"`,
    exitCode: 2,
  });
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
    return { name: acceptTypedProjectName(value, label), source };
  }
  const derived: [string | undefined, ProjectNameSource][] = [
    [input.fromFile, 'file'],
    [basename(input.directory), 'directory'],
  ];
  for (const [value, source] of derived) {
    if (value === undefined || value === '') continue;
    const name = normalizeProjectName(value);
    if (name.length > PROJECT_NAME.max) throw derivedTooLong(name, source, input.directory);
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

function derivedTooLong(name: string, source: ProjectNameSource, directory: string): TugError {
  const from = source === 'file' ? 'the top-level "name:"' : `the directory "${directory}"`;
  return new TugError({
    code: 'project.invalid-name',
    message: `the project name from ${from} is ${name.length} characters long; a project name has at most ${PROJECT_NAME.max}`,
    path: source === 'file' ? ['name'] : undefined,
    expected: PROJECT_NAME.expected,
    hint: source === 'file' ? 'shorten "name:", or set one with -p NAME' : 'set a shorter one with -p NAME or a top-level "name:"',
  });
}

function basename(dir: string): string {
  const trimmed = dir.replace(/\/+$/, '');
  return trimmed.slice(trimmed.lastIndexOf('/') + 1);
}
