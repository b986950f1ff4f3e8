// Keys named like Object's own members ("__proto__", "constructor", "toString")
// are keys like any other, at every stage: parse, interpolate, merge,
// normalize, check, plan and render. They used to vanish or to count as defined.
import { describe, expect, it } from 'vitest';
import { emptyObservedState } from '../../src/core/reconcile/observed.js';
import { reconcile } from '../../src/core/reconcile/reconcile.js';
import { projectToConfig } from '../../src/core/render/config.js';
import { parseScaleArgs } from '../../src/cli/args.js';
import { loadErrors, loadFromMemory } from '../helpers/memory-project.js';
import { UP_OPTIONS } from '../helpers/up-options.js';
import { own } from '../../src/core/dict.js';

const yaml = (...lines: string[]) => lines.join('\n') + '\n';

describe('keys named like Object members', () => {
  const files = {
    '/proj/compose.yaml': yaml(
      'name: p',
      'services:',
      '  __proto__:',
      '    command: [x]',
      '    environment:',
      '      __proto__: from-file',
      '      constructor: c',
      '    labels: [__proto__=l]',
      '    env_file: vars.env',
      '  constructor:',
      '    command: [x]',
      '    depends_on: [__proto__]',
      '    environment: [toString, "valueOf=${constructor}"]',
    ),
    '/proj/override.yaml': yaml('services:', '  __proto__:', '    environment:', '      hasOwnProperty: h'),
    '/proj/vars.env': '__proto__=overridden-by-environment\nfrom_env_file=1\n',
  };

  it('loads services, environment, labels and env files keyed by them, and merges them', () => {
    const { project } = loadFromMemory(files, { main: ['/proj/compose.yaml', '/proj/override.yaml'], environment: { toString: 't' } });
    expect(Object.keys(project.services)).toEqual(['__proto__', 'constructor']);
    const proto = project.services['__proto__']!;
    expect(Object.getPrototypeOf(proto) === Object.prototype || Object.getPrototypeOf(proto) === null).toBe(true);
    expect(proto.environment).toEqual({ ['__proto__']: 'from-file', from_env_file: '1', constructor: 'c', hasOwnProperty: 'h' });
    expect(Object.hasOwn(proto.labels!, '__proto__')).toBe(true);
    // A bare name takes its value from the environment: only from an own variable, never Object's toString.
    expect(own(project.services, 'constructor')!.environment).toEqual({ toString: 't', valueOf: '' });
    expect(own(project.services, 'constructor')!.depends_on).toEqual({ ['__proto__']: { condition: 'service_started', required: true, restart: false } });
  });

  it('renders them in config output', () => {
    const { project } = loadFromMemory(files, { environment: {} });
    const config = JSON.parse(JSON.stringify(projectToConfig(project)));
    expect(Object.keys(config.services)).toEqual(['__proto__', 'constructor']);
    expect(Object.hasOwn(config.services['__proto__'].environment, '__proto__')).toBe(true);
  });

  it('never counts an inherited member as a declared service, network, volume or secret', () => {
    const errors = loadErrors({
      '/proj/compose.yaml': yaml(
        'services:',
        '  web:',
        '    command: [x]',
        '    depends_on: [constructor]',
        '    networks: [toString]',
        '    volumes: ["valueOf:/data"]',
        '    secrets: [hasOwnProperty]',
      ),
    });
    expect(errors.map((e) => e.message)).toEqual([
      'service "web" refers to undefined network "toString"',
      'service "web" refers to undefined volume "valueOf"',
      'service "web" refers to undefined secret "hasOwnProperty"',
      'service "web" depends on undefined service "constructor"',
    ]);
  });

  it('plans replicas of a service named constructor, scaled from the command line', () => {
    const { project } = loadFromMemory({ '/proj/compose.yaml': yaml('name: p', 'services:', '  constructor: {command: [x]}', '  __proto__: {command: [x]}') });
    const scale = parseScaleArgs(['__proto__=2'], Object.keys(project.services));
    expect(Object.hasOwn(scale, '__proto__')).toBe(true);
    const plan = reconcile(project, emptyObservedState('p'), { ...UP_OPTIONS, scale });
    const creates = plan.steps.flatMap((s) => (s.op.kind === 'create-replica' ? [s.op.replica.name] : []));
    expect(creates.sort()).toEqual(['p-__proto__-1', 'p-__proto__-2', 'p-constructor-1']);
  });
});
