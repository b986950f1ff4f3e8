// A volume the file declares may exist already without the project's label:
// another project names the same volume (`name: shared`), or it was made by
// hand. Compose warns and uses it. Observe lists only the project's own
// volumes, so tug used to plan its creation again every round: the fake (which
// refuses to create a volume twice) failed, and the real backends printed
// "Volume shared Created" three times and then "giving up".
import { expect, it } from 'vitest';
import type { EngineContext } from '../../src/engine/context.js';
import type { EngineEvent } from '../../src/engine/events.js';
import { down } from '../../src/engine/down.js';
import { scale } from '../../src/engine/scale.js';
import { up } from '../../src/engine/up.js';
import { FakeBackend } from '../fakes/fake-backend.js';
import { loadFromMemory } from '../helpers/memory-project.js';

const sharing = (name: string) =>
  loadFromMemory({
    '/proj/compose.yaml': `name: ${name}\nservices:\n  app:\n    command: ["sleep", "1000"]\n    volumes: ["data:/data"]\nvolumes:\n  data:\n    name: shared\n`,
  }).project;

function engine(backend: FakeBackend, events: EngineEvent[] = []): EngineContext {
  return { backend, parallel: 4, env: {}, hooks: { event: (e) => events.push(e) }, tugVersion: '0.1.0' };
}

const warnings = (events: EngineEvent[]) => events.flatMap((e) => (e.type === 'warning' ? [e.message] : []));

it('up of a second project naming the same volume uses it, warns once, and converges', async () => {
  const fake = new FakeBackend();
  await up(engine(fake), sharing('first'));
  const events: EngineEvent[] = [];
  await up(engine(fake, events), sharing('second'));
  expect(fake.callsOf('createVolume')).toHaveLength(1);
  expect(fake.replica('second-app-1')?.state).toBe('running');
  expect(warnings(events)).toEqual(['volume "shared" already exists but was created for project "first" (expected "second"); it is used as it is (declare it with `external: true` to say so)']);

  const scaled: EngineEvent[] = [];
  await scale(engine(fake, scaled), sharing('second'), { app: 2 });
  expect(fake.replica('second-app-2')?.state).toBe('running');
  expect(warnings(scaled).filter((w) => w.includes('giving up'))).toEqual([]);
});

it('down -v of the project that uses it leaves it; the project that made it removes it', async () => {
  const fake = new FakeBackend();
  await up(engine(fake), sharing('first'));
  await up(engine(fake), sharing('second'));
  await down(engine(fake), 'second', sharing('second'), { volumes: true });
  expect(fake.callsOf('removeVolume')).toEqual([]);
  await down(engine(fake), 'first', sharing('first'), { volumes: true });
  expect(fake.callsOf('removeVolume')).toHaveLength(1);
});
