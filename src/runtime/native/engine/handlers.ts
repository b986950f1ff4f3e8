// One handler per protocol method, checked at compile time against
// EngineMethods: a method added to protocol.ts without a handler here does not
// build. Parameters come off the wire untyped, so each handler validates what
// it reads and answers a bad request with a TugError, never a crash.
import { TugError } from '../../../core/errors.js';
import type { HostReplicaSpec } from '../host-env.js';
import type { EngineMethod, EngineMethods } from '../protocol.js';
import { specProblem, specWithDefaults, type ProcessGroupRecord } from '../state-format.js';
import { readProcStat } from '../proc-stat.js';
import { STREAM, type Dispatch, type RequestContext } from './server.js';
import type { Supervisor } from './supervisor.js';

type Handler<M extends EngineMethod> = (
  params: Record<string, unknown>,
  ctx: RequestContext,
) => Promise<EngineMethods[M]['result'] | typeof STREAM>;

export type HandlerTable = { [M in EngineMethod]: Handler<M> };

export interface HandlerDeps {
  supervisor: Supervisor;
  /** `confirming`: a client confirming a subscription, not one that reports to the user. */
  ping(confirming: boolean): EngineMethods['ping']['result'];
  /** Stops every replica, then (after the response is flushed) exits the engine. */
  shutdown(ctx: RequestContext): Promise<void>;
}

function badParams(message: string): TugError {
  return new TugError({ code: 'engine.bad-request', message });
}

function stringParam(params: Record<string, unknown>, key: string): string {
  const value = params[key];
  if (typeof value !== 'string' || value === '') throw badParams(`"${key}" must be a non-empty string`);
  return value;
}

function integerParam(params: Record<string, unknown>, key: string): number {
  const value = params[key];
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) throw badParams(`"${key}" must be a positive integer`);
  return value;
}

/**
 * An exec's group as the client names it: its leader must lead its group and
 * have that start time. Undefined when the leader is gone already (a quick
 * command): there is nothing left that can be shown to be that group.
 */
function execGroupParam(params: Record<string, unknown>): ProcessGroupRecord | undefined {
  const pid = integerParam(params, 'pid');
  const procStart = integerParam(params, 'procStart');
  const stat = readProcStat(pid);
  if (!stat) return undefined;
  if (stat.pgrp !== pid || stat.startTime !== procStart) throw badParams(`process ${pid} is not the leader of its process group, or not the process named`);
  return { pgid: pid, procStart };
}

function optionalTimeout(params: Record<string, unknown>): number | undefined {
  const value = params.timeoutMs;
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw badParams('"timeoutMs" must be a number ≥ 0');
  return value;
}

function specParam(params: Record<string, unknown>): HostReplicaSpec {
  const problem = specProblem(params.spec);
  if (problem) throw badParams(problem === 'the spec must be an object' ? '"spec" must be a replica spec object' : problem);
  return specWithDefaults(params.spec as Partial<HostReplicaSpec>);
}

export function createHandlers(deps: HandlerDeps): HandlerTable {
  const { supervisor } = deps;
  return {
    ping: async (p) => deps.ping(p.confirming === true),
    list: async () => supervisor.list(),
    create: async (p) => supervisor.create(specParam(p)),
    start: async (p) => supervisor.start(stringParam(p, 'id')),
    stop: async (p) => supervisor.stop(stringParam(p, 'id'), optionalTimeout(p)),
    kill: async (p) => supervisor.kill(stringParam(p, 'id'), typeof p.signal === 'string' && p.signal !== '' ? p.signal : undefined),
    remove: async (p) => {
      await supervisor.remove(stringParam(p, 'id'), p.removeVolumes === true);
      return null;
    },
    inspect: async (p) => supervisor.inspect(stringParam(p, 'id')),
    stats: async () => supervisor.stats(),
    removeNetwork: async (p) => {
      await supervisor.removeNetwork(stringParam(p, 'name'));
      return null;
    },
    adoptExec: async (p) => {
      const id = stringParam(p, 'id');
      const group = execGroupParam(p);
      if (group) supervisor.adoptExec(id, group);
      return null;
    },
    events: async (_p, ctx) => {
      ctx.subscribe();
      return STREAM;
    },
    shutdown: async (_p, ctx) => {
      await deps.shutdown(ctx);
      return null;
    },
  };
}

/** Routes a wire request to its handler; `refuse` lets the engine turn requests away while it shuts down. */
export function dispatcher(table: HandlerTable, refuse: (method: string) => TugError | undefined): Dispatch {
  return async (method, params, ctx) => {
    if (!Object.prototype.hasOwnProperty.call(table, method)) {
      throw new TugError({ code: 'engine.unknown-method', message: `unknown method ${JSON.stringify(method)}` });
    }
    const refusal = refuse(method);
    if (refusal) throw refusal;
    if (typeof params !== 'object' || params === null || Array.isArray(params)) throw badParams('"params" must be an object');
    const handler = table[method as EngineMethod] as Handler<EngineMethod>;
    return handler(params as Record<string, unknown>, ctx);
  };
}
