import { describe, expect, it } from 'vitest';
import { chooseProjectName, normalizeProjectName } from '../../src/core/load/project-name.js';

describe('project name', () => {
  it('follows the precedence -p, COMPOSE_PROJECT_NAME, name:, directory', () => {
    expect(chooseProjectName({ flag: 'a', env: 'b', fromFile: 'c', directory: '/x/d' }).name).toBe('a');
    expect(chooseProjectName({ env: 'b', fromFile: 'c', directory: '/x/d' }).name).toBe('b');
    expect(chooseProjectName({ fromFile: 'c', directory: '/x/d' }).name).toBe('c');
    expect(chooseProjectName({ directory: '/x/d' })).toEqual({ name: 'd', source: 'directory' });
  });

  it('normalizes names from the file and the directory', () => {
    expect(normalizeProjectName('My App.v2')).toBe('myappv2');
    expect(normalizeProjectName('__-x')).toBe('x');
    expect(chooseProjectName({ fromFile: 'Hello World', directory: '/x' }).name).toBe('helloworld');
    expect(chooseProjectName({ directory: '/home/u/My_Project' }).name).toBe('my_project');
  });

  it('rejects typed names that are not already valid, with a suggestion', () => {
    expect(() => chooseProjectName({ flag: 'My App', directory: '/x' })).toThrow(/invalid project name "My App"/);
    try {
      chooseProjectName({ env: '_bad', directory: '/x' });
    } catch (err) {
      expect((err as { hint: string }).hint).toBe('try "bad"');
      expect((err as Error).message).toMatch(/COMPOSE_PROJECT_NAME/);
    }
  });

  it('fails when nothing usable is left', () => {
    expect(() => chooseProjectName({ fromFile: '!!!', directory: '/x' })).toThrow(/nothing usable/);
  });
});
