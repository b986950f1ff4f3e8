import { describe, expect, it } from 'vitest';
import { ConnectionBudget, forwardLimits, openFilesLimit } from '../../src/runtime/native/engine/forward-budget.js';

const limits = (soft: string, hard: string) =>
  `Limit                     Soft Limit           Hard Limit           Units     \nMax open files            ${soft}                ${hard}                files     \n`;

describe('port forwarding limits', () => {
  it('caps connections at 512, or a quarter of the open-files limit when that is lower', () => {
    expect(forwardLimits({}, limits('1048576', '1048576'))).toEqual({ maxConnections: 512, idleMs: 15 * 60_000 });
    expect(forwardLimits({}, limits('1024', '1024')).maxConnections).toBe(256);
    expect(forwardLimits({}, limits('16', '16')).maxConnections).toBe(8);
    expect(forwardLimits({}, '').maxConnections).toBe(512);
    expect(openFilesLimit(limits('unlimited', 'unlimited'))).toBeUndefined();
  });

  it('takes the numbers from TUG_FORWARD_MAX_CONNECTIONS and TUG_FORWARD_IDLE_MS, ignoring nonsense', () => {
    expect(forwardLimits({ TUG_FORWARD_MAX_CONNECTIONS: '20', TUG_FORWARD_IDLE_MS: '500' }, '')).toEqual({ maxConnections: 20, idleMs: 500 });
    expect(forwardLimits({ TUG_FORWARD_MAX_CONNECTIONS: '-1', TUG_FORWARD_IDLE_MS: 'soon' }, '')).toEqual({ maxConnections: 512, idleMs: 15 * 60_000 });
  });

  it('refuses past the cap, says so at most once a minute, and gives slots back', () => {
    const said: string[] = [];
    const budget = new ConnectionBudget({ maxConnections: 2, idleMs: 1_000 }, (m) => said.push(m));
    expect([budget.take(), budget.take(), budget.take(), budget.take()]).toEqual([true, true, false, false]);
    expect(said).toHaveLength(1);
    budget.give();
    expect(budget.take()).toBe(true);
    expect(budget.inUse).toBe(2);
  });
});
