/**
 * Contract gating: which contracts the tracker may log time to. Only active contracts can be
 * tracked; paused, ended and not-yet-started ones cannot, and a future start date opens at
 * 00:00 UTC of that date (not local midnight). Fixed-price contracts are tracked only when the
 * setting is on, and are never billable.
 */
import type { ContractStatus, WireContract } from '../protocol.js';
import { utcMidnight } from './time.js';

export type Contract = WireContract;

export type GateReason = 'paused' | 'ended' | 'not-started' | 'fixed-price-off';

export type Gate = { ok: true } | { ok: false; reason: GateReason; message: string };

/** Status in force at instant t: the last change at or before t, else the contract's current status. */
export function contractStatusAt(
  contract: Pick<Contract, 'status' | 'statusHistory'>,
  t: number,
): ContractStatus {
  let found: ContractStatus | undefined;
  let first: ContractStatus | undefined;
  for (const change of contract.statusHistory ?? []) {
    if (first === undefined) first = change.status;
    if (change.at <= t) found = change.status;
  }
  // Before the first recorded change the contract was in its initial (first recorded) status.
  return found ?? first ?? contract.status;
}

/** The instant a contract opens: 00:00 UTC of its start date. */
export function contractOpensAt(contract: Pick<Contract, 'startDate'>): number {
  return utcMidnight(contract.startDate);
}

export function isBillableContract(contract: Pick<Contract, 'type'>): boolean {
  return contract.type === 'hourly';
}

export function gateContract(
  contract: Pick<Contract, 'title' | 'status' | 'statusHistory' | 'startDate' | 'type'>,
  t: number,
  settings: { trackFixedPrice: boolean },
): Gate {
  const status = contractStatusAt(contract, t);
  if (status === 'ended') {
    return { ok: false, reason: 'ended', message: `The contract "${contract.title}" has ended.` };
  }
  if (status === 'paused') {
    return {
      ok: false,
      reason: 'paused',
      message: `The contract "${contract.title}" is paused by the client.`,
    };
  }
  const opens = contractOpensAt(contract);
  if (t < opens) {
    return {
      ok: false,
      reason: 'not-started',
      message: `The contract "${contract.title}" starts on ${new Date(opens).toISOString().slice(0, 10)} at 00:00 UTC.`,
    };
  }
  if (contract.type === 'fixed' && !settings.trackFixedPrice) {
    return {
      ok: false,
      reason: 'fixed-price-off',
      message: `The contract "${contract.title}" is fixed-price and tracking fixed-price contracts is off.`,
    };
  }
  return { ok: true };
}
