/**
 * The work-diary server's state and its billing decisions, with no I/O: contracts, accepted
 * segments, the live cursor per freelancer. The HTTP layer journals the records this module
 * produces and replays them through `apply` on start, so a decision made once is remembered the
 * same way after a restart.
 *
 * Per-item validation follows research tracker-engine.md §3.6.4, in order: shape → blob →
 * duplicate (same fingerprint = the original receipt, never billed twice) → week lock → future →
 * contract gating → device conflict → accept.
 */
import {
  canonicalJson,
  creditedMinutes,
  segmentKey,
  SLOT_MS,
  slotIndexOf,
  type AdminContractPatch,
  type DiarySegment,
  type DiaryView,
  type ItemResult,
  type RejectionCode,
  type WireContract,
  type WireSegment,
} from '../protocol.js';
import { contractOpensAt, contractStatusAt, isBillableContract } from '../rules/contracts.js';
import { effectiveWeeklyLimit, splitWeekBilling } from '../rules/limits.js';
import { validateSegment } from '../rules/segments.js';
import { utcMidnight, weekEnd, weekId, weekLock, weekStart } from '../rules/time.js';

export interface ServerSettings {
  /** "live-cursor": a cached segment older than another device's live logging is refused (§3.6.5). */
  deviceConflictRule: 'live-cursor' | 'off';
  /** A segment this close to server time (in slots) counts as live logging. */
  liveWindowSlots: number;
  /** How far a segment's end may lie ahead of server time before it is a FUTURE_SEGMENT. */
  futureToleranceMs: number;
}

export const DEFAULT_SERVER_SETTINGS: ServerSettings = {
  deviceConflictRule: 'live-cursor',
  liveWindowSlots: 2,
  futureToleranceMs: 10 * 60_000,
};

export interface LiveCursor {
  deviceId: string;
  fromSlot: number;
}

export interface StoredSegment {
  key: string;
  freelancerId: string;
  seg: WireSegment;
  receiptId: string;
  acceptedAt: number;
  deleted: boolean;
}

export type ServerRecord =
  | { t: 'CONTRACT'; at: number; contract: WireContract }
  | {
      t: 'ACCEPT';
      at: number;
      freelancerId: string;
      receiptId: string;
      seg: WireSegment;
      cursor?: LiveCursor;
    }
  | { t: 'DELETE'; at: number; key: string }
  | { t: 'LIVE'; at: number; freelancerId: string; cursor: LiveCursor };

export type ItemDecision =
  | { kind: 'accept'; record: Extract<ServerRecord, { t: 'ACCEPT' }> }
  | { kind: 'duplicate'; stored: StoredSegment }
  | { kind: 'rejected'; code: RejectionCode; message: string };

function isInt(v: unknown, min = 0): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= min;
}

/**
 * Shape and internal consistency of one segment; returns the problem, or undefined when sound.
 * The segment's own invariants are the rules core's (validateSegment), so tracker and server can
 * never disagree about what a well-formed segment is; the server adds what only it can check.
 */
export function segmentProblem(seg: unknown, deviceId: string): string | undefined {
  if (typeof seg !== 'object' || seg === null || Array.isArray(seg)) return 'not an object';
  const s = seg as Partial<WireSegment>;
  if (typeof s.contractId !== 'string' || s.contractId === '' || s.contractId.length > 200)
    return 'bad contractId';
  if (!isInt(s.slot)) return 'bad slot';
  if (!isInt(s.trackedFrom) || !isInt(s.trackedTo)) return 'bad tracked range';
  if (!Array.isArray(s.minutes)) return 'minutes must be a list';
  if (
    s.screenshot !== null &&
    (typeof s.screenshot !== 'object' || s.screenshot === undefined || !isInt(s.screenshot.takenAt))
  ) {
    return 'bad screenshot';
  }
  if (typeof s.memo !== 'string' || s.memo.length > 2000) return 'bad memo';
  if (s.activity !== null && typeof s.activity !== 'string') return 'bad activity';
  if (s.deviceId !== deviceId) return 'segment deviceId differs from the request';
  if (!isInt(s.seq)) return 'bad seq';
  if (typeof s.fingerprint !== 'string') return 'fingerprint missing';
  let problems: string[];
  try {
    problems = validateSegment(s as WireSegment);
  } catch {
    return 'malformed segment';
  }
  return problems.length > 0 ? problems.join('; ') : undefined;
}

export class DiaryState {
  readonly contracts = new Map<string, WireContract>();
  readonly segments = new Map<string, StoredSegment>();
  readonly live = new Map<string, LiveCursor>();
  private receipts = 0;

  constructor(readonly settings: ServerSettings = DEFAULT_SERVER_SETTINGS) {}

  apply(r: ServerRecord): void {
    switch (r.t) {
      case 'CONTRACT':
        this.contracts.set(r.contract.id, r.contract);
        break;
      case 'ACCEPT': {
        const key = segmentKey(r.freelancerId, r.seg.contractId, r.seg.slot);
        this.segments.set(key, {
          key,
          freelancerId: r.freelancerId,
          seg: r.seg,
          receiptId: r.receiptId,
          acceptedAt: r.at,
          deleted: false,
        });
        this.receipts++;
        if (r.cursor) this.live.set(r.freelancerId, r.cursor);
        break;
      }
      case 'DELETE': {
        const s = this.segments.get(r.key);
        if (s) s.deleted = true;
        break;
      }
      case 'LIVE':
        this.live.set(r.freelancerId, r.cursor);
        break;
    }
  }

  /** Build the record for a contract change made through the admin API. */
  contractRecord(
    id: string,
    patch: AdminContractPatch,
    now: number,
  ): Extract<ServerRecord, { t: 'CONTRACT' }> {
    const at = patch.at ?? now;
    const prev = this.contracts.get(id);
    const status = patch.status ?? prev?.status ?? 'active';
    const limit =
      patch.weeklyLimitHours !== undefined ? patch.weeklyLimitHours : (prev?.weeklyLimitHours ?? null);
    const statusHistory = [...(prev?.statusHistory ?? [])];
    if (!prev || patch.status !== undefined) statusHistory.push({ at, status });
    const limitHistory = [...(prev?.limitHistory ?? [])];
    if (!prev || patch.weeklyLimitHours !== undefined) limitHistory.push({ at, hours: limit });
    statusHistory.sort((a, b) => a.at - b.at);
    limitHistory.sort((a, b) => a.at - b.at);
    const contract: WireContract = {
      id,
      title: patch.title ?? prev?.title ?? id,
      client: patch.client ?? prev?.client ?? 'Reference client',
      type: patch.type ?? prev?.type ?? 'hourly',
      status,
      statusHistory,
      startDate: utcMidnight(patch.startDate ?? prev?.startDate ?? now),
      weeklyLimitHours: limit,
      limitHistory,
      manualTimeAllowed: patch.manualTimeAllowed ?? prev?.manualTimeAllowed ?? false,
      activityRequired: patch.activityRequired ?? prev?.activityRequired ?? false,
      activities: patch.activities ?? prev?.activities ?? [],
    };
    return { t: 'CONTRACT', at: now, contract };
  }

  /** The contract list as the tracker sees it at `now`: current status and limit. */
  contractsAt(now: number): WireContract[] {
    return [...this.contracts.values()]
      .map((c) => ({
        ...c,
        status: contractStatusAt(c, now),
        weeklyLimitHours: c.type === 'fixed' ? null : effectiveWeeklyLimit(c.limitHistory, now, now),
      }))
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /**
   * Decide one item. `conflict` is an extra live cursor forced by the deviceConflict fault (another
   * device logging right now).
   */
  decide(
    freelancerId: string,
    deviceId: string,
    seg: WireSegment,
    now: number,
    hasBlob: (sha256: string) => boolean,
    conflict?: LiveCursor,
  ): ItemDecision {
    const problem = segmentProblem(seg, deviceId);
    if (problem) return { kind: 'rejected', code: 'INVALID', message: problem };
    if (seg.screenshot && !hasBlob(seg.screenshot.sha256)) {
      return { kind: 'rejected', code: 'MISSING_BLOB', message: 'upload the screenshot first' };
    }
    const key = segmentKey(freelancerId, seg.contractId, seg.slot);
    const stored = this.segments.get(key);
    if (stored) {
      if (stored.seg.fingerprint === seg.fingerprint) return { kind: 'duplicate', stored };
      return {
        kind: 'rejected',
        code: 'SLOT_CONFLICT',
        message: 'this 10-minute slot already holds different time for this contract',
      };
    }
    const slotStart = seg.slot * SLOT_MS;
    if (now >= weekLock(slotStart)) {
      return {
        kind: 'rejected',
        code: 'WEEK_LOCKED',
        message: `the Work Diary for the week of ${weekId(slotStart)} locked at ${new Date(weekLock(slotStart)).toISOString()}`,
      };
    }
    if (seg.trackedTo > now + this.settings.futureToleranceMs) {
      return {
        kind: 'rejected',
        code: 'FUTURE_SEGMENT',
        message: 'the segment ends in the future by server time',
      };
    }
    const contract = this.contracts.get(seg.contractId);
    if (!contract) return { kind: 'rejected', code: 'CONTRACT_NOT_ACTIVE', message: 'no such contract' };
    if (slotStart < contractOpensAt(contract)) {
      return {
        kind: 'rejected',
        code: 'CONTRACT_NOT_STARTED',
        message: `the contract starts on ${new Date(contractOpensAt(contract)).toISOString().slice(0, 10)} at 00:00 UTC`,
      };
    }
    const status = contractStatusAt(contract, slotStart);
    if (status !== 'active') {
      return {
        kind: 'rejected',
        code: 'CONTRACT_NOT_ACTIVE',
        message: `the contract was ${status} at that time`,
      };
    }
    if (seg.kind === 'manual' && !contract.manualTimeAllowed) {
      return { kind: 'rejected', code: 'INVALID', message: 'manual time is not allowed on this contract' };
    }
    if (this.settings.deviceConflictRule === 'live-cursor') {
      for (const cursor of [conflict, this.live.get(freelancerId)]) {
        if (cursor && cursor.deviceId !== deviceId && seg.slot < cursor.fromSlot) {
          return {
            kind: 'rejected',
            code: 'DEVICE_CONFLICT',
            message: 'another computer logged time on this account while this time was cached',
          };
        }
      }
    }
    const isLive = seg.slot >= slotIndexOf(now) - this.settings.liveWindowSlots;
    const current = this.live.get(freelancerId);
    const cursor =
      isLive && (!current || current.deviceId !== deviceId) ? { deviceId, fromSlot: seg.slot } : undefined;
    return {
      kind: 'accept',
      record: {
        t: 'ACCEPT',
        at: now,
        freelancerId,
        receiptId: `r-${String(this.receipts + 1).padStart(8, '0')}-${seg.fingerprint.slice(0, 8)}`,
        seg,
        ...(cursor ? { cursor } : {}),
      },
    };
  }

  /** Billed minutes of every live segment of a contract's week holding `t` (for `freelancerId`). */
  weekBilling(freelancerId: string, contractId: string, t: number, now: number) {
    const contract = this.contracts.get(contractId);
    const w = weekStart(t);
    const wEnd = weekEnd(t);
    const segs = [...this.segments.values()].filter(
      (s) =>
        !s.deleted &&
        s.freelancerId === freelancerId &&
        s.seg.contractId === contractId &&
        s.seg.slot * SLOT_MS >= w &&
        s.seg.slot * SLOT_MS < wEnd,
    );
    const limit =
      contract && contract.type === 'hourly' ? effectiveWeeklyLimit(contract.limitHistory, w, now) : null;
    const billed = splitWeekBilling(
      segs.map((s) => ({ key: s.key, slot: s.seg.slot, minutes: creditedMinutes(s.seg) })),
      limit,
      contract ? isBillableContract(contract) : false,
    );
    return { limit, segs, billed: new Map(billed.map((b) => [b.key, b])) };
  }

  resultFor(stored: StoredSegment, status: 'accepted' | 'duplicate', now: number): ItemResult {
    const { billed } = this.weekBilling(
      stored.freelancerId,
      stored.seg.contractId,
      stored.seg.slot * SLOT_MS,
      now,
    );
    const b = billed.get(stored.key);
    const billableMinutes = stored.deleted ? 0 : (b?.billableMinutes ?? 0);
    const overLimitMinutes = stored.deleted ? 0 : (b?.overLimitMinutes ?? 0);
    return {
      contractId: stored.seg.contractId,
      slot: stored.seg.slot,
      status,
      receiptId: stored.receiptId,
      acceptedAt: stored.acceptedAt,
      minutes: creditedMinutes(stored.seg),
      billableMinutes,
      overLimitMinutes,
      billable: billableMinutes > 0,
      overLimit: overLimitMinutes > 0,
    };
  }

  diary(
    freelancerId: string,
    contractId: string,
    weekStartMs: number,
    now: number,
  ): Omit<DiaryView, 'serverTime'> {
    const { limit, segs, billed } = this.weekBilling(freelancerId, contractId, weekStartMs, now);
    const segments: DiarySegment[] = segs
      .sort((a, b) => a.seg.slot - b.seg.slot)
      .map((s) => {
        const b = billed.get(s.key);
        const billableMinutes = b?.billableMinutes ?? 0;
        const overLimitMinutes = b?.overLimitMinutes ?? 0;
        return {
          slot: s.seg.slot,
          slotStart: s.seg.slot * SLOT_MS,
          kind: s.seg.kind,
          minutes: creditedMinutes(s.seg),
          activeMinutes: s.seg.activeMinutes,
          memo: s.seg.memo,
          activity: s.seg.activity,
          screenshot: s.seg.screenshot,
          deviceId: s.seg.deviceId,
          receiptId: s.receiptId,
          acceptedAt: s.acceptedAt,
          billableMinutes,
          overLimitMinutes,
          billable: billableMinutes > 0,
          overLimit: overLimitMinutes > 0,
        };
      });
    const sum = (f: (d: DiarySegment) => number) => segments.reduce((n, d) => n + f(d), 0);
    return {
      contractId,
      week: weekId(weekStartMs),
      weekStart: weekStart(weekStartMs),
      weekEnd: weekEnd(weekStartMs),
      lockAt: weekLock(weekStartMs),
      locked: now >= weekLock(weekStartMs),
      effectiveLimitHours: limit,
      segments,
      totals: {
        segments: segments.length,
        trackedMinutes: sum((d) => d.minutes),
        billableMinutes: sum((d) => d.billableMinutes),
        overLimitMinutes: sum((d) => d.overLimitMinutes),
        manualMinutes: sum((d) => (d.kind === 'manual' ? d.minutes : 0)),
      },
    };
  }

  /** Whether a delete of (contract, slot) may happen at `now`: before the lock, contract not ended. */
  deleteProblem(stored: StoredSegment | undefined, now: number): RejectionCode | undefined {
    if (!stored) return undefined;
    if (now >= weekLock(stored.seg.slot * SLOT_MS)) return 'WEEK_LOCKED';
    const c = this.contracts.get(stored.seg.contractId);
    if (!c || contractStatusAt(c, now) === 'ended') return 'CONTRACT_NOT_ACTIVE';
    return undefined;
  }

  /** Stable digest of everything billed, to compare two states (e.g. before and after a restart). */
  digest(): string {
    const rows = [...this.segments.values()]
      .map((s) => [s.key, s.seg.fingerprint, s.receiptId, s.deleted])
      .sort((a, b) => (String(a[0]) < String(b[0]) ? -1 : 1));
    return canonicalJson(rows);
  }
}
