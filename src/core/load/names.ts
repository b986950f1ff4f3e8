// The rules for every name that becomes an object name or a file name: project
// names, container names, host names and the engine-side `name:` of resources.
// (Keys of services/networks/volumes/secrets/configs follow the schema's
// resource_name: Compose's characters, never "." or "..", at most 63, since a
// service name is a DNS label on the project's networks.) Each follows the
// engine's own rule, plus a length limit that keeps `<project>-<service>-<n>`
// and the files named after it under the usual 255-byte file-name limit (a
// 5,000-character name used to load, then fail `down` forever with
// ENAMETOOLONG). Checked at load, with the location, never first at `up`.
import { TugError, type PathSegment } from '../errors.js';
import type { SourceLocator } from './source.js';

export interface NameRule {
  /** What the name is, in a message: "container name". */
  readonly what: string;
  readonly pattern: RegExp;
  readonly max: number;
  /** The rule in words, for `expected:`. */
  readonly expected: string;
}

const ALNUM_START = 'letters, digits, "_", "." and "-", starting with a letter or digit';

/** compose-go's rule for -p / COMPOSE_PROJECT_NAME; 63 like a DNS label, as replica names start with it. */
export const PROJECT_NAME: NameRule = {
  what: 'project name',
  pattern: /^[a-z0-9][a-z0-9_-]*$/,
  max: 63,
  expected: 'lowercase letters, digits, "-" and "_", starting with a letter or digit, at most 63 characters',
};

/** Docker's rule for container names (at least two characters). */
export const CONTAINER_NAME: NameRule = {
  what: 'container name',
  pattern: /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/,
  max: 128,
  expected: `${ALNUM_START}, 2 to 128 characters`,
};

/** The engine-side name of a network, volume, secret or config: Docker's characters for names. */
export const OBJECT_NAME: NameRule = {
  what: 'name',
  pattern: /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/,
  max: 128,
  expected: `${ALNUM_START}, at most 128 characters`,
};

/** RFC 1123 host names: dot-separated labels of 1 to 63; 64 in all is what Linux accepts for a host name. */
export const HOST_NAME: NameRule = {
  what: 'host name',
  pattern: /^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/,
  max: 64,
  expected: 'an RFC 1123 host name: labels of letters, digits and "-" (not at either end) separated by ".", at most 64 characters',
};

/** What is wrong with `value` under `rule`, or undefined when it is fine. */
export function nameProblem(rule: NameRule, value: string): string | undefined {
  if (value.length > rule.max) return `${shown(value)} is ${value.length} characters long; a ${rule.what} has at most ${rule.max}`;
  if (!rule.pattern.test(value)) return `${shown(value)} is not a valid ${rule.what}`;
  return undefined;
}

/** A name as it appears in a message: long ones cut, so a 5,000-character name does not flood the terminal. */
export function shown(value: string): string {
  return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
}

const RESOURCE_SECTIONS = [
  ['networks', 'network name'],
  ['volumes', 'volume name'],
  ['secrets', 'secret name'],
  ['configs', 'config name'],
] as const;

/**
 * The names written as values in one interpolated file: container_name,
 * hostname, domainname, and `name:` of networks, volumes, secrets and configs.
 * (Keys are checked by the schema, names typed on the command line by their
 * flags.) Runs after the schema, so the shapes are right.
 */
export function checkNames(model: Record<string, unknown>, source: SourceLocator): TugError[] {
  const errors: TugError[] = [];
  const check = (rule: NameRule, value: unknown, path: PathSegment[]) => {
    if (typeof value !== 'string') return;
    const problem = nameProblem(rule, value);
    if (problem) errors.push(nameError(problem, rule, path, source));
  };
  for (const [name, svc] of entriesOf(model.services)) {
    if (!isMap(svc)) continue;
    check(CONTAINER_NAME, svc.container_name, ['services', name, 'container_name']);
    check(HOST_NAME, svc.hostname, ['services', name, 'hostname']);
    check(HOST_NAME, svc.domainname, ['services', name, 'domainname']);
  }
  for (const [section, what] of RESOURCE_SECTIONS) {
    const rule = { ...OBJECT_NAME, what };
    for (const [key, resource] of entriesOf(model[section])) {
      if (isMap(resource)) check(rule, resource.name, [section, key, 'name']);
    }
  }
  return errors;
}

function nameError(problem: string, rule: NameRule, path: PathSegment[], source: SourceLocator): TugError {
  return new TugError({
    code: 'name.invalid',
    message: problem,
    location: source.locate(path),
    path,
    expected: rule.expected,
  });
}

function entriesOf(value: unknown): [string, unknown][] {
  return isMap(value) ? Object.entries(value) : [];
}

function isMap(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
