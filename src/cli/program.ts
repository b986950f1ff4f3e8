// Registers the commands and global flags, lazy-imports each command, and is
// the one place that turns errors into exit codes: 0 ok, 1 failure, 2 usage.
import { Command, CommanderError, Option } from 'commander';
import { tugVersion } from '../version.js';
import { isUserError } from '../core/errors.js';
import type { CliContext, GlobalOptions } from './context.js';
import { makeChalk, plainChalk } from './render/colors.js';
import { formatErrors } from './render/errors.js';
import { parseParallel } from './args.js';

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** Where a run reads and writes; the process's own by default (tests run the CLI in-process with their own). */
export interface CliIo {
  cwd: string;
  env: NodeJS.ProcessEnv;
  out: (text: string) => void;
  err: (text: string) => void;
  /** Told the command about to run (`build`, `image ls`): the bundle's code cache is kept per command (scripts/bundle-boot.cjs). */
  onCommand: (name: string) => void;
}

export async function run(argv: string[], io: Partial<CliIo> = {}): Promise<number> {
  const env = io.env ?? process.env;
  const ctx: CliContext = {
    globals: { ansi: 'auto' },
    cwd: io.cwd ?? process.cwd(),
    env,
    out: io.out ?? ((t) => process.stdout.write(t)),
    err: io.err ?? ((t) => process.stderr.write(t)),
    color: plainChalk,
    errColor: await makeChalk('auto', process.stderr, env),
  };
  let exitCode = 0;
  const program = new Command('tug')
    .description('Run multi-service projects from Compose files, on tug\'s own runtime or on Docker')
    .version(tugVersion(), '-v, --version', 'print the version')
    .option('-f, --file <path>', 'Compose file (repeatable, "-" for stdin)', collect)
    .option('-p, --project-name <name>', 'project name')
    .option('--profile <name>', 'enable a profile (repeatable)', collect)
    .option('--env-file <path>', 'alternate .env file (repeatable)', collect)
    .option('--project-directory <dir>', 'project directory (default: the first file\'s directory)')
    .addOption(new Option('--ansi <when>', 'ANSI colors').choices(['never', 'always', 'auto']).default('auto'))
    .option('--debug', 'show internal details of failures')
    .option('--backend <name>', 'runtime: native (default) or docker; env TUG_BACKEND')
    .option('--isolation <mode>', 'native runtime: auto (default), container or process; env TUG_ISOLATION, per service x-tug.isolation')
    .addOption(new Option('--progress <mode>', 'progress output').choices(['auto', 'tty', 'plain', 'json', 'quiet']))
    .option('--parallel <n>', 'how many operations run at once (default: the backend\'s)')
    .enablePositionalOptions()
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: ctx.out, writeErr: ctx.err });

  program.hook('preAction', async (thisCommand, actionCommand) => {
    io.onCommand?.(commandPath(actionCommand));
    const globals = thisCommand.opts() as GlobalOptions;
    ctx.globals = globals;
    // Checked for every command, as Compose does: a bad value must not be ignored quietly.
    ctx.parallel = parseParallel(globals.parallel, ctx.env.COMPOSE_PARALLEL_LIMIT);
    ctx.color = await makeChalk(globals.ansi, process.stdout, env);
    ctx.errColor = await makeChalk(globals.ansi, process.stderr, env);
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

  program
    .command('doctor')
    .description('check what this machine offers for containers, and how to get what is missing')
    .action(async () => {
      const { doctorCommand } = await import('./commands/doctor.js');
      exitCode = await doctorCommand(ctx);
    });

  program
    .command('info')
    .description('show tug\'s version, state directory and this machine\'s container capabilities')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (opts) => {
      const { infoCommand } = await import('./commands/info.js');
      exitCode = await infoCommand(ctx, opts);
    });

  registerRuntimeCommands(program, ctx, (code) => {
    exitCode = code;
  });
  registerImageCommands(program, ctx, (code) => {
    exitCode = code;
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

/** `image ls` for a subcommand: the names from below the program down to the command. */
function commandPath(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

const collectValues = (value: string, previous: string[] = []) => [...previous, value];

/** up, down, ps, logs, scale, start/stop/restart/kill, exec, run, ls: each module loaded only when used. */
function registerRuntimeCommands(program: Command, ctx: CliContext, setExit: (code: number) => void): void {
  program
    .command('up')
    .description('create and start the services (attached unless -d)')
    .argument('[services...]')
    .option('-d, --detach', 'run in the background')
    .option('--scale <service=n>', 'replicas for a service (repeatable)', collectValues)
    .option('--no-deps', 'do not start linked services')
    .option('--force-recreate', 'recreate replicas even if nothing changed')
    .option('--no-recreate', 'never recreate existing replicas')
    .option('--always-recreate-deps', 'recreate dependencies too')
    .option('--remove-orphans', 'remove replicas of services no longer in the file')
    .option('--no-start', 'create but do not start')
    .option('--wait', 'wait until services are running and healthy (implies -d)')
    .option('--wait-timeout <seconds>', 'give up waiting after this long')
    .option('--abort-on-container-exit', 'stop everything when a replica exits')
    .option('--exit-code-from <service>', 'exit with this service\'s exit code (implies --abort-on-container-exit)')
    .option('-t, --timeout <seconds>', 'shutdown timeout')
    .option('--dry-run', 'print the plan and change nothing')
    .option('--build', 'build images before starting (docker backend)')
    .option('--no-build', 'never build images, even missing ones')
    .option('--pull <policy>', 'pull images: always, missing or never')
    .option('--no-color', 'monochrome log output')
    .option('--no-log-prefix', 'no replica-name prefix on log lines')
    .option('--timestamps', 'show timestamps')
    .option('-w, --watch', 'watch the files of develop.watch rules and the project\'s own files while attached')
    .action(async (services: string[], opts) => {
      const { upCommand } = await import('./commands/up.js');
      setExit(await upCommand(ctx, services, opts));
    });

  program
    .command('watch')
    .description('keep the running project in step with edited files (develop.watch) and its Compose files')
    .argument('[services...]', 'only these services\' rules')
    .option('--no-up', 'do not bring the project up first')
    .option('--prune', 'after a rebuild, remove the image it replaced once unused (docker)')
    .option('--quiet', 'print only errors')
    .action(async (services: string[], opts) => {
      const { watchCommand } = await import('./commands/watch.js');
      setExit(await watchCommand(ctx, services, opts));
    });

  program
    .command('down')
    .description('stop and remove replicas and networks (and volumes with -v)')
    .argument('[services...]')
    .option('-v, --volumes', 'also remove named volumes declared in the file and anonymous volumes')
    .option('--remove-orphans', 'remove replicas of services no longer in the file')
    .option('-t, --timeout <seconds>', 'shutdown timeout')
    .addOption(new Option('--rmi <type>', 'also remove images: "local" (built ones without a name of their own) or "all"').choices(['local', 'all']))
    .action(async (services: string[], opts) => {
      const { downCommand } = await import('./commands/down.js');
      setExit(await downCommand(ctx, services, opts));
    });

  program
    .command('ps')
    .description('list the project\'s replicas')
    .argument('[services...]')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']).default('table'))
    .option('-a, --all', 'include stopped replicas')
    .option('-q, --quiet', 'only IDs')
    .option('--services', 'only service names')
    .option('--status <state>', 'filter by state (repeatable)', collectValues)
    .option('-s, --size', 'show what each replica wrote to its own root filesystem ("-" for host processes)')
    .action(async (services: string[], opts) => {
      const { psCommand } = await import('./commands/ps.js');
      setExit(await psCommand(ctx, services, opts));
    });

  program
    .command('stats')
    .description('show CPU, memory, pids and network I/O of running container replicas')
    .argument('[services...]')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']).default('table'))
    .option('--no-stream', 'print one sample and exit')
    .action(async (services: string[], opts) => {
      const { statsCommand } = await import('./commands/stats.js');
      setExit(await statsCommand(ctx, services, opts));
    });

  program
    .command('events')
    .description('print the project\'s replica changes (create, start, oom, die, health...) as they happen, until Ctrl-C')
    .argument('[services...]')
    .option('--json', 'one JSON object per line')
    .action(async (services: string[], opts) => {
      const { eventsCommand } = await import('./commands/events.js');
      setExit(await eventsCommand(ctx, services, opts));
    });

  program
    .command('port')
    .description('print the host address a service\'s private port is published on')
    .argument('<service>')
    .argument('<private_port>')
    .addOption(new Option('--protocol <protocol>', 'tcp or udp').choices(['tcp', 'udp']).default('tcp'))
    .option('--index <n>', 'which replica, when the service has several', '1')
    .action(async (service: string, privatePort: string, opts) => {
      const { portCommand } = await import('./commands/port.js');
      setExit(await portCommand(ctx, service, privatePort, opts));
    });

  program
    .command('logs')
    .description('show the replicas\' output')
    .argument('[services...]')
    .option('-f, --follow', 'keep following new output')
    .option('-n, --tail <lines>', 'lines from the end of each replica\'s log (or "all")')
    .option('-t, --timestamps', 'show timestamps')
    .option('--since <time>', 'from this time (RFC 3339 or relative, e.g. 10m)')
    .option('--until <time>', 'up to this time')
    .option('--index <n>', 'only this replica number')
    .option('--no-color', 'monochrome output')
    .option('--no-log-prefix', 'no replica-name prefix')
    .action(async (services: string[], opts) => {
      const { logsCommand } = await import('./commands/logs.js');
      setExit(await logsCommand(ctx, services, opts));
    });

  program
    .command('scale')
    .description('set the number of replicas of services')
    .argument('<service=n...>')
    .option('--no-deps', 'do not start linked services')
    .action(async (pairs: string[], opts) => {
      const { scaleCommand } = await import('./commands/scale.js');
      setExit(await scaleCommand(ctx, pairs, opts));
    });

  for (const action of ['start', 'stop', 'restart', 'kill'] as const) {
    const cmd = program.command(action).argument('[services...]');
    cmd.description({ start: 'start existing replicas', stop: 'stop replicas', restart: 'restart replicas', kill: 'send a signal to replicas' }[action]);
    if (action === 'stop' || action === 'restart') cmd.option('-t, --timeout <seconds>', 'shutdown timeout');
    if (action === 'kill') cmd.option('-s, --signal <signal>', 'signal to send', 'SIGKILL');
    if (action === 'start') cmd.option('--wait', 'wait until running and healthy').option('--wait-timeout <seconds>', 'give up after this long');
    cmd.action(async (services: string[], opts) => {
      const { lifecycleCommand } = await import('./commands/lifecycle.js');
      setExit(await lifecycleCommand(ctx, action, services, opts));
    });
  }

  program
    .command('exec')
    .description('run a command in a running replica')
    .argument('<service>')
    .argument('<command...>')
    .option('--index <n>', 'replica number', '1')
    .option('-e, --env <KEY=VALUE>', 'set a variable (repeatable)', collectValues)
    .option('-T, --no-tty', 'no pseudo-terminal')
    .option('-u, --user <user>', 'run as this user')
    .option('-w, --workdir <dir>', 'working directory')
    .passThroughOptions()
    .action(async (service: string, command: string[], opts) => {
      const { execCommand } = await import('./commands/exec.js');
      setExit(await execCommand(ctx, service, command, opts));
    });

  program
    .command('run')
    .description('run a one-off replica of a service')
    .argument('<service>')
    .argument('[command...]')
    .option('--rm', 'remove it when it exits')
    .option('--no-deps', 'do not start linked services')
    .option('-e, --env <KEY=VALUE>', 'set a variable (repeatable)', collectValues)
    .option('--entrypoint <cmd>', 'override the entrypoint')
    .option('--name <name>', 'name of the one-off replica')
    .option('-T, --no-tty', 'no pseudo-terminal (the default on the native backend)')
    .passThroughOptions()
    .action(async (service: string, command: string[], opts) => {
      const { runCommand } = await import('./commands/run.js');
      setExit(await runCommand(ctx, service, command, opts));
    });

  program
    .command('ls')
    .description('list the projects tug runs on this machine')
    .option('-a, --all', 'include stopped projects')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']).default('table'))
    .option('-q, --quiet', 'only names')
    .action(async (opts) => {
      const { lsCommand } = await import('./commands/ls.js');
      setExit(await lsCommand(ctx, opts));
    });
}

/** `tug image …` on the image store, and the project-level `pull` and `images`; each module loaded only when used. */
function registerImageCommands(program: Command, ctx: CliContext, setExit: (code: number) => void): void {
  const image = program.command('image').description('manage the image store of tug\'s own runtime');
  image
    .command('ls')
    .alias('list')
    .description('list the images in the store')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']).default('table'))
    .option('-q, --quiet', 'only image IDs')
    .option('-a, --all', 'accepted for compatibility (the store keeps no intermediate images)')
    .action(async (opts) => {
      const { imageLsCommand } = await import('./commands/image.js');
      setExit(await imageLsCommand(ctx, opts));
    });
  image
    .command('pull')
    .description('pull an image from a registry into the store')
    .argument('<name>')
    .option('--platform <os/arch[/variant]>', 'the platform to pull (default: this machine\'s)')
    .option('-q, --quiet', 'print only the image name')
    .action(async (name: string, opts) => {
      const { imagePullCommand } = await import('./commands/image-pull.js');
      setExit(await imagePullCommand(ctx, name, opts));
    });
  image
    .command('load')
    .description('load images from a docker save archive or an OCI image layout (a file, a directory, or stdin)')
    .option('-i, --input <path>', 'the archive (default: stdin)')
    .option('-q, --quiet', 'accepted for compatibility')
    .action(async (opts) => {
      const { imageLoadCommand } = await import('./commands/image-pull.js');
      setExit(await imageLoadCommand(ctx, opts));
    });
  image
    .command('inspect')
    .description('print what the store knows of images, as JSON')
    .argument('<name...>')
    .option('--format <format>', 'only json')
    .action(async (names: string[], opts) => {
      const { imageInspectCommand } = await import('./commands/image.js');
      setExit(await imageInspectCommand(ctx, names, opts));
    });
  image
    .command('rm')
    .alias('remove')
    .description('remove image names, and images no name or replica uses any more')
    .argument('<name...>')
    .option('-f, --force', 'remove the name even when a replica uses the image')
    .action(async (names: string[], opts) => {
      const { imageRmCommand } = await import('./commands/image.js');
      setExit(await imageRmCommand(ctx, names, opts));
    });
  image
    .command('prune')
    .description('remove images and layers no reference and no replica uses')
    .option('-f, --force', 'accepted for compatibility (no prompt is shown)')
    .option('-a, --all', 'accepted for compatibility (unnamed and unused images are both removed)')
    .action(async () => {
      const { imagePruneCommand } = await import('./commands/image.js');
      setExit(await imagePruneCommand(ctx));
    });

  program
    .command('build')
    .description('build the images of the services with a build section (tug\'s own builder on native)')
    .argument('[services...]')
    .option('--no-cache', 'build every step again, ignoring the cache')
    .option('--pull', 'pull base images again even when the store has them')
    .option('--build-arg <key=value>', 'a build argument over build.args (repeatable)', collectValues)
    .option('-q, --quiet', 'print only the image IDs')
    .addOption(new Option('--progress <mode>', 'build output: plain, json or quiet').choices(['auto', 'tty', 'plain', 'json', 'quiet']))
    .action(async (services: string[], opts) => {
      const { buildCommand } = await import('./commands/build.js');
      setExit(await buildCommand(ctx, services, opts));
    });

  program
    .command('builder')
    .description('manage the build cache of tug\'s own builder')
    .command('prune')
    .description('remove build cache entries and the layers no image uses')
    .option('-f, --force', 'do not ask for confirmation')
    .option('-a, --all', 'remove every cache entry (layers images use stay with them)')
    .action(async (opts) => {
      const { builderPruneCommand } = await import('./commands/build.js');
      setExit(await builderPruneCommand(ctx, opts));
    });

  program
    .command('pull')
    .description('pull the images of the project\'s services (native: into tug\'s image store)')
    .argument('[services...]')
    .option('--ignore-pull-failures', 'warn about images that fail to pull and go on')
    .option('-q, --quiet', 'no progress output')
    .action(async (services: string[], opts) => {
      const { pullCommand } = await import('./commands/pull.js');
      setExit(await pullCommand(ctx, services, opts));
    });

  program
    .command('images')
    .description('list the images the project\'s services use (native: from tug\'s image store)')
    .argument('[services...]')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']).default('table'))
    .option('-q, --quiet', 'only image IDs')
    .action(async (services: string[], opts) => {
      const { imagesCommand } = await import('./commands/images.js');
      setExit(await imagesCommand(ctx, services, opts));
    });
}
