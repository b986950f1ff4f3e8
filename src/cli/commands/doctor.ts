// `tug doctor`: what this machine can give tug's container runtime, one line
// per capability, and for each missing piece what it costs and how to get it.
// Always exits 0: it reports; `--isolation container` is what refuses.
import { probeCapabilities } from '../../runtime/native/container/capabilities.js';
import type { Capability, CapabilityReport } from '../../runtime/native/container/capability-report.js';
import { shimBuilt } from '../../runtime/native/container/shim/shim-binary.js';
import { tugHome } from '../../runtime/native/home.js';
import type { Chalk } from '../render/colors.js';
import type { CliContext } from '../context.js';

const MARK: Record<Capability['status'], string> = { ok: '✓', missing: '✗', warning: '!', info: '·' };

function paint(color: Chalk, c: Capability, text: string): string {
  switch (c.status) {
    case 'ok':
      return color.green(text);
    case 'missing':
      return color.red(text);
    case 'warning':
      return color.yellow(text);
    default:
      return color.dim(text);
  }
}

export function renderCapabilities(report: CapabilityReport, color: Chalk): string {
  const width = Math.max(...report.capabilities.map((c) => c.title.length));
  const lines: string[] = [];
  for (const c of report.capabilities) {
    lines.push(`  ${paint(color, c, MARK[c.status])} ${c.title.padEnd(width)}  ${c.detail}`);
    if (c.cost) lines.push(`    ${' '.repeat(width)}  costs: ${c.cost}`);
    if (c.fix) lines.push(`    ${' '.repeat(width)}  fix:   ${color.bold(c.fix)}`);
  }
  return lines.join('\n');
}

export function containerVerdict(report: CapabilityReport): string {
  const { available, runtime, missing } = report.containers;
  return available
    ? `container isolation: available (${runtime})`
    : `container isolation: unavailable, missing ${missing.join(' and ')}; services run as host processes`;
}

export async function doctorCommand(ctx: CliContext): Promise<number> {
  const { report } = await probeCapabilities({ shimBuilt: shimBuilt(tugHome(ctx.env)) });
  ctx.out(`${renderCapabilities(report, ctx.color)}\n\n${containerVerdict(report)}\n`);
  return 0;
}
