// A port or a port range as Compose writes them ("80", "8000-8005"), parsed
// once for every reader: the loader's validation of `ports:` and `expose:`,
// and the runtimes that bind a published range (the first free port of it).
// Decimal only, 1 to 65535, start ≤ end (go-connections ParsePortRange,
// without port 0: no replica listens on it, and "any free port" is written by
// leaving `published` out).

export interface PortRange {
  start: number;
  end: number;
}

/** Why a text is not a range: not ports at all, a port 0, or an end before the start. */
export type PortRangeError = 'syntax' | 'zero' | 'reversed';

export function parsePortRange(text: string): PortRange | { error: PortRangeError } {
  const trimmed = text.trim();
  const dash = trimmed.indexOf('-');
  const start = portNumber(dash < 0 ? trimmed : trimmed.slice(0, dash));
  const end = dash < 0 ? start : portNumber(trimmed.slice(dash + 1));
  if (start === undefined || end === undefined) return { error: 'syntax' };
  if (start === 0 || end === 0) return { error: 'zero' };
  if (end < start) return { error: 'reversed' };
  return { start, end };
}

function portNumber(text: string): number | undefined {
  if (text.length === 0 || text.length > 5) return undefined;
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return undefined;
    n = n * 10 + c;
  }
  return n <= 65535 ? n : undefined;
}

/** The ports of a range, in order: the candidates to bind, first free wins. */
export function portsOf(range: PortRange): number[] {
  const ports: number[] = [];
  for (let p = range.start; p <= range.end; p++) ports.push(p);
  return ports;
}

/** A `published:` value as the host ports to try; undefined when it is not a port or range (the loader refuses those). */
export function publishedCandidates(published: string): number[] | undefined {
  const range = parsePortRange(published);
  return 'error' in range ? undefined : portsOf(range);
}
