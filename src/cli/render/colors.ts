// Color policy in one place: --ansi never|always|auto, NO_COLOR, FORCE_COLOR.
import chalk, { Chalk as ChalkClass, type ChalkInstance } from 'chalk';

export type Chalk = ChalkInstance;
export type AnsiMode = 'never' | 'always' | 'auto';

export function makeChalk(mode: AnsiMode, stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv): Chalk {
  if (mode === 'never' || (mode === 'auto' && env.NO_COLOR !== undefined && env.NO_COLOR !== '')) {
    return new ChalkClass({ level: 0 });
  }
  if (mode === 'always') return new ChalkClass({ level: Math.max(chalk.level, 1) as 1 | 2 | 3 });
  return new ChalkClass({ level: stream.isTTY ? chalk.level : 0 });
}
