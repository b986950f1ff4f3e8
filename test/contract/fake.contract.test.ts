// The backend contract on the in-memory fake: it runs no processes, so it plays
// the contract workload itself: print "hello <name>" on start, and give exec
// the exit code of `sh -c "exit N"`.
import { FakeBackend } from '../fakes/fake-backend.js';
import { contractSpec, runBackendContract } from './backend-contract.js';

let projects = 0;

runBackendContract(
  'fake',
  async () => {
    const backend = new FakeBackend({
      onExec: (_replica, opts) => Number(/exit (\d+)/.exec(opts.command.join(' '))?.[1] ?? 0),
    });
    return {
      backend,
      project: `contract${++projects}`,
      cleanup: () => backend.close(),
      controls: { afterStart: (replica) => backend.emitLog(replica.name, `hello ${replica.name}`) },
      volumeExists: async (name) => backend.hasVolume(name),
      otherClient: () => backend, // one in-memory runtime: every client is this one
    };
  },
  (project, service, number, opts) =>
    contractSpec(project, service, number, { command: ['/bin/sh', '-c', `echo hello ${project}-${service}-${number}; sleep 60`] }, opts),
);
