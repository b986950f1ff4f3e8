// What every command gets: the parsed global flags, where to print, colors.
import type { ProjectOptions } from '../host/open-project.js';
import type { AnsiMode, Chalk } from './render/colors.js';

export interface GlobalOptions {
  file?: string[];
  projectName?: string;
  profile?: string[];
  envFile?: string[];
  projectDirectory?: string;
  ansi: AnsiMode;
  debug?: boolean;
  backend?: string;
  isolation?: string;
  progress?: 'auto' | 'tty' | 'plain' | 'json' | 'quiet';
  parallel?: string;
}

export interface CliContext {
  globals: GlobalOptions;
  /** --parallel or COMPOSE_PARALLEL_LIMIT, checked before the command runs (Infinity: no limit). */
  parallel?: number;
  cwd: string;
  env: NodeJS.ProcessEnv;
  out: (text: string) => void;
  err: (text: string) => void;
  color: Chalk;
  errColor: Chalk;
}

export function projectOptions(ctx: CliContext, extra: Partial<ProjectOptions> = {}): ProjectOptions {
  return {
    files: ctx.globals.file,
    projectName: ctx.globals.projectName,
    profiles: ctx.globals.profile,
    envFiles: ctx.globals.envFile,
    projectDirectory: ctx.globals.projectDirectory,
    ...extra,
  };
}

export function warn(ctx: CliContext, message: string): void {
  ctx.err(`${ctx.errColor.yellow('warning')} ${message}\n`);
}
