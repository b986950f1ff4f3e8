// What a reload changed, per service: the one line each changed service gets,
// and the planner's view of it (a rescale or a watch-rule edit recreates nothing).
import { expect, it } from 'vitest';
import { serviceConfigHash } from '../../src/core/model/hash.js';
import { changedServices } from '../../src/core/watch/reload-diff.js';
import { restartDependents } from '../../src/engine/watch/steps.js';
import { loadFromMemory } from '../helpers/memory-project.js';

const load = (services: string) => loadFromMemory({ '/proj/compose.yaml': `name: rd\nservices:\n${services}` }, { pathExists: () => true }).project;

const base = '  web:\n    command: ["node", "server.js"]\n  db:\n    command: ["sleep", "1000"]\n';

it('names each added, removed, rescaled and reconfigured service, and nothing else', () => {
  const before = load(base + '  old:\n    command: ["true"]\n');
  const after = load(
    '  web:\n    command: ["node", "server.js"]\n    environment: { A: "1" }\n  db:\n    command: ["sleep", "1000"]\n    scale: 3\n  new:\n    command: ["true"]\n',
  );
  expect(changedServices(before, after)).toEqual([
    { service: 'db', change: 'scaled' },
    { service: 'new', change: 'added' },
    { service: 'old', change: 'removed' },
    { service: 'web', change: 'reconfigured' },
  ]);
  expect(changedServices(before, before)).toEqual([]);
});

it('an edited watch rule is a change to report, but not one that recreates the replica', () => {
  const before = load(base);
  const after = load(base.replace('  db:', '    develop:\n      watch:\n        - path: ./src\n          action: restart\n  db:'));
  expect(changedServices(before, after)).toEqual([{ service: 'web', change: 'reconfigured' }]);
  expect(serviceConfigHash(after.services.web!)).toBe(serviceConfigHash(before.services.web!));
});

it('sync+restart restarts the services that depend on the changed one with restart: true, transitively', () => {
  const project = load(
    '  api:\n    command: ["true"]\n  worker:\n    command: ["true"]\n    depends_on: { api: { condition: service_started, restart: true } }\n' +
      '  cron:\n    command: ["true"]\n    depends_on: { worker: { condition: service_started, restart: true } }\n' +
      '  ui:\n    command: ["true"]\n    depends_on: [api]\n',
  );
  expect(restartDependents(project, 'api')).toEqual(['worker', 'cron']);
  expect(restartDependents(project, 'ui')).toEqual([]);
});
