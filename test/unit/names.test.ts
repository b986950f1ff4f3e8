// Every name that becomes an object or file name is checked at load, with its
// location and the rule: keys, container names, host names, resource names,
// project names. None reaches `up` (or a path) unchecked.
import { describe, expect, it } from 'vitest';
import type { TugError } from '../../src/core/errors.js';
import { acceptTypedProjectName, chooseProjectName } from '../../src/core/load/project-name.js';
import { loadErrors, loadFromMemory } from '../helpers/memory-project.js';

const yaml = (...lines: string[]) => lines.join('\n') + '\n';
const errorsOf = (...lines: string[]) => loadErrors({ '/proj/compose.yaml': yaml(...lines) });
const summary = (errors: TugError[]) => errors.map((e) => `${e.location?.line}:${e.location?.column} ${e.message}`);

describe('names in the Compose file', () => {
  it('rejects a container_name that is a path, at its line and column, with the rule', () => {
    const errors = errorsOf('services:', '  web:', '    command: [x]', '    container_name: ../../evil');
    expect(summary(errors)).toEqual(['4:21 "../../evil" is not a valid container name']);
    expect(errors[0]!.expected).toContain('starting with a letter or digit, 2 to 128 characters');
  });

  it('rejects names too long for a file name, saying how long and the limit', () => {
    const long = 'a'.repeat(5000);
    const key = errorsOf('services:', `  ${long}:`, '    command: [x]');
    expect(summary(key)).toEqual([`2:3 invalid name "${'a'.repeat(57)}..." in services: it is 5000 characters long, more than the 63 allowed`]);
    const container = errorsOf('services:', '  web:', '    command: [x]', `    container_name: ${'c'.repeat(129)}`);
    expect(container[0]!.message).toContain('is 129 characters long; a container name has at most 128');
  });

  it('accepts the longest allowed names', () => {
    const { project } = loadFromMemory({
      '/proj/compose.yaml': yaml('name: p', 'services:', `  ${'s'.repeat(63)}:`, '    command: [x]', `    container_name: ${'c'.repeat(128)}`, `    hostname: ${'h'.repeat(63)}`),
    });
    expect(Object.keys(project.services)).toEqual(['s'.repeat(63)]);
  });

  it('checks keys of every section: "." and ".." are never names', () => {
    const errors = errorsOf('services:', '  ..:', '    command: [x]', 'volumes:', '  .: {}', 'networks:', '  "a/b": {}');
    expect(summary(errors)).toEqual([
      '2:3 invalid name ".." in services',
      '5:3 invalid name "." in volumes',
      '7:3 invalid name "a/b" in networks',
    ]);
    expect(errors[0]!.expected).toBe('a name made of letters, digits, "_", "." and "-" (not "." or ".."), at most 63 characters');
  });

  it('accepts Compose\'s other key characters, and checks an external key as the engine-side name it becomes', () => {
    const { project } = loadFromMemory({ '/proj/compose.yaml': yaml('name: p', 'services:', '  _web: {command: [x], networks: [-n]}', 'networks:', '  -n: {}') });
    expect(project.networks['-n']!.name).toBe('p_-n');
    const errors = errorsOf('services:', '  web: {command: [x]}', 'volumes:', '  _v: {external: true}');
    expect(summary(errors)).toEqual(['4:7 "_v" is not a valid volume name']);
  });

  it('checks the engine-side name: of networks, volumes, secrets and configs', () => {
    const errors = errorsOf(
      'services:',
      '  web: {command: [x]}',
      'networks:',
      '  n: {name: "../n"}',
      'volumes:',
      '  v: {external: true, name: ".."}',
      'secrets:',
      '  s: {file: ./s, name: "a/b"}',
      'configs:',
      '  c: {file: ./c, name: "x y"}',
    );
    expect(summary(errors)).toEqual([
      '4:13 "../n" is not a valid network name',
      '6:29 ".." is not a valid volume name',
      '8:24 "a/b" is not a valid secret name',
      '10:24 "x y" is not a valid config name',
    ]);
  });

  it('checks host names with RFC 1123 and the Linux length limit', () => {
    const errors = errorsOf(
      'services:',
      '  a: {command: [x], hostname: -bad-}',
      '  b: {command: [x], hostname: "a..b"}',
      `  c: {command: [x], hostname: ${'h'.repeat(65)}}`,
      '  d: {command: [x], hostname: db.example.com, domainname: "under_score"}',
    );
    expect(summary(errors)).toEqual([
      '2:31 "-bad-" is not a valid host name',
      '3:31 "a..b" is not a valid host name',
      `4:31 "${'h'.repeat(57)}..." is 65 characters long; a host name has at most 64`,
      '5:59 "under_score" is not a valid host name',
    ]);
  });

  it('checks names after interpolation, where the variable is used', () => {
    const errors = loadErrors({ '/proj/compose.yaml': yaml('services:', '  web:', '    command: [x]', '    container_name: ${NAME}') }, { environment: { NAME: '../x' } });
    expect(summary(errors)).toEqual(['4:21 "../x" is not a valid container name']);
  });
});

describe('project names', () => {
  it('accepts a typed name only when valid, as a usage error otherwise', () => {
    expect(acceptTypedProjectName('web-1_a', '-p')).toBe('web-1_a');
    for (const bad of ['../x', '..', 'a/b', 'A', '-x', 'x'.repeat(64)]) {
      expect(() => acceptTypedProjectName(bad, '-p')).toThrow(expect.objectContaining({ code: 'project.invalid-name', exitCode: 2 }));
    }
    expect(() => chooseProjectName({ env: '../../x', directory: '/d' })).toThrow(expect.objectContaining({ exitCode: 2 }));
  });

  it('refuses a derived name longer than 63 characters, pointing at name:', () => {
    const errors = loadErrors({ '/proj/compose.yaml': yaml(`name: ${'n'.repeat(64)}`, 'services:', '  web: {command: [x]}') });
    expect(summary(errors)).toEqual(['1:7 the project name from the top-level "name:" is 64 characters long; a project name has at most 63']);
    expect(() => chooseProjectName({ directory: `/x/${'d'.repeat(70)}` })).toThrow(/at most 63/);
  });
});
