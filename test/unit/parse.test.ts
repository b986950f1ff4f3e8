import { describe, expect, it } from 'vitest';
import { ConfigErrors } from '../../src/core/errors.js';
import { parseYaml } from '../../src/core/load/parse.js';
import { YamlTag } from '../../src/core/load/yaml-tags.js';

describe('parseYaml', () => {
  it('resolves anchors, aliases and << merge keys, explicit keys winning', () => {
    const { value } = parseYaml('/p/compose.yaml', [
      'x-base: &base {restart: always, image: a}',
      'services:',
      '  web:',
      '    <<: *base',
      '    image: b',
    ].join('\n'));
    expect(value).toEqual({
      'x-base': { restart: 'always', image: 'a' },
      services: { web: { restart: 'always', image: 'b' } },
    });
  });

  it('keeps !reset and !override as tags for the merge step', () => {
    const { value } = parseYaml('/p/c.yaml', 'services:\n  web:\n    ports: !reset []\n    environment: !override {A: "1"}\n');
    const web = (value as { services: { web: Record<string, unknown> } }).services.web;
    expect(web.ports).toBeInstanceOf(YamlTag);
    expect((web.ports as YamlTag).tag).toBe('!reset');
    expect((web.environment as YamlTag).tag).toBe('!override');
    expect((web.environment as YamlTag).value).toEqual({ A: '1' });
  });

  it('treats yes/no/on/off as strings (YAML 1.2), like Compose', () => {
    const { value } = parseYaml('/p/c.yaml', 'a: no\nb: yes\nc: on\nd: true\n');
    expect(value).toEqual({ a: 'no', b: 'yes', c: 'on', d: true });
  });

  it('locates keys and values by YAML path, including through merge keys', () => {
    const text = 'x-b: &b\n  image: a\nservices:\n  web:\n    <<: *b\n    ports:\n      - "80"\n      - "81"\n';
    const { source } = parseYaml('/p/c.yaml', text);
    expect(source.locate(['services', 'web', 'ports', 1])).toEqual({ file: '/p/c.yaml', line: 8, column: 9 });
    expect(source.locate(['services', 'web', 'ports'], { key: true })).toEqual({ file: '/p/c.yaml', line: 6, column: 5 });
    expect(source.locate(['services', 'web', 'image'], { key: true }).line).toBe(2);
    expect(source.has(['services', 'web', 'ports', 1])).toBe(true);
    expect(source.has(['services', 'web', 'ports', 2])).toBe(false);
    // A missing node falls back to its deepest existing ancestor.
    expect(source.locate(['services', 'web', 'nope']).line).toBe(5);
  });

  it('reports every syntax error with its line and column', () => {
    let caught: unknown;
    try {
      parseYaml('/p/c.yaml', 'services:\n  web:\n    image: a\n    image: b\n  db: [\n');
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigErrors);
    const errors = (caught as ConfigErrors).errors;
    expect(errors.length).toBeGreaterThanOrEqual(2);
    expect(errors[0]!.message).toMatch(/invalid YAML: map keys must be unique/);
    expect(errors[0]!.location).toEqual({ file: '/p/c.yaml', line: 4, column: 5 });
  });

  it('refuses runaway alias expansion instead of hanging', () => {
    const lines = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
    for (let i = 0; i < 8; i++) {
      const prev = String.fromCharCode(97 + i);
      const next = String.fromCharCode(98 + i);
      lines.push(`${next}: &${next} [${Array(10).fill(`*${prev}`).join(',')}]`);
    }
    expect(() => parseYaml('/p/c.yaml', lines.join('\n'))).toThrow(/too many alias expansions/);
  });
});
