// Resource limits of a service as OCI linux.resources: memory (mem_limit or
// deploy.resources.limits.memory, memswap_limit, mem_reservation, swappiness,
// oom_kill_disable), CPU (cpus or limits.cpus as a CFS quota, cpu_shares,
// cpu_quota/cpu_period, cpuset) and pids_limit (or limits.pids). The runtime
// writes them to whichever cgroup layout the machine has. Pure.
import { TugError } from '../../../core/errors.js';
import type { OciResources } from './oci-spec.js';

/** Docker refuses less: a process cannot even start in a smaller cgroup. */
export const MIN_MEMORY_BYTES = 6 * 1024 * 1024;
const CFS_PERIOD_US = 100_000;

type Raw = Record<string, unknown>;
const isRaw = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

export interface ResourceContext {
  /** The memory cgroup accounts swap (v1 memory.memsw.*, v2 memory.swap.max): memswap_limit can be applied. */
  swapAccounting: boolean;
}

function fieldError(service: string, path: (string | number)[], message: string, hint?: string): TugError {
  return new TugError({ code: 'container.resources', message: `service ${service}: ${message}`, path: ['services', service, ...path], hint });
}

function mib(bytes: number): string {
  return `${Math.round((bytes / 1024 / 1024) * 10) / 10} MiB`;
}

export function ociResources(service: string, svc: Raw, ctx: ResourceContext, sink: TugError[], notes: string[]): Omit<OciResources, 'devices'> {
  const res = isRaw(svc.deploy) && isRaw(svc.deploy.resources) ? svc.deploy.resources : {};
  const limits = isRaw(res.limits) ? res.limits : {};
  const reservations = isRaw(res.reservations) ? res.reservations : {};
  const out: Omit<OciResources, 'devices'> = {};

  const memoryPath = num(limits.memory) !== undefined ? ['deploy', 'resources', 'limits', 'memory'] : ['mem_limit'];
  const memory = num(limits.memory) ?? num(svc.mem_limit);
  const memory_: NonNullable<OciResources['memory']> = {};
  if (memory !== undefined && memory > 0) {
    if (memory < MIN_MEMORY_BYTES) {
      sink.push(fieldError(service, memoryPath, `memory limit ${mib(memory)} is below the ${mib(MIN_MEMORY_BYTES)} a process needs to start`, 'raise it to at least 6m'));
    } else memory_.limit = memory;
  }
  const swap = num(svc.memswap_limit);
  if (swap !== undefined && swap !== 0) {
    if (swap !== -1 && memory_.limit !== undefined && swap < memory_.limit) {
      sink.push(fieldError(service, ['memswap_limit'], `memswap_limit ${mib(swap)} is below the memory limit ${mib(memory_.limit)}`, 'memswap_limit counts memory plus swap; set it at least as high as mem_limit, or -1 for unlimited swap'));
    } else if (memory_.limit === undefined && swap !== -1) {
      sink.push(fieldError(service, ['memswap_limit'], 'memswap_limit needs a memory limit', 'set mem_limit too'));
    } else if (ctx.swapAccounting) memory_.swap = swap;
    else notes.push(`${service}: memswap_limit not applied: this kernel does not account swap in the memory cgroup`);
  } else if (memory_.limit !== undefined && ctx.swapAccounting) {
    // Docker's default: as much swap as memory (memory + swap = twice the limit).
    memory_.swap = memory_.limit * 2;
  }
  const reservation = num(reservations.memory) ?? num(svc.mem_reservation);
  if (reservation !== undefined && reservation > 0) memory_.reservation = reservation;
  const swappiness = num(svc.mem_swappiness);
  if (swappiness !== undefined) {
    if (swappiness < 0 || swappiness > 100) sink.push(fieldError(service, ['mem_swappiness'], `mem_swappiness ${swappiness} is outside 0-100`));
    else memory_.swappiness = swappiness;
  }
  if (svc.oom_kill_disable === true) memory_.disableOOMKiller = true;
  if (Object.keys(memory_).length > 0) out.memory = memory_;

  const cpu: NonNullable<OciResources['cpu']> = {};
  const cpusPath = num(limits.cpus) !== undefined ? ['deploy', 'resources', 'limits', 'cpus'] : ['cpus'];
  const cpus = num(limits.cpus) ?? num(svc.cpus);
  if (cpus !== undefined && cpus !== 0) {
    if (cpus < 0.01) sink.push(fieldError(service, cpusPath, `cpus ${cpus} is below the smallest share the kernel schedules (0.01)`));
    else {
      cpu.quota = Math.round(cpus * CFS_PERIOD_US);
      cpu.period = CFS_PERIOD_US;
    }
  }
  const quota = num(svc.cpu_quota);
  const period = num(svc.cpu_period);
  if (quota !== undefined) cpu.quota = quota;
  if (period !== undefined) cpu.period = period;
  const shares = num(svc.cpu_shares);
  if (shares !== undefined && shares !== 0) {
    if (shares < 2) sink.push(fieldError(service, ['cpu_shares'], `cpu_shares ${shares} is below the minimum of 2`));
    else cpu.shares = shares;
  }
  if (typeof svc.cpuset === 'string' && svc.cpuset !== '') cpu.cpus = svc.cpuset;
  if (Object.keys(cpu).length > 0) out.cpu = cpu;

  const pids = num(limits.pids) ?? num(svc.pids_limit);
  if (pids !== undefined && pids !== 0) out.pids = { limit: pids < 0 ? -1 : pids };
  return out;
}
