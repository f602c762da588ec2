/**
 * Manual time: only where the client allows it, only in the current week and never in the future,
 * in whole 10-minute slots, and never over time the tracker already logged.
 */
import type { Contract } from './contracts.js';
import { gateContract } from './contracts.js';
import { SLOT_MS, isSlotAligned, slotIndex, weekStart } from './time.js';

export type ManualReason =
  | 'manual-not-allowed'
  | 'contract-not-active'
  | 'not-aligned'
  | 'empty-range'
  | 'future'
  | 'not-current-week'
  | 'overlap';

export type ManualDecision =
  { ok: true; slots: number[] } | { ok: false; reason: ManualReason; message: string };

export function validateManualTime(input: {
  contract: Contract;
  from: number;
  to: number;
  now: number;
  /** Slots of this contract that already hold time (auto or manual). */
  occupiedSlots: ReadonlySet<number>;
  trackFixedPrice: boolean;
}): ManualDecision {
  const { contract, from, to, now } = input;
  if (!contract.manualTimeAllowed) {
    return {
      ok: false,
      reason: 'manual-not-allowed',
      message: 'The client does not allow manual time on this contract.',
    };
  }
  if (!isSlotAligned(from) || !isSlotAligned(to)) {
    return { ok: false, reason: 'not-aligned', message: 'Manual time is added in whole 10-minute segments.' };
  }
  if (to <= from) return { ok: false, reason: 'empty-range', message: 'The range is empty.' };
  if (to > now) return { ok: false, reason: 'future', message: 'Manual time cannot be added in the future.' };
  if (from < weekStart(now)) {
    return {
      ok: false,
      reason: 'not-current-week',
      message: "Manual time can only be added in the current week's diary.",
    };
  }
  const slots: number[] = [];
  for (let t = from; t < to; t += SLOT_MS) {
    const gate = gateContract(contract, t, { trackFixedPrice: input.trackFixedPrice });
    if (!gate.ok) return { ok: false, reason: 'contract-not-active', message: gate.message };
    const s = slotIndex(t);
    if (input.occupiedSlots.has(s)) {
      return { ok: false, reason: 'overlap', message: 'Manual time would overwrite time already logged.' };
    }
    slots.push(s);
  }
  return { ok: true, slots };
}
