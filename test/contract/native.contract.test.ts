// The backend contract on the native runtime: real engine processes (from
// dist/, so run `npm run build` first) running real host commands, each test
// with its own TUG_HOME. Cleanup shuts the engine down and then makes sure
// nothing it started is left: the engine and every replica process group.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNativeBackend, type NativeBackend } from '../../src/runtime/native/backend.js';
import { projectPaths } from '../../src/runtime/native/home.js';
import { isAlive, parseIdentity } from '../../src/runtime/native/proc-identity.js';
import { contractSpec, runBackendContract, type ContractHarness } from './backend-contract.js';
import { runRuntimeContract } from './runtime-contract.js';

let projects = 0;

const nativeHarness = async (): Promise<ContractHarness> => {
    const home = mkdtempSync(join(tmpdir(), 'tug-contract-native-'));
    const project = `contract${++projects}`;
    const backend = createNativeBackend({ home });
    const others: NativeBackend[] = [];
    return {
      backend,
      project,
      volumeExists: async (name) => existsSync(join(home, 'volumes', name, 'volume.json')),
      otherClient: () => {
        const other = createNativeBackend({ home });
        others.push(other);
        return other;
      },
      cleanup: async () => {
        await backend.shutdownEngine(project);
        for (const other of others) await other.close();
        await backend.close();
        await killLeftovers(home, project);
        rmSync(home, { recursive: true, force: true });
      },
    };
};

runBackendContract('native', nativeHarness, (project, service, number, opts) => contractSpec(project, service, number, { command: ['/bin/sh', '-c', 'sleep 60'] }, opts));
runRuntimeContract('native', nativeHarness, (project, service, serviceSpec) => contractSpec(project, service, 1, serviceSpec));

/** The safety net behind `shutdown`: SIGKILL whatever the engine's files say may still run. */
async function killLeftovers(home: string, project: string): Promise<void> {
  const paths = projectPaths(home, project);
  const engine = parseIdentity(readOr(paths.pidFile));
  const groups: number[] = [];
  try {
    const state = JSON.parse(readOr(paths.state)) as { replicas?: { pid?: number; pgid?: number }[] };
    for (const r of state.replicas ?? []) if (r.pgid ?? r.pid) groups.push((r.pgid ?? r.pid)!);
  } catch {
    // No state: no replicas were ever started.
  }
  const deadline = Date.now() + 5_000;
  while (engine && isAlive(engine) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  const leftovers: string[] = [];
  if (engine && isAlive(engine)) {
    leftovers.push(`engine ${engine.pid}`);
    process.kill(engine.pid, 'SIGKILL');
  }
  // Replica processes killed by the shutdown may take a moment to go; zombies waiting for init do not count.
  while (groups.some((g) => liveMembers(g).length > 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  for (const pgid of groups) {
    const members = liveMembers(pgid);
    if (members.length === 0) continue;
    leftovers.push(`process group ${pgid} (${members.join(', ')})`);
    process.kill(-pgid, 'SIGKILL');
  }
  if (leftovers.length > 0) throw new Error(`the engine's shutdown left processes behind (now killed): ${leftovers.join(', ')}`);
}

/** "pid cmdline" of the group's processes that still run. */
function liveMembers(pgid: number): string[] {
  const out: string[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readOr(`/proc/${entry}/stat`);
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z' || Number(fields[2]) !== pgid) continue;
    out.push(`${entry} ${readOr(`/proc/${entry}/cmdline`).split('\0').join(' ').trim()}`);
  }
  return out;
}

function readOr(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
