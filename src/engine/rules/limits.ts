/**
 * Weekly hours limit arithmetic. The client can raise or lower a contract's weekly limit: an
 * increase applies to the current week at once (time already logged counts against the new limit),
 * a decrease only from the next Monday 00:00 UTC, null means no limit. The app sees a change only
 * after its contract list refreshes (refreshLagMs), which is why a freelancer can be told the limit
 * was raised while the tracker still refuses to log.
 */
import type { LimitChange } from '../protocol.js';
import { WEEK_MS, weekStart } from './time.js';

export type { LimitChange };

function isIncrease(current: number | null, next: number | null): boolean {
  if (current === null) return false;
  return next === null || next > current;
}

/**
 * The limit that governs the week holding instant `t`, counting only changes made at or before
 * `asOf` (default: all). Changes made before the week start set the base; inside the week an
 * increase applies at once and a decrease waits for the next week.
 */
export function effectiveWeeklyLimit(
  history: readonly LimitChange[],
  t: number,
  asOf = Infinity,
): number | null {
  const w = weekStart(t);
  const wEnd = w + WEEK_MS;
  const known = history.filter((c) => c.at <= asOf).sort((a, b) => a.at - b.at);
  let current: number | null | undefined;
  for (const c of known) {
    if (c.at < w) current = c.hours;
  }
  for (const c of known) {
    if (c.at < w || c.at >= wEnd) continue;
    // The first limit ever set (a contract created this week) applies as it stands.
    if (current === undefined || isIncrease(current, c.hours)) current = c.hours;
  }
  return current ?? null;
}

/** What the tracker believes at `now`: its contract list lags the server by refreshLagMs. */
export function appVisibleLimit(
  history: readonly LimitChange[],
  now: number,
  refreshLagMs: number,
): number | null {
  return effectiveWeeklyLimit(history, now, now - Math.max(0, refreshLagMs));
}

/** Minutes still loggable within the limit this week (Infinity without a limit). */
export function remainingWeeklyMinutes(limitHours: number | null, usedMinutes: number): number {
  if (limitHours === null) return Infinity;
  return Math.max(0, Math.round(limitHours * 60) - usedMinutes);
}

export interface BillingEntry {
  key: string;
  slot: number;
  minutes: number;
}

export interface BilledEntry extends BillingEntry {
  billableMinutes: number;
  overLimitMinutes: number;
}

/**
 * Split a week's credited minutes into billable and over-limit, in slot order: the earliest time
 * fills the limit first. Over-limit time stays logged (the diary shows it in its own colour) but
 * is not billed. Non-billable contracts (fixed-price) get 0 billable minutes.
 */
export function splitWeekBilling(
  entries: readonly BillingEntry[],
  limitHours: number | null,
  billable = true,
): BilledEntry[] {
  const sorted = [...entries].sort((a, b) => a.slot - b.slot || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  let room = limitHours === null ? Infinity : Math.round(limitHours * 60);
  return sorted.map((e) => {
    if (!billable) return { ...e, billableMinutes: 0, overLimitMinutes: 0 };
    const b = Math.max(0, Math.min(e.minutes, room));
    room -= b;
    return { ...e, billableMinutes: b, overLimitMinutes: e.minutes - b };
  });
}
