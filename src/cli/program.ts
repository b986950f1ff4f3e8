// Registers the commands and global flags, lazy-imports each command, and is
// the one place that turns errors into exit codes: 0 ok, 1 failure, 2 usage.
import { Command, CommanderError, Option } from 'commander';
import { readFileSync } from 'node:fs';
import { isUserError } from '../core/errors.js';
import type { CliContext, GlobalOptions } from './context.js';
import { makeChalk } from './render/colors.js';
import { formatErrors } from './render/errors.js';

const collect = (value: string, previous: string[] = []) => [...previous, value];

export async function run(argv: string[]): Promise<number> {
  const ctx: CliContext = {
    globals: { ansi: 'auto' },
    cwd: process.cwd(),
    env: process.env,
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
    color: makeChalk('auto', process.stdout, process.env),
    errColor: makeChalk('auto', process.stderr, process.env),
  };
  let exitCode = 0;
  const program = new Command('tug')
    .description('Run multi-service projects from Compose files, on tug\'s own runtime or on Docker')
    .version(version(), '-v, --version', 'print the version')
    .option('-f, --file <path>', 'Compose file (repeatable, "-" for stdin)', collect)
    .option('-p, --project-name <name>', 'project name')
    .option('--profile <name>', 'enable a profile (repeatable)', collect)
    .option('--env-file <path>', 'alternate .env file (repeatable)', collect)
    .option('--project-directory <dir>', 'project directory (default: the first file\'s directory)')
    .addOption(new Option('--ansi <when>', 'ANSI colors').choices(['never', 'always', 'auto']).default('auto'))
    .option('--debug', 'show internal details of failures')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: ctx.out, writeErr: ctx.err });

  program.hook('preAction', (thisCommand) => {
    const globals = thisCommand.opts() as GlobalOptions;
    ctx.globals = globals;
    ctx.color = makeChalk(globals.ansi, process.stdout, process.env);
    ctx.errColor = makeChalk(globals.ansi, process.stderr, process.env);
  });

  program
    .command('config')
    .description('validate and print the resolved project')
    .argument('[services...]', 'only these services')
    .addOption(new Option('--format <format>', 'output format').choices(['yaml', 'json']).default('yaml'))
    .option('-q, --quiet', 'only validate, print nothing')
    .option('--services', 'print the service names')
    .option('--volumes', 'print the volume names')
    .option('--networks', 'print the network names')
    .option('--profiles', 'print the profile names')
    .option('--hash <services>', 'print the config hash of services ("*" for all)')
    .option('--no-interpolate', 'do not substitute variables')
    .action(async (services: string[], opts) => {
      const { configCommand } = await import('./commands/config.js');
      exitCode = await configCommand(ctx, services, opts);
    });

  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (err) {
    return exitCodeFor(err, ctx);
  }
}

function exitCodeFor(err: unknown, ctx: CliContext): number {
  if (err instanceof CommanderError) {
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
    return 2;
  }
  if (isUserError(err)) {
    ctx.err(formatErrors(err, ctx.errColor, ctx.cwd) + '\n');
    return err.exitCode;
  }
  const message = err instanceof Error ? err.message : String(err);
  ctx.err(`${ctx.errColor.red('internal error')} ${message}\n`);
  if (ctx.globals.debug && err instanceof Error && err.stack) ctx.err(err.stack + '\n');
  else ctx.err('run again with --debug for details, and please report it\n');
  return 1;
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}
