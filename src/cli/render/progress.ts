// Renders engine events: a live per-service view with listr2 on a terminal,
// plain lines otherwise, JSON lines for machines, or nothing. The engine only
// emits events; this is the one place that decides how they look.
import type { Plan } from '../../core/reconcile/operations.js';
import type { EngineEvent } from '../../engine/events.js';
import type { Chalk } from './colors.js';
import { stepText } from './step-text.js';

export type ProgressMode = 'auto' | 'tty' | 'plain' | 'json' | 'quiet';

export interface Progress {
  /** A new plan is about to run (one per converge round). */
  plan(plan: Plan): void;
  event(event: EngineEvent): void;
  /** Wait for the renderer to finish drawing. */
  close(): Promise<void>;
}

export interface ProgressTarget {
  write(text: string): void;
  isTTY: boolean;
  color: Chalk;
}

export function resolveMode(mode: ProgressMode, isTTY: boolean): Exclude<ProgressMode, 'auto'> {
  if (mode !== 'auto') return mode;
  return isTTY ? 'tty' : 'plain';
}

/** How plan progress is drawn in this mode; the live (listr2) view is loaded only on a terminal. */
export async function progressFactory(mode: Exclude<ProgressMode, 'auto'>): Promise<(target: ProgressTarget) => Progress> {
  if (mode === 'quiet') return () => ({ plan() {}, event() {}, close: async () => {} });
  if (mode === 'json') return jsonProgress;
  if (mode === 'tty') return (await import('./progress-tty.js')).ttyProgress;
  return plainProgress;
}

function jsonProgress(target: ProgressTarget): Progress {
  return {
    plan() {},
    event(e) {
      const base = { type: e.type, time: new Date(e.time).toISOString() };
      const extra =
        'op' in e
          ? { step: e.stepId, kind: e.op.kind, subject: stepText(e.op).subject, ...('error' in e ? { error: e.error.message } : {}), ...('reason' in e ? { reason: e.reason } : {}) }
          : Object.fromEntries(Object.entries(e).filter(([k]) => k !== 'type' && k !== 'time'));
      target.write(JSON.stringify({ ...base, ...extra }) + '\n');
    },
    close: async () => {},
  };
}

function plainProgress(target: ProgressTarget): Progress {
  const c = target.color;
  const started = new Map<string, number>();
  return {
    plan() {},
    event(e) {
      switch (e.type) {
        case 'step-start':
          started.set(e.stepId, e.time);
          if (e.op.kind === 'await-dependency') {
            const t = stepText(e.op);
            target.write(`${c.dim('…')} ${t.subject}: ${t.doing}\n`);
          }
          return;
        case 'step-done': {
          const t = stepText(e.op);
          const secs = ((e.time - (started.get(e.stepId) ?? e.time)) / 1000).toFixed(1);
          target.write(`${c.green('✔')} ${t.subject}  ${t.done}  ${c.dim(`${secs}s`)}\n`);
          return;
        }
        case 'step-failed':
          target.write(`${c.red('✘')} ${stepText(e.op).subject}  ${c.red(e.error.message)}\n`);
          return;
        case 'step-skipped':
          target.write(`${c.yellow('-')} ${stepText(e.op).subject}  skipped: ${e.reason}\n`);
          return;
        case 'warning':
          target.write(`${c.yellow('!')} ${e.message}\n`);
          return;
        case 'up-to-date':
          target.write(`${c.green('✔')} Everything is up to date; nothing to do\n`);
          return;
        default:
          return;
      }
    },
    close: async () => {},
  };
}
