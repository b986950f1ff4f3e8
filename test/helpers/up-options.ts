// The options `tug up` plans with by default, for planner tests.
import type { ReconcileOptions } from '../../src/core/reconcile/reconcile.js';

export const UP_OPTIONS: ReconcileOptions = {
  recreate: 'diverged',
  recreateDependencies: 'diverged',
  removeOrphans: false,
  start: true,
  startExited: true,
  tugVersion: '0.1.0',
};
