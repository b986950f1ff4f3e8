// The live view on a terminal: one listr2 task per service (or network/volume)
// in each round, its title following the step that is running. listr2 draws;
// engine events resolve the tasks.
import { Listr, type ListrTaskWrapper } from 'listr2';
import type { Plan } from '../../core/reconcile/operations.js';
import type { Progress, ProgressTarget } from './progress.js';
import { stepText } from './step-text.js';

interface GroupState {
  remaining: Set<string>;
  failed?: Error;
  finish?: () => void;
  task?: ListrTaskWrapper<unknown, never, never>;
  lastDone?: string;
}

export function ttyProgress(target: ProgressTarget): Progress {
  const runs: Promise<unknown>[] = [];
  const groups = new Map<string, GroupState>();
  const groupOfStep = new Map<string, string>();
  const c = target.color;

  const settle = (g: GroupState) => {
    if (g.remaining.size === 0) g.finish?.();
  };

  return {
    plan(plan: Plan) {
      const round = new Map<string, GroupState>();
      for (const step of plan.steps) {
        const group = stepText(step.op).group;
        groupOfStep.set(step.id, group);
        const g = round.get(group) ?? { remaining: new Set<string>() };
        g.remaining.add(step.id);
        round.set(group, g);
        groups.set(group, g);
      }
      if (round.size === 0) return;
      const list = new Listr(
        [...round.entries()].map(([name, g]) => ({
          title: name,
          task: (_ctx: unknown, task: ListrTaskWrapper<unknown, never, never>) =>
            new Promise<void>((resolve, reject) => {
              g.task = task;
              g.finish = () => {
                if (g.failed) reject(g.failed);
                else {
                  task.title = `${name}  ${c.dim(g.lastDone ?? 'done')}`;
                  resolve();
                }
              };
              settle(g);
            }),
        })),
        { concurrent: true, exitOnError: false },
      );
      runs.push(list.run().catch(() => undefined));
    },
    event(e) {
      if (e.type === 'warning') {
        target.write(`${c.yellow('!')} ${e.message}\n`);
        return;
      }
      if (!('stepId' in e)) return;
      const g = groups.get(groupOfStep.get(e.stepId) ?? '');
      if (!g) return;
      const t = stepText(e.op);
      if (e.type === 'step-start') {
        if (g.task) g.task.title = `${t.group}  ${t.doing} ${t.subject.replace(/^\w+ /, '')}`;
        return;
      }
      if (e.type === 'step-failed' && !g.failed) g.failed = new Error(`${t.subject}: ${e.error.message}`);
      if (e.type === 'step-skipped' && !g.failed) g.failed = new Error(`${t.subject} skipped: ${e.reason}`);
      if (e.type === 'step-done') g.lastDone = t.done;
      g.remaining.delete(e.stepId);
      settle(g);
    },
    async close() {
      for (const g of groups.values()) {
        if (g.remaining.size > 0) {
          g.remaining.clear();
          g.failed ??= new Error('interrupted');
          g.finish?.();
        }
      }
      await Promise.all(runs);
    },
  };
}
