/**
 * One probe per endpoint per run: the clock and TLS collectors both need the service endpoint, and
 * a dead network must be found once, not once per check (DESIGN.md rule 5). Keyed by the run's
 * Context, so separate runs (and tests) never share results.
 */
import type { Context } from '../core/context.js';

const memo = new WeakMap<object, Map<string, Promise<unknown>>>();

export function memoised<T>(ctx: Context, key: string, fn: () => Promise<T>): Promise<T> {
  let m = memo.get(ctx);
  if (!m) {
    m = new Map();
    memo.set(ctx, m);
  }
  const hit = m.get(key);
  if (hit) return hit as Promise<T>;
  const p = fn();
  m.set(key, p);
  return p;
}
