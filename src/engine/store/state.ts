/**
 * The cache's in-memory state and the pure function that applies one journal record to it.
 * Recovery is "snapshot, then apply every later record in order", so the same files always give
 * the same state, however many times they are replayed.
 */
import { canonicalJson, sha256Hex } from '../protocol.js';
import { creditedMinutes, keyOf, localKey, type Segment } from '../rules/segments.js';
import type { AckReceipt, Rejection, StoredSegment } from './types.js';

export type JournalRecord =
  | { t: 'SEAL'; seq: number; at: number; seg: Segment }
  | { t: 'ACK'; seq: number; at: number; key: string; receipt: AckReceipt }
  | { t: 'REJECT'; seq: number; at: number; key: string; rejection: Rejection }
  | { t: 'DELETE'; seq: number; at: number; key: string; reason: string }
  | { t: 'REMOTE_DELETE_ACK'; seq: number; at: number; key: string }
  | { t: 'SESSION_START'; seq: number; at: number; contractId: string; memo: string; activity: string | null }
  | { t: 'SESSION_STOP'; seq: number; at: number; contractId: string; reason: string }
  | {
      t: 'CLOCK_EVENT';
      seq: number;
      at: number;
      kind: ClockEventKind;
      contractId: string;
      wallDeltaMs: number;
      monoDeltaMs: number;
    }
  | { t: 'REPAIR'; seq: number; at: number; file: string; offset: number; bytesDropped: number; why: string };

/** A sleep or a wall-clock step seen while tracking (diagnostics: it changes no cached segment). */
export type ClockEventKind = 'suspend' | 'step-forward' | 'step-backward';

/** A record as the caller describes it; the store assigns seq and time. */
export type RecordInput = JournalRecord extends infer R
  ? R extends { seq: number; at: number }
    ? Omit<R, 'seq' | 'at'>
    : never
  : never;

export interface SessionInfo {
  contractId: string;
  memo: string;
  activity: string | null;
  startedAt: number;
  stoppedAt: number | null;
  stopReason: string | null;
}

export interface CacheState {
  seq: number;
  segments: Record<string, StoredSegment>;
  repairs: number;
  lastSession: SessionInfo | null;
}

export function emptyState(): CacheState {
  return { seq: 0, segments: {}, repairs: 0, lastSession: null };
}

export function isJournalRecord(r: unknown): r is JournalRecord {
  if (r === null || typeof r !== 'object') return false;
  const o = r as { t?: unknown; seq?: unknown; at?: unknown };
  return typeof o.t === 'string' && Number.isSafeInteger(o.seq) && typeof o.at === 'number';
}

/**
 * Apply one record. Records at or below the state's seq are already included (a snapshot taken
 * after them), so they are skipped: replay is idempotent.
 */
export function applyRecord(state: CacheState, r: JournalRecord): void {
  if (r.seq <= state.seq) return;
  state.seq = r.seq;
  const seg = (key: string): StoredSegment | undefined => state.segments[key];
  switch (r.t) {
    case 'SEAL': {
      const key = keyOf(r.seg);
      // One segment per contract and slot: the first seal wins, a later one is never merged in.
      if (!seg(key)) state.segments[key] = { segment: r.seg, state: 'pending', sealedAt: r.at };
      return;
    }
    case 'ACK': {
      const s = seg(r.key);
      if (s && s.state === 'pending') state.segments[r.key] = { ...s, state: 'acked', receipt: r.receipt };
      return;
    }
    case 'REJECT': {
      const s = seg(r.key);
      if (s && s.state === 'pending')
        state.segments[r.key] = { ...s, state: 'rejected', rejection: r.rejection };
      return;
    }
    case 'DELETE': {
      const s = seg(r.key);
      if (s && s.state !== 'deleted') {
        state.segments[r.key] = {
          ...s,
          state: 'deleted',
          deletedAt: r.at,
          ...(s.state === 'acked' ? { remoteDeletePending: true } : {}),
        };
      }
      return;
    }
    case 'REMOTE_DELETE_ACK': {
      const s = seg(r.key);
      if (s && s.remoteDeletePending) state.segments[r.key] = { ...s, remoteDeletePending: false };
      return;
    }
    case 'SESSION_START':
      state.lastSession = {
        contractId: r.contractId,
        memo: r.memo,
        activity: r.activity,
        startedAt: r.at,
        stoppedAt: null,
        stopReason: null,
      };
      return;
    case 'SESSION_STOP':
      if (state.lastSession && state.lastSession.stoppedAt === null) {
        state.lastSession = { ...state.lastSession, stoppedAt: r.at, stopReason: r.reason };
      }
      return;
    case 'REPAIR':
      state.repairs += 1;
      return;
    // Journals written before CLOCK_EVENT existed simply have none; the state does not depend on it.
    case 'CLOCK_EVENT':
      return;
  }
}

export function pendingOf(state: CacheState): StoredSegment[] {
  return Object.values(state.segments)
    .filter((s) => s.state === 'pending')
    .sort(
      (a, b) =>
        a.segment.slot - b.segment.slot ||
        (a.segment.contractId < b.segment.contractId
          ? -1
          : a.segment.contractId > b.segment.contractId
            ? 1
            : 0),
    );
}

/** Auto-tracked minutes waiting for upload: what the cache capacity limits. */
export function pendingAutoMinutes(state: CacheState): number {
  let n = 0;
  for (const s of Object.values(state.segments)) {
    if (s.state === 'pending' && s.segment.kind === 'auto') n += creditedMinutes(s.segment);
  }
  return n;
}

/** A stable digest of the state: two recoveries of the same files must give the same digest. */
export function stateDigest(state: CacheState): string {
  return sha256Hex(canonicalJson(state));
}

export { keyOf, localKey };
