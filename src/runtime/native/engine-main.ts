// Entry point of a project's engine process:
//   node dist/runtime/native/engine-main.js --home <TUG_HOME> --project <name>
// The client starts it detached, with stderr going to the project's engine.log;
// everything the engine has to say goes there. Exit code 1: could not start
// (bad arguments, another engine serves the project, socket unusable, an
// untrusted TUG_HOME); 70: crashed (engine/diagnostics.ts).
import { log } from './engine/diagnostics.js';
import { runEngine } from './engine/engine.js';

function parseArgs(argv: string[]): { home: string; project: string } {
  const values: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.indexOf('=');
    if (arg.startsWith('--') && eq > 0) values[arg.slice(2, eq)] = arg.slice(eq + 1);
    else if (arg.startsWith('--') && i + 1 < argv.length) values[arg.slice(2)] = argv[++i]!;
    else throw new Error(`unexpected argument ${JSON.stringify(arg)}`);
  }
  const { home, project } = values;
  if (!home || !project) throw new Error('usage: engine-main --home <TUG_HOME> --project <name>');
  // The project name becomes a directory name.
  if (!/^[a-z0-9][a-z0-9_-]*$/.test(project)) throw new Error(`invalid project name ${JSON.stringify(project)}`);
  return { home, project };
}

// No top-level await: the bundle (scripts/bundle.mjs) is a CommonJS file.
async function main(): Promise<void> {
  try {
    await runEngine(parseArgs(process.argv.slice(2)));
  } catch (err) {
    log(`engine failed to start: ${(err as Error).message}`);
    process.exit(1);
  }
}

void main();
