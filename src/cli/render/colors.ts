// Color policy in one place: --ansi never|always|auto, NO_COLOR, FORCE_COLOR.
// chalk is loaded only when colors are on: piped output (scripts, CI, tests)
// never pays for it, which keeps quick commands like `ps` quick.
import type { ChalkInstance } from 'chalk';

export type Chalk = ChalkInstance;
export type AnsiMode = 'never' | 'always' | 'auto';

/** Paints nothing: every style is the identity, and styles chain like chalk's. */
export const plainChalk: Chalk = new Proxy(function paint() {}, {
  get: (_target, prop) => (prop === 'level' ? 0 : typeof prop === 'symbol' || prop === 'then' ? undefined : plainChalk),
  apply: (_target, _this, args: unknown[]) => args.join(' '),
}) as unknown as Chalk;

export async function makeChalk(mode: AnsiMode, stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv): Promise<Chalk> {
  const forced = env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0';
  if (mode === 'never') return plainChalk;
  if (mode === 'auto' && ((env.NO_COLOR !== undefined && env.NO_COLOR !== '') || (!stream.isTTY && !forced))) return plainChalk;
  const { default: chalk, Chalk: ChalkClass } = await import('chalk');
  return new ChalkClass({ level: Math.max(chalk.level, 1) as 1 | 2 | 3 });
}
