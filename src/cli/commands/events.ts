// `tug events [SERVICE...]`: the project's replica changes as they happen,
// until Ctrl-C (exit 130), as `docker compose events` prints them (--json: one
// object per line).
import type { CliContext } from '../context.js';
import { replicaEventJson, replicaEventLine } from '../render/replica-events.js';
import { interruptController, projectNameFor, withProject } from '../session.js';

export interface EventsFlags {
  json?: boolean;
}

export async function eventsCommand(ctx: CliContext, services: string[], flags: EventsFlags): Promise<number> {
  const name = projectNameFor(ctx);
  return withProject(ctx, {}, name, async (tug) => {
    const interrupt = interruptController();
    try {
      for await (const event of tug.events({ signal: interrupt.signal })) {
        if (services.length > 0 && !services.includes(event.replica.service)) continue;
        ctx.out(`${flags.json ? JSON.stringify(replicaEventJson(event)) : replicaEventLine(event)}\n`);
      }
    } catch (err) {
      if (!interrupt.interrupted()) throw err;
    } finally {
      interrupt.dispose();
    }
    return interrupt.interrupted() ? 130 : 0;
  });
}
