/**
 * UTC time arithmetic of the tracker: 10-minute slots, Monday-to-Sunday weeks and the Monday-noon
 * lock. Everything is an integer of UTC milliseconds and plain division, never Date's local-time
 * getters, so the results cannot depend on the machine's time zone (a freelancer in Kolkata and
 * one in New York must bill the same slots).
 */
import { DAY_MS, LOCK_AFTER_WEEK_END_MS, MINUTE_MS, MONDAY0_MS, SLOT_MS, WEEK_MS } from '../protocol.js';

export { DAY_MS, MINUTE_MS, MONDAY0_MS, SLOT_MS, WEEK_MS };
export const LOCK_DELAY_MS = LOCK_AFTER_WEEK_END_MS;
export const MINUTES_PER_SLOT = 10;

function floorDiv(a: number, b: number): number {
  return Math.floor(a / b);
}

export function slotIndex(t: number): number {
  return floorDiv(t, SLOT_MS);
}

export function slotStart(slot: number): number {
  return slot * SLOT_MS;
}

export function slotEnd(slot: number): number {
  return (slot + 1) * SLOT_MS;
}

/** Minute 0..9 of its slot. */
export function minuteOfSlot(t: number): number {
  return floorDiv(t - slotStart(slotIndex(t)), MINUTE_MS);
}

export function utcMidnight(t: number): number {
  return floorDiv(t, DAY_MS) * DAY_MS;
}

/** Monday 00:00 UTC at or before t. */
export function weekStart(t: number): number {
  return MONDAY0_MS + floorDiv(t - MONDAY0_MS, WEEK_MS) * WEEK_MS;
}

/** Exclusive end of t's week: the next Monday 00:00 UTC. */
export function weekEnd(t: number): number {
  return weekStart(t) + WEEK_MS;
}

/** The instant t's week's Work Diary locks: Monday 12:00 UTC after the week ends. */
export function weekLock(t: number): number {
  return weekEnd(t) + LOCK_DELAY_MS;
}

/** True when the week holding instant `t` can no longer be changed at `now`. */
export function isWeekLocked(t: number, now: number): boolean {
  return now >= weekLock(t);
}

/** ISO date of the week's Monday, e.g. "2025-01-06". */
export function weekId(t: number): string {
  return new Date(weekStart(t)).toISOString().slice(0, 10);
}

export function isSlotAligned(t: number): boolean {
  return t % SLOT_MS === 0;
}
