// compose-go's fixtures: the invalid ones are rejected with the error upstream
// expects, the valid ones load.
import { readFileSync, existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigErrors, TugError } from '../../src/core/errors.js';
import { loadProject, type LoadRequest } from '../../src/core/load/load-project.js';

const corpus = fileURLToPath(new URL('../../../shared/corpus/compose-go-testdata/', import.meta.url));
const testdata = join(corpus, 'loader/testdata');

function read(path: string): string | undefined {
  return existsSync(path) && statSync(path).isFile() ? readFileSync(path, 'utf8') : undefined;
}

function load(files: string[], extra: Partial<LoadRequest> = {}) {
  return loadProject({
    files: files.map((path) => ({ path, content: readFileSync(path, 'utf8') })),
    workingDir: dirname(files[0]!),
    environment: {},
    homeDir: '/home/tester',
    readFile: read,
    resolveRemote: (ref) => (ref.startsWith('remote:') ? join(testdata, 'remote', ref.slice('remote:'.length)) : undefined),
    ...extra,
  });
}

function errorsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigErrors) return err.errors.map((e) => e.message);
    if (err instanceof TugError) return [err.message];
    throw err;
  }
  return [];
}

describe('compose-go invalid fixtures', () => {
  it('a three-service depends_on cycle', () => {
    expect(errorsOf(() => load([join(testdata, 'compose-depends-on-cycle.yaml')]))).toContain(
      'dependency cycle detected: service1 -> service2 -> service3 -> service1',
    );
  });

  it('a service depending on itself', () => {
    expect(errorsOf(() => load([join(testdata, 'compose-depends-on-self.yaml')]))).toContain(
      'dependency cycle detected: service1 -> service1',
    );
  });

  it('a file that includes itself', () => {
    const errors = errorsOf(() => load([join(testdata, 'compose-include-cycle.yaml')]));
    expect(errors[0]).toMatch(/^include cycle detected/);
  });

  it('an empty file', () => {
    expect(errorsOf(() => load([join(testdata, 'empty.yaml')]))[0]).toMatch(/empty compose file/);
  });

  it('extends through remote references that form a cycle', () => {
    const errors = errorsOf(() => load([join(testdata, 'remote/cycle/compose.yaml')]));
    expect(errors.join('\n')).toMatch(/circular reference/i);
  });

  for (const base of ['with_depends_on', 'with_volumes_from', 'with_ipc', 'with_network_mode']) {
    it(`extending ${base} without defining zot`, () => {
      const text = `services:\n  bar:\n    extends:\n      file: ${join(testdata, 'extends/depends_on.yaml')}\n      service: ${base}\n`;
      const errors = errorsOf(() =>
        loadProject({
          files: [{ path: join(testdata, 'inline.yaml'), content: text }],
          workingDir: testdata,
          environment: {},
          homeDir: '/home/tester',
          readFile: read,
        }),
      );
      expect(errors.join('\n')).toContain('service "bar" depends on undefined service "zot"');
    });

    it(`extending ${base} with zot defined loads`, () => {
      const text = `services:\n  bar:\n    extends:\n      file: ${join(testdata, 'extends/depends_on.yaml')}\n      service: ${base}\n  zot:\n    image: zot\n`;
      const { project } = loadProject({
        files: [{ path: join(testdata, 'inline.yaml'), content: text }],
        workingDir: testdata,
        environment: {},
        homeDir: '/home/tester',
        readFile: read,
      });
      expect(Object.keys(project.services).sort()).toEqual(['bar', 'zot']);
    });
  }
});

describe('compose-go valid fixtures', () => {
  const valid = [
    'loader/testdata/combined/compose.yaml',
    'loader/testdata/compose-include.yaml',
    'loader/testdata/compose-test-extends.yaml',
    'loader/testdata/compose-test-extends-with-context-url.yaml',
    'loader/testdata/compose-test-with-version.yaml',
    'loader/testdata/extends/base.yaml',
    'loader/testdata/extends/depends_on.yaml',
    'loader/testdata/extends/interpolated.yaml',
    'loader/testdata/extends/nested.yaml',
    'loader/testdata/extends/ports.yaml',
    'loader/testdata/extends/reset.yaml',
    'loader/testdata/extends/sibling.yaml',
    'loader/testdata/extends/withdir/compose.yaml',
    'loader/testdata/include/compose.yaml',
    'loader/testdata/include/project-directory.yaml',
    'loader/testdata/remote/compose.yaml',
    'cli/testdata/simple/compose.yaml',
    'cli/testdata/simple/compose-with-overrides.yaml',
    'cli/testdata/simple/compose-with-paths.yaml',
    'cli/testdata/UNNORMALIZED PATH/compose.yaml',
    'cli/testdata/env-file/compose-with-env-file.yaml',
  ];
  for (const rel of valid) {
    it(`${rel} loads`, () => {
      const { project } = load([join(corpus, rel)]);
      expect(project.name).toMatch(/^[a-z0-9][a-z0-9_-]*$/);
    });
  }

  it('files that need variables load with them', () => {
    const simple = join(corpus, 'cli/testdata/simple');
    expect(load([join(simple, 'compose-name.yaml')], { environment: { TEST: 'x' } }).project.name).toBeTruthy();
    const withVars = load([join(simple, 'compose-with-variables.yaml')], { environment: { PUBLIC_PORT: '8080' } });
    expect(JSON.stringify(withVars.project.services)).toContain('"8080"');
    const envFiles = join(corpus, 'cli/testdata/env-file/compose-with-env-files.yaml');
    expect(JSON.stringify(load([envFiles], { environment: { PORT: '9000' } }).project.services)).toContain('9000');
  });

  it('an env_file next to an extended base is relative to that base (subdir/extra.env)', () => {
    const { project } = load([join(testdata, 'compose-test-extends.yaml')]);
    const importer = project.services.importer!;
    expect(importer.environment).toEqual({ SOURCE: 'extends' });
    expect(importer.env_file![0]!.path).toBe(join(testdata, 'subdir/extra.env'));
    // env_file feeds the container, not interpolation: the default applies.
    expect(importer.container_name).toBe('imported');
    expect(importer.image).toBe('nginx');
  });

  it('keeps a git URL build context as written', () => {
    const { project } = load([join(testdata, 'compose-test-extends-with-context-url.yaml')]);
    const contexts = Object.values(project.services).map((s) => s.build?.context);
    expect(contexts.some((c) => typeof c === 'string' && /^(https?:\/\/|git@|github\.com)/.test(c))).toBe(true);
  });

  it('!reset in an extending service removes what the base set', () => {
    const { project } = load([join(testdata, 'extends/reset.yaml')]);
    expect(project.services.init!.command).toEqual(['sleep', 'infinity']);
    expect(project.services.base!.command).toBeUndefined();
    expect(project.services.base!.image).toBe('alpine:latest');
  });
});
