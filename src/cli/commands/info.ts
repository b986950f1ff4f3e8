// `tug info`: tug's version, where it keeps its state, the default backend and
// this machine's capabilities for containers; `--format json` for scripts.
import { arch, release } from 'node:os';
import { probeCapabilities } from '../../runtime/native/container/capabilities.js';
import { shimBuilt } from '../../runtime/native/container/shim/shim-binary.js';
import { tugHome } from '../../runtime/native/home.js';
import { tugVersion } from '../../version.js';
import type { CliContext } from '../context.js';
import { containerVerdict, renderCapabilities } from './doctor.js';

export async function infoCommand(ctx: CliContext, flags: { format: 'text' | 'json' }): Promise<number> {
  const home = tugHome(ctx.env);
  const { facts, report } = await probeCapabilities({ shimBuilt: shimBuilt(home) });
  const info = {
    version: tugVersion(),
    platform: process.platform,
    arch: arch(),
    kernel: release(),
    node: process.versions.node,
    home,
    backend: ctx.globals.backend ?? ctx.env.TUG_BACKEND ?? 'native',
    containers: report.containers,
    cgroups: facts.cgroup,
    capabilities: report.capabilities,
  };
  if (flags.format === 'json') {
    ctx.out(JSON.stringify(info, null, 2) + '\n');
    return 0;
  }
  const rows: [string, string][] = [
    ['version', info.version],
    ['platform', `${info.platform} ${info.arch}, kernel ${info.kernel}, node ${info.node}`],
    ['state', info.home],
    ['backend', info.backend],
  ];
  const text = rows.map(([k, v]) => `${k.padEnd(9)}${v}`).join('\n');
  ctx.out(`${text}\n\n${renderCapabilities(report, ctx.color)}\n\n${containerVerdict(report)}\n`);
  return 0;
}
