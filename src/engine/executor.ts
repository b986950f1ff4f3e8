// Runs a Plan against a backend: each step once all its `after` steps are done,
// at most `parallel` backend calls in flight (waits on dependencies do not hold
// a slot), one backend call per operation. It carries no decision logic: what
// to do is the planner's business; this only does it, in order, and reports.
import { TugError } from '../core/errors.js';
import { pushTo } from '../core/multimap.js';
import type { Operation, OperationKind, Plan, PlanStep } from '../core/reconcile/operations.js';
import type { RuntimeBackend } from '../runtime/backend.js';
import { waitForCondition } from './conditions.js';
import type { EngineEvent, EventSink } from './events.js';

export interface ExecuteOptions {
  /** Most backend calls in flight at once (Infinity for no bound). */
  parallel: number;
  /** Once aborted, nothing new starts; steps in flight are awaited, then the result is returned. */
  signal?: AbortSignal;
  onEvent?: EventSink;
  /** Bound on each depends_on wait; none by default, as in Compose. */
  waitTimeoutMs?: number;
  /** ISO time the command began: depends_on waits count what happened since (default: when this plan began). */
  eventsSince?: string;
}

export interface ExecutionResult {
  done: string[];
  failed: { stepId: string; op: Operation; error: Error }[];
  skipped: { stepId: string; op: Operation; reason: string }[];
  /** The signal aborted before every step ran (the CLI exits 130). */
  interrupted: boolean;
}

interface StepContext {
  backend: RuntimeBackend;
  project: string;
  /** Replica name → backend id: from create results and, when needed, one observe up front. */
  ids: Map<string, string>;
  signal: AbortSignal | undefined;
  waitTimeoutMs: number | undefined;
  eventsSince: string;
  emit: (event: DistributiveOmit<EngineEvent, 'time'>) => void;
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

type Handlers = { [K in OperationKind]: (op: Extract<Operation, { kind: K }>, ctx: StepContext) => Promise<void> };

const handlers: Handlers = {
  'create-network': (op, ctx) => ctx.backend.resources.createNetwork(ctx.project, op.key, op.name, op.spec),
  'remove-network': (op, ctx) => ctx.backend.resources.removeNetwork(ctx.project, op.name),
  'create-volume': (op, ctx) => ctx.backend.resources.createVolume(ctx.project, op.key, op.name, op.spec),
  'remove-volume': (op, ctx) => ctx.backend.resources.removeVolume(ctx.project, op.name),
  'create-replica': async (op, ctx) => {
    const created = await ctx.backend.replicas.create(op.replica);
    ctx.ids.set(created.name, created.id);
  },
  // Unknown names fall back to the name itself: native ids are names, and docker accepts names.
  'start-replica': (op, ctx) => ctx.backend.replicas.start(ctx.project, ctx.ids.get(op.name) ?? op.name),
  'stop-replica': (op, ctx) => ctx.backend.replicas.stop(ctx.project, op.id, op.timeoutMs),
  'kill-replica': (op, ctx) => ctx.backend.replicas.kill(ctx.project, op.id, op.signal),
  'remove-replica': async (op, ctx) => {
    await ctx.backend.replicas.remove(ctx.project, op.id, { removeVolumes: op.removeVolumes });
    if (ctx.ids.get(op.name) === op.id) ctx.ids.delete(op.name);
  },
  'await-dependency': async (op, ctx) => {
    ctx.emit({ type: 'waiting', service: op.service, dependency: op.dependency, condition: op.condition });
    try {
      // A dependency that exited before this wait subscribed (a quick one-shot) is still seen.
      const wait = { signal: ctx.signal, timeoutMs: ctx.waitTimeoutMs, since: ctx.eventsSince };
      await waitForCondition(ctx.backend, ctx.project, op.dependency, op.condition, wait);
    } catch (err) {
      if (op.required || isInterrupted(err)) throw err;
      ctx.emit({ type: 'warning', message: `${op.service}: optional dependency "${op.dependency}" not met, continuing: ${messageOf(err)}` });
    }
  },
};

function runOperation(op: Operation, ctx: StepContext): Promise<void> {
  // Each handler receives its own kind; the mapped type guarantees one exists.
  const handler = handlers[op.kind] as (op: Operation, ctx: StepContext) => Promise<void>;
  return handler(op, ctx);
}

/** Runs `plan`; never rejects for a failed step (see the result), only for an invalid plan or options, or a failed id lookup. */
export async function executePlan(plan: Plan, backend: RuntimeBackend, opts: ExecuteOptions): Promise<ExecutionResult> {
  if (!(opts.parallel >= 1)) throw new TugError({ code: 'usage', message: `--parallel must be at least 1, got ${opts.parallel}`, exitCode: 2 });
  const dependents = checkPlan(plan);
  const { signal, onEvent } = opts;
  const emit = (event: DistributiveOmit<EngineEvent, 'time'>): void => onEvent?.({ ...event, time: Date.now() } as EngineEvent);
  const eventsSince = opts.eventsSince ?? new Date().toISOString();
  const ids = await knownIds(plan, backend);
  const ctx: StepContext = { backend, project: plan.project, ids, signal, waitTimeoutMs: opts.waitTimeoutMs, eventsSince, emit };

  const result: ExecutionResult = { done: [], failed: [], skipped: [], interrupted: false };
  const byId = new Map(plan.steps.map((s) => [s.id, s]));
  const waitingOn = new Map(plan.steps.map((s) => [s.id, new Set(s.after).size]));
  const settled = new Set<string>();
  // Ready steps that need a backend call wait in FIFO order for a slot; waits on
  // dependencies hold none and start at once. Two queues, read by index, so a
  // pump never rescans a long backlog (that made large plans quadratic).
  const readyCalls: PlanStep[] = [];
  let nextCall = 0;
  const readyWaits: PlanStep[] = [];
  const enqueue = (step: PlanStep): void => {
    (holdsSlot(step.op) ? readyCalls : readyWaits).push(step);
  };
  for (const step of plan.steps) if (waitingOn.get(step.id) === 0) enqueue(step);
  const backlog = (): number => readyCalls.length - nextCall + readyWaits.length;
  let calls = 0;
  let inFlight = 0;
  let finished = false;

  return new Promise<ExecutionResult>((resolve) => {
    const finish = (): void => {
      if (finished) return;
      finished = true;
      signal?.removeEventListener('abort', pump);
      for (const step of plan.steps) {
        if (settled.has(step.id)) continue;
        result.interrupted = true;
        skip(step, 'interrupted before it started');
      }
      resolve(result);
    };

    // Called whenever something changed: a step settled or the signal fired.
    function pump(): void {
      while (!signal?.aborted && readyWaits.length > 0) start(readyWaits.shift()!);
      while (!signal?.aborted && nextCall < readyCalls.length && calls < opts.parallel) start(readyCalls[nextCall++]!);
      if (inFlight === 0 && (backlog() === 0 || signal?.aborted)) finish();
    }

    function start(step: PlanStep): void {
      inFlight++;
      const slot = holdsSlot(step.op);
      if (slot) calls++;
      emit({ type: 'step-start', stepId: step.id, op: step.op });
      new Promise<void>((res) => res(runOperation(step.op, ctx))).then(
        () => settle(step, slot, undefined),
        (err: unknown) => settle(step, slot, toError(err)),
      );
    }

    function settle(step: PlanStep, slot: boolean, error: Error | undefined): void {
      inFlight--;
      if (slot) calls--;
      settled.add(step.id);
      if (error && isInterrupted(error)) {
        result.interrupted = true;
        skip(step, 'interrupted while waiting');
      } else if (error) {
        result.failed.push({ stepId: step.id, op: step.op, error });
        emit({ type: 'step-failed', stepId: step.id, op: step.op, error });
        skipDependents(step, error);
      } else {
        result.done.push(step.id);
        emit({ type: 'step-done', stepId: step.id, op: step.op });
        for (const next of dependents.get(step.id) ?? []) {
          const left = waitingOn.get(next)! - 1;
          waitingOn.set(next, left);
          if (left === 0 && !settled.has(next)) enqueue(byId.get(next)!);
        }
      }
      pump();
    }

    function skip(step: PlanStep, reason: string): void {
      settled.add(step.id);
      result.skipped.push({ stepId: step.id, op: step.op, reason });
      emit({ type: 'step-skipped', stepId: step.id, op: step.op, reason });
    }

    // Everything downstream of a failed step is skipped, with the chain that led there.
    function skipDependents(failed: PlanStep, error: Error): void {
      const via = new Map<string, string>();
      const queue = [failed.id];
      for (let head = 0; head < queue.length; head++) {
        const id = queue[head]!;
        for (const next of dependents.get(id) ?? []) {
          if (settled.has(next) || via.has(next)) continue;
          via.set(next, id);
          queue.push(next);
        }
      }
      for (const [id] of via) {
        const chain = [id];
        for (let up = via.get(id); up !== undefined; up = via.get(up)) chain.push(up);
        skip(byId.get(id)!, skipReason(chain.map((s) => byId.get(s)!.op), error));
      }
    }

    signal?.addEventListener('abort', pump, { once: true });
    pump();
  });
}

/** `web: skipped because api failed: boom`, naming intermediate subjects: `(via worker)`. */
export function skipReason(chain: Operation[], error: Error): string {
  const subjects = chain.map(subjectOf).filter((s, i, all) => i === 0 || s !== all[i - 1]);
  const skipped = subjects[0]!;
  const root = chain[chain.length - 1]!;
  const via = subjects.slice(1, -1);
  const viaText = via.length > 0 ? ` (via ${via.join(' -> ')})` : '';
  // A failed wait already names the dependency in its message.
  if (root.kind === 'await-dependency') return `${skipped}: skipped because ${error.message}${viaText}`;
  const cause = subjects.length > 1 ? subjects[subjects.length - 1]! : describeOperation(root);
  return `${skipped}: skipped because ${cause} failed${viaText}: ${error.message}`;
}

/** What a step is about, as a user names it: the service, network or volume. */
export function subjectOf(op: Operation): string {
  return 'service' in op ? op.service : op.name;
}

export function describeOperation(op: Operation): string {
  switch (op.kind) {
    case 'create-replica':
      return `create ${op.replica.name}`;
    case 'await-dependency':
      return `wait for ${op.dependency} (${op.condition})`;
    default:
      return `${op.kind.replace(/-.*/, '')} ${op.name}`;
  }
}

/**
 * Whether a step takes one of the `parallel` slots. A dependency wait does no
 * work, and neither does most of a stop: the backend signals the replica and
 * waits out its grace period. Bounded, `stop -t 10` of 100 replicas took 70 s
 * with 16 slots (the grace periods ran one batch after another); Compose bounds
 * no container operation at all.
 */
function holdsSlot(op: Operation): boolean {
  return op.kind !== 'await-dependency' && op.kind !== 'stop-replica';
}

/** Unknown `after` ids and cycles are planner bugs: refuse before doing anything. Returns id → dependents. */
function checkPlan(plan: Plan): Map<string, string[]> {
  const ids = new Set<string>();
  const dependents = new Map<string, string[]>();
  for (const step of plan.steps) {
    if (ids.has(step.id)) throw invalidPlan(`duplicate step id ${step.id}`);
    ids.add(step.id);
  }
  for (const step of plan.steps) {
    for (const before of new Set(step.after)) {
      if (!ids.has(before)) throw invalidPlan(`step ${step.id} runs after unknown step ${before}`);
      pushTo(dependents, before, step.id);
    }
  }
  // Kahn's algorithm: whatever is never released sits on a cycle.
  const left = new Map(plan.steps.map((s) => [s.id, new Set(s.after).size]));
  const queue = plan.steps.filter((s) => left.get(s.id) === 0).map((s) => s.id);
  for (let head = 0; head < queue.length; head++) {
    const id = queue[head]!;
    left.delete(id);
    for (const next of dependents.get(id) ?? []) {
      const n = left.get(next)! - 1;
      left.set(next, n);
      if (n === 0) queue.push(next);
    }
  }
  if (left.size > 0) throw invalidPlan(`steps ${[...left.keys()].join(', ')} wait on each other`);
  return dependents;
}

/** Observes once, only when a start step names a replica this plan does not create. */
async function knownIds(plan: Plan, backend: RuntimeBackend): Promise<Map<string, string>> {
  const ids = new Map<string, string>();
  const created = new Set(plan.steps.flatMap((s) => (s.op.kind === 'create-replica' ? [s.op.replica.name] : [])));
  const needsLookup = plan.steps.some((s) => s.op.kind === 'start-replica' && !created.has(s.op.name));
  if (needsLookup) for (const r of (await backend.replicas.observe(plan.project)).replicas) ids.set(r.name, r.id);
  return ids;
}

function invalidPlan(detail: string): TugError {
  return new TugError({ code: 'plan.invalid', message: `invalid plan (a bug in tug): ${detail}` });
}

function isInterrupted(err: unknown): boolean {
  return err instanceof TugError && err.code === 'interrupted';
}

function toError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
