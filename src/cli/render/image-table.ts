// Image listings as Docker prints them: sizes in decimal units ("7.05MB"),
// ages ("3 days ago"), short IDs, aligned columns.
import { humanDuration } from '../../core/render/ps-row.js';

export { humanSize } from '../../core/render/ps-row.js';

export function ago(iso: string | undefined, now: number): string {
  if (!iso || Number.isNaN(Date.parse(iso))) return 'N/A';
  return `${humanDuration(now - Date.parse(iso))} ago`;
}

export function shortImageId(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}

/** Columns separated by three spaces, each as wide as its widest cell; no trailing blanks. */
export function table(rows: string[][]): string {
  if (rows.length === 0) return '';
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('   ').trimEnd()).join('\n') + '\n';
}
