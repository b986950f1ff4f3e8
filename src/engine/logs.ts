// `logs`: the replicas' output merged in time order; following picks up
// replicas that appear later (a scale-up) or restart.
import type { LogLine, LogOptions } from '../runtime/backend.js';
import type { EngineContext } from './context.js';

export interface LogsOptions extends Omit<LogOptions, 'replicas' | 'untilExit'> {
  /** Only the replica with this number. */
  index?: number;
}

export async function* logs(ctx: EngineContext, project: string, opts: LogsOptions = {}): AsyncGenerator<LogLine> {
  const { index, ...rest } = opts;
  for await (const line of ctx.backend.io.logs(project, rest)) {
    if (index !== undefined && !line.replica.endsWith(`-${index}`)) continue;
    yield line;
  }
}
