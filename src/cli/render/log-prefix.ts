// Colored `web-1 | ` prefixes, a stable color per service (like docker compose).
import type { LogLine } from '../../runtime/backend.js';
import type { Chalk } from './colors.js';

const PALETTE = ['cyan', 'yellow', 'green', 'magenta', 'blue', 'cyanBright', 'yellowBright', 'greenBright', 'magentaBright', 'blueBright'] as const;

export interface LogFormat {
  prefix: boolean;
  timestamps: boolean;
  color: Chalk;
}

export function createLogFormatter(names: string[], project: string, fmt: LogFormat): (line: LogLine) => string {
  const width = Math.max(0, ...names.map((n) => shortName(n, project).length));
  const colorOf = new Map<string, (s: string) => string>();
  let next = 0;
  return (line) => {
    const ts = fmt.timestamps ? `${line.time} ` : '';
    if (!fmt.prefix) return `${ts}${line.text}\n`;
    let paint = colorOf.get(line.service);
    if (!paint) {
      const name = PALETTE[next++ % PALETTE.length]!;
      paint = (s: string) => fmt.color[name](s);
      colorOf.set(line.service, paint);
    }
    return `${paint(`${shortName(line.replica, project).padEnd(width)} |`)} ${ts}${line.text}\n`;
  };
}

/** "quickstart-web-1" → "web-1"; other names stay as they are. */
export function shortName(replica: string, project: string): string {
  return replica.startsWith(`${project}-`) ? replica.slice(project.length + 1) : replica;
}
