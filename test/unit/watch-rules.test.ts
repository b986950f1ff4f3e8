import { describe, expect, it } from 'vitest';
import { formatPath } from '../../src/core/errors.js';
import { missingWatchPaths } from '../../src/core/load/check-watch.js';
import { projectFiles } from '../../src/core/watch/project-files.js';
import { watchRulesOf } from '../../src/core/watch/rules.js';
import { watchSettings } from '../../src/core/watch/settings.js';
import { loadErrors, loadFromMemory } from '../helpers/memory-project.js';

const yaml = (...lines: string[]) => lines.join('\n') + '\n';

describe('develop.watch at load', () => {
  it('normalizes rules to the long form: absolute path, lists, booleans, the hook command as words', () => {
    const { project } = loadFromMemory(
      {
        '/proj/compose.yaml': yaml(
          'services:',
          '  web:',
          '    build: .',
          '    develop:',
          '      watch:',
          '        - {path: ./src, action: sync, target: /app/src, ignore: node_modules, include: "*.js", initial_sync: "true"}',
          '        - {path: package.json, action: rebuild}',
          '        - path: ./cfg',
          '          action: sync+exec',
          '          target: /cfg',
          '          exec: {command: "kill -HUP 1", user: 1000, environment: [MODE=dev, FROM_SHELL]}',
        ),
      },
      { environment: { FROM_SHELL: 'yes' } },
    );
    expect(watchRulesOf(project.services.web!)).toEqual([
      { path: '/proj/src', action: 'sync', target: '/app/src', ignore: ['node_modules'], include: ['*.js'], initial_sync: true },
      { path: '/proj/package.json', action: 'rebuild' },
      {
        path: '/proj/cfg',
        action: 'sync+exec',
        target: '/cfg',
        exec: { command: ['kill', '-HUP', '1'], user: '1000', environment: { MODE: 'dev', FROM_SHELL: 'yes' } },
      },
    ]);
  });

  it('reports every rule problem at once, each with file:line:column and YAML path', () => {
    const errors = loadErrors({
      '/proj/compose.yaml': yaml(
        'services:',
        '  web:',
        '    image: nginx',
        '    develop:',
        '      watch:',
        '        - path: ./src',
        '          action: sync',
        '        - path: package.json',
        '          action: rebuild',
        '        - path: ./cfg',
        '          action: sync+exec',
        '          target: /cfg',
        '        - path: ./hook',
        '          action: sync+exec',
        '          target: /hook',
        '          exec: {command: []}',
      ),
    });
    const seen = errors.map((e) => ({ code: e.code, at: formatPath(e.path ?? []), line: e.location?.line, file: e.location?.file }));
    expect(seen).toEqual(
      expect.arrayContaining([
        { code: 'normalize.watch-target', at: 'services.web.develop.watch[0]', line: 6, file: '/proj/compose.yaml' },
        { code: 'check.watch-rebuild', at: 'services.web.develop.watch[1].action', line: 9, file: '/proj/compose.yaml' },
        { code: 'normalize.watch-exec', at: 'services.web.develop.watch[2]', line: 10, file: '/proj/compose.yaml' },
        { code: 'normalize.watch-exec', at: 'services.web.develop.watch[3].exec.command', line: 16, file: '/proj/compose.yaml' },
      ]),
    );
    expect(errors).toHaveLength(4);
    expect(errors[0]!.hint).toBeTruthy();
  });

  it('accepts restart and rebuild rules without a target', () => {
    const errors = loadErrors({
      '/proj/compose.yaml': yaml(
        'services:',
        '  web:',
        '    build: .',
        '    develop: {watch: [{path: a, action: restart}, {path: b, action: rebuild}]}',
      ),
    });
    expect(errors).toEqual([]);
  });

  it('warns, with the location, about a watch path that does not exist when the host can tell', () => {
    const files = {
      '/proj/compose.yaml': yaml(
        'services:',
        '  web:',
        '    image: nginx',
        '    develop:',
        '      watch:',
        '        - {path: ./src, action: sync, target: /app}',
        '        - {path: ./gone, action: restart}',
      ),
    };
    const exists = (p: string) => p === '/proj/src';
    const { warnings, project } = loadFromMemory(files, { pathExists: exists });
    expect(warnings).toEqual([
      '/proj/compose.yaml:7:18: services.web.develop.watch[1].path: service "web" watches /proj/gone, which does not exist',
    ]);
    // The same check, as errors, for `tug watch` itself.
    expect(missingWatchPaths(project, exists).map((e) => e.code)).toEqual(['watch.missing-path']);
    expect(loadFromMemory(files).warnings).toEqual([]);
  });

  it('reads x-tug.watch.debounce as a duration or milliseconds, and rejects anything else at load', () => {
    const withDebounce = (value: string) =>
      yaml('services:', '  web: {image: nginx}', 'x-tug:', '  watch:', `    debounce: ${value}`);
    expect(watchSettings(loadFromMemory({ '/proj/compose.yaml': withDebounce('200ms') }).project)).toEqual({ debounceMs: 200 });
    expect(watchSettings(loadFromMemory({ '/proj/compose.yaml': withDebounce('1s') }).project)).toEqual({ debounceMs: 1000 });
    expect(watchSettings(loadFromMemory({ '/proj/compose.yaml': withDebounce('75') }).project)).toEqual({ debounceMs: 75 });
    expect(watchSettings(loadFromMemory({ '/proj/compose.yaml': yaml('services:', '  web: {image: nginx}') }).project)).toEqual({
      debounceMs: 50,
    });
    const errors = loadErrors({ '/proj/compose.yaml': withDebounce('soon') });
    expect(errors.map((e) => [e.code, formatPath(e.path ?? []), e.location?.line])).toEqual([['watch.debounce', 'x-tug.watch.debounce', 5]]);
  });

  it("lists the project's own files for the live reload: Compose files, .env files, env_file and label_file", () => {
    const { project } = loadFromMemory({
      '/proj/compose.yaml': yaml(
        'services:',
        '  web: {image: nginx, env_file: [web.env, {path: opt.env, required: false}]}',
        '  api: {image: b, label_file: api.labels}',
        '  off: {image: x, profiles: [later], env_file: off.env}',
      ),
      '/proj/web.env': 'A=1\n',
      '/proj/off.env': 'B=1\n',
      '/proj/api.labels': 'L=1\n',
    });
    expect(projectFiles(project, ['/proj/.env']).sort()).toEqual(
      ['/proj/.env', '/proj/api.labels', '/proj/compose.yaml', '/proj/off.env', '/proj/opt.env', '/proj/web.env'].sort(),
    );
  });
});
