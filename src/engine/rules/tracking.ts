/**
 * The tracker's go/no-go decisions: whether a session may start or must stop, and idle stop.
 * One function so start and every slot boundary apply the same rules in the same order.
 */
import type { Contract } from './contracts.js';
import { gateContract, type GateReason } from './contracts.js';
import { appVisibleLimit, remainingWeeklyMinutes } from './limits.js';
import { MINUTE_MS } from './time.js';

export type RefusalReason =
  GateReason | 'store-degraded' | 'cache-full' | 'memo-required' | 'weekly-limit' | 'unknown-contract';

export type TrackDecision = { ok: true } | { ok: false; reason: RefusalReason; message: string };

export interface TrackInput {
  contract: Contract | undefined;
  now: number;
  memo: string;
  pendingMinutes: number;
  capacityMinutes: number;
  degraded: boolean;
  /** Minutes already logged on this contract this week (for the weekly limit). */
  weekUsedMinutes: number;
  settings: {
    trackFixedPrice: boolean;
    requireMemo: boolean;
    refreshLagMs: number;
    stopAtWeeklyLimit: boolean;
  };
}

export function decideTracking(i: TrackInput): TrackDecision {
  if (i.degraded) {
    return {
      ok: false,
      reason: 'store-degraded',
      message: 'The time cache has a damaged file (quarantined); tracking is paused until it is repaired.',
    };
  }
  // A full cache blocks logging on every contract, before any contract-specific rule.
  if (i.pendingMinutes >= i.capacityMinutes) {
    return {
      ok: false,
      reason: 'cache-full',
      message: `The time cache is full (${i.pendingMinutes} of ${i.capacityMinutes} minutes); connect to upload it.`,
    };
  }
  if (i.contract === undefined)
    return { ok: false, reason: 'unknown-contract', message: 'No such contract.' };
  const gate = gateContract(i.contract, i.now, i.settings);
  if (!gate.ok) return gate;
  if (i.settings.requireMemo && i.memo.trim() === '') {
    return { ok: false, reason: 'memo-required', message: 'A memo is required to start tracking.' };
  }
  if (i.settings.stopAtWeeklyLimit && i.contract.type === 'hourly') {
    const limit = appVisibleLimit(i.contract.limitHistory, i.now, i.settings.refreshLagMs);
    if (remainingWeeklyMinutes(limit, i.weekUsedMinutes) <= 0) {
      return {
        ok: false,
        reason: 'weekly-limit',
        message: `The weekly limit of ${limit} hours is reached for "${i.contract.title}".`,
      };
    }
  }
  return { ok: true };
}

/** Idle stop: `idleStopMinutes` whole minutes without any input since the last input. */
export function idleStopAt(lastInputAt: number, idleStopMinutes: number): number {
  return lastInputAt + idleStopMinutes * MINUTE_MS;
}

export function isIdleStopDue(lastInputAt: number, now: number, idleStopMinutes: number): boolean {
  return now >= idleStopAt(lastInputAt, idleStopMinutes);
}

/** Cache level for status lines: pending out of capacity, rounded down. */
export function cacheLevelPercent(pendingMinutes: number, capacityMinutes: number): number {
  if (capacityMinutes <= 0) return 100;
  return Math.floor((pendingMinutes * 100) / capacityMinutes);
}
