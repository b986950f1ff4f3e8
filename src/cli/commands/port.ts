// `tug port SERVICE PRIVATE_PORT`: prints where a private port is published.
import type { CliContext } from '../context.js';
import { projectNameFor, withProject } from '../session.js';

export interface PortFlags {
  protocol: 'tcp' | 'udp';
  index: string;
}

export async function portCommand(ctx: CliContext, service: string, privatePort: string, flags: PortFlags): Promise<number> {
  const name = projectNameFor(ctx);
  return withProject(ctx, {}, name, async (tug) => {
    ctx.out(`${await tug.port(service, privatePort, { protocol: flags.protocol, index: Number(flags.index) })}\n`);
    return 0;
  });
}
