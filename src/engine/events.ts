// Typed progress events the engine emits while it executes a plan. Rendering
// them (listr2, plain lines, JSON) is the CLI's business.
import type { Operation } from '../core/reconcile/operations.js';

export type EngineEvent =
  | { type: 'step-start'; stepId: string; op: Operation; time: number }
  | { type: 'step-done'; stepId: string; op: Operation; time: number }
  | { type: 'step-failed'; stepId: string; op: Operation; error: Error; time: number }
  | { type: 'step-skipped'; stepId: string; op: Operation; reason: string; time: number }
  | { type: 'waiting'; service: string; dependency: string; condition: string; time: number }
  | { type: 'warning'; message: string; time: number }
  | { type: 'converge-round'; round: number; steps: number; time: number }
  | { type: 'up-to-date'; time: number };

export type EventSink = (event: EngineEvent) => void;
