// What every engine verb gets: the backend it drives, how many operations may
// run at once, the caller's environment (never process.env: the API and the
// CLI pass it in), and where to report.
import type { RuntimeBackend } from '../runtime/backend.js';
import { stamp, type EngineHooks, type EventInit } from './events.js';

export interface EngineContext {
  backend: RuntimeBackend;
  /** Most backend operations in flight at once. */
  parallel: number;
  /** The caller's environment: COMPOSE_IGNORE_ORPHANS, variables `exec -e KEY` passes through. */
  env: Readonly<Record<string, string | undefined>>;
  hooks: EngineHooks;
  tugVersion: string;
}

/** Releases the backend's connections when the command is over; what runs keeps running. */
export function closeEngine(ctx: EngineContext): Promise<void> {
  return ctx.backend.close();
}

export function emit(ctx: EngineContext, event: EventInit): void {
  ctx.hooks.event(stamp(event));
}

export function warnOf(ctx: EngineContext): (message: string) => void {
  return (message) => emit(ctx, { type: 'warning', message });
}
