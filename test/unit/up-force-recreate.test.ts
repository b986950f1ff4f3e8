// `up --force-recreate` recreates each replica once per command: the force is
// the first round's; later rounds of the converge loop only finish what is
// left, and must not recreate again what the first round has just made.
import { expect, it } from 'vitest';
import { up } from '../../src/engine/up.js';
import type { EngineContext } from '../../src/engine/context.js';
import type { EngineEvent } from '../../src/engine/events.js';
import { FakeBackend } from '../fakes/fake-backend.js';
import { loadFromMemory } from '../helpers/memory-project.js';

const project = loadFromMemory({
  '/proj/compose.yaml': 'name: fr\nservices:\n  a:\n    command: ["sleep", "1000"]\n  b:\n    command: ["sleep", "1000"]\n',
}).project;

function engine(backend: FakeBackend, events: EngineEvent[]): EngineContext {
  return { backend, parallel: 4, env: {}, hooks: { event: (e) => events.push(e) }, tugVersion: '0.1.0' };
}

it('up with forceRecreate recreates every replica exactly once, and converges', async () => {
  const fake = new FakeBackend();
  await up(engine(fake, []), project);
  const createsBefore = fake.callsOf('createReplica').length;
  const events: EngineEvent[] = [];
  await up(engine(fake, events), project, { forceRecreate: true });
  expect(fake.callsOf('createReplica').length - createsBefore).toBe(2);
  expect(events.filter((e) => e.type === 'warning')).toEqual([]);
});

it('a forced recreate of one service leaves the other alone', async () => {
  const fake = new FakeBackend();
  await up(engine(fake, []), project);
  const before = fake.replica('fr-b-1')!.id;
  await up(engine(fake, []), project, { services: ['a'], forceRecreate: true, noDeps: true });
  expect(fake.replica('fr-b-1')!.id).toBe(before);
  expect(fake.callsOf('createReplica').filter((c) => JSON.stringify(c).includes('fr-a-1'))).toHaveLength(2);
});
