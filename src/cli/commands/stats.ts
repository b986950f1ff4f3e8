// `tug stats [SERVICE...]`: CPU, memory, pids and network I/O of the running
// container replicas, redrawn every second until Ctrl-C, or once with
// --no-stream; --format json prints docker's field names, one line per replica.
import type { CliContext } from '../context.js';
import { statsJsonRow, statsTable } from '../render/stats.js';
import { interruptController, projectNameFor, withProject } from '../session.js';

export interface StatsFlags {
  format: 'table' | 'json';
  /** commander's --no-stream. */
  stream: boolean;
}

const CLEAR = '\x1b[2J\x1b[H';

export async function statsCommand(ctx: CliContext, services: string[], flags: StatsFlags): Promise<number> {
  const name = projectNameFor(ctx);
  return withProject(ctx, {}, name, async (tug) => {
    const interrupt = interruptController();
    const redraw = flags.stream && flags.format === 'table' && process.stdout.isTTY === true;
    let printed = false;
    try {
      for await (const rows of tug.stats({ services: services.length > 0 ? services : undefined, signal: interrupt.signal })) {
        if (flags.format === 'json') ctx.out(rows.map((r) => JSON.stringify(statsJsonRow(r)) + '\n').join(''));
        else ctx.out((redraw ? CLEAR : '') + statsTable(rows));
        printed = true;
        if (!flags.stream) break;
      }
    } catch (err) {
      if (!interrupt.interrupted()) throw err;
    } finally {
      interrupt.dispose();
    }
    // Nothing runs: an empty table, as `docker stats --no-stream` prints.
    if (!printed && flags.format === 'table' && !interrupt.interrupted()) ctx.out(statsTable([]));
    return interrupt.interrupted() ? 130 : 0;
  });
}
