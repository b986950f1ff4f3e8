// `tug stats` output: `docker stats`' columns and words, as a table for people
// or JSON lines with docker's field names for scripts.
import type { ReplicaStatsRow } from '../../runtime/backend.js';

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
const DECIMAL = ['B', 'kB', 'MB', 'GB', 'TB'];

/** 1536 → "1.5KiB" (memory, binary units as docker stats). */
export function binarySize(bytes: number): string {
  return scaled(bytes, 1024, UNITS);
}

/** 1500 → "1.5kB" (network I/O, decimal units as docker stats). */
export function decimalSize(bytes: number): string {
  return scaled(bytes, 1000, DECIMAL);
}

function scaled(n: number, base: number, units: string[]): string {
  let i = 0;
  while (n >= base && i < units.length - 1) {
    n /= base;
    i++;
  }
  return `${i === 0 ? n : n.toFixed(n >= 100 ? 0 : n >= 10 ? 1 : 2).replace(/\.?0+$/, '')}${units[i]}`;
}

export interface StatsJsonRow {
  Name: string;
  Service: string;
  CPUPerc: string;
  MemUsage: string;
  MemPerc: string;
  NetIO: string;
  PIDs: string;
}

export function statsJsonRow(r: ReplicaStatsRow): StatsJsonRow {
  return {
    Name: r.replica,
    Service: r.service,
    CPUPerc: `${r.cpuPercent.toFixed(2)}%`,
    MemUsage: `${binarySize(r.memoryUsage)} / ${binarySize(r.memoryLimit)}`,
    MemPerc: `${r.memoryPercent.toFixed(2)}%`,
    NetIO: `${decimalSize(r.netRxBytes)} / ${decimalSize(r.netTxBytes)}`,
    PIDs: String(r.pids),
  };
}

export function statsTable(rows: readonly ReplicaStatsRow[]): string {
  const header = ['NAME', 'CPU %', 'MEM USAGE / LIMIT', 'MEM %', 'NET I/O', 'PIDS'];
  const body = rows.map((r) => {
    const j = statsJsonRow(r);
    return [j.Name, j.CPUPerc, j.MemUsage, j.MemPerc, j.NetIO, j.PIDs];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i]!))).join('   ').trimEnd();
  return [line(header), ...body.map(line)].join('\n') + '\n';
}
