/**
 * Deleting a screenshot deletes its whole segment: the time, the activity and the screenshot go
 * together, and the client is not billed for it. Allowed until the week locks (Monday 12:00 UTC)
 * and never on an ended contract, whose diary is closed.
 */
import type { ContractStatus } from '../protocol.js';
import { activityTotals } from './activity.js';
import { creditedMinutes, keyOf, type Segment } from './segments.js';
import { slotStart, weekLock } from './time.js';

export type DeleteDecision =
  { ok: true } | { ok: false; reason: 'week-locked' | 'contract-ended'; message: string };

export function decideDelete(slot: number, now: number, contractStatus: ContractStatus): DeleteDecision {
  if (contractStatus === 'ended') {
    return {
      ok: false,
      reason: 'contract-ended',
      message: 'The contract has ended; its Work Diary is closed.',
    };
  }
  if (now >= weekLock(slotStart(slot))) {
    return {
      ok: false,
      reason: 'week-locked',
      message: 'That week is locked (Monday 12:00 UTC); its diary cannot change.',
    };
  }
  return { ok: true };
}

/** The ledger after deleting one segment's screenshot: the segment is gone entirely. */
export function deleteScreenshot(segments: readonly Segment[], key: string): Segment[] {
  return segments.filter((s) => keyOf(s) !== key);
}

export interface LedgerTotals {
  segments: number;
  minutes: number;
  activeMinutes: number;
  keys: number;
  clicks: number;
  scrolls: number;
  screenshots: number;
}

export function ledgerTotals(segments: readonly Segment[]): LedgerTotals {
  const t: LedgerTotals = {
    segments: 0,
    minutes: 0,
    activeMinutes: 0,
    keys: 0,
    clicks: 0,
    scrolls: 0,
    screenshots: 0,
  };
  for (const s of segments) {
    const a = activityTotals(s.minutes);
    t.segments += 1;
    t.minutes += creditedMinutes(s);
    t.activeMinutes += s.activeMinutes;
    t.keys += a.keys;
    t.clicks += a.clicks;
    t.scrolls += a.scrolls;
    t.screenshots += s.screenshot ? 1 : 0;
  }
  return t;
}
