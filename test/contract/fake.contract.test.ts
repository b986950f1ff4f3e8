// The lifecycle contract on the in-memory fake: it runs no processes, so the
// runtime contract (signals, exit codes, output, exec) is not its to pass.
import { FakeBackend } from '../fakes/fake-backend.js';
import { contractSpec, runBackendContract } from './backend-contract.js';

let projects = 0;

runBackendContract(
  'fake',
  async () => {
    const backend = new FakeBackend();
    return {
      backend,
      project: `contract${++projects}`,
      cleanup: () => backend.close(),
      volumeExists: async (name) => backend.hasVolume(name),
      otherClient: () => backend, // one in-memory runtime: every client is this one
    };
  },
  (project, service, number, opts) =>
    contractSpec(project, service, number, { command: ['/bin/sh', '-c', 'sleep 60'] }, opts),
);
