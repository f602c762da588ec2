/**
 * Segments: one 10-minute UTC slot of one contract, the unit the Work Diary bills. A segment
 * carries its tracked span, per-minute counts, activity level, at most one screenshot, memo and a
 * fingerprint over everything else, so a retried upload is recognisably the same billing.
 */
import {
  creditedMinutes,
  segmentFingerprint,
  signSegment,
  type UnsignedSegment,
  type WireScreenshot,
  type WireSegment,
} from '../protocol.js';
import type { Rng } from '../clock.js';
import { activeMinutes, isValidMinute } from './activity.js';
import { SLOT_MS, slotEnd, slotStart } from './time.js';

export type Segment = WireSegment;
export type Screenshot = WireScreenshot;
export { creditedMinutes, segmentFingerprint, signSegment };

/** The tracker's local key of a segment: contract and slot (the freelancer is implied). */
export function localKey(contractId: string, slot: number): string {
  return `${contractId}#${slot}`;
}

export function keyOf(segment: Pick<Segment, 'contractId' | 'slot'>): string {
  return localKey(segment.contractId, segment.slot);
}

/**
 * Draw the screenshot instant for a slot: uniform over [from, slotEnd), where `from` is when the
 * tracker entered the slot. Random so nobody can time their breaks around it.
 */
export function drawScreenshotInstant(slot: number, from: number, rng: Rng): number {
  const lo = Math.max(from, slotStart(slot));
  const hi = slotEnd(slot);
  if (lo >= hi) return hi - 1;
  return lo + rng.int(hi - lo);
}

export interface SegmentDraft {
  contractId: string;
  slot: number;
  kind: 'auto' | 'manual';
  trackedFrom: number;
  trackedTo: number;
  minutes: UnsignedSegment['minutes'];
  screenshot: Screenshot | null;
  memo: string;
  activity: string | null;
  deviceId: string;
  seq: number;
}

/** Build and sign a segment, recomputing the activity level from the minute counts. */
export function buildSegment(d: SegmentDraft): Segment {
  const minutes =
    d.kind === 'manual' ? d.minutes.map(() => [0, 0, 0] as [number, number, number]) : d.minutes;
  const seg = signSegment({
    contractId: d.contractId,
    slot: d.slot,
    kind: d.kind,
    trackedFrom: d.trackedFrom,
    trackedTo: d.trackedTo,
    minutes,
    activeMinutes: d.kind === 'manual' ? 0 : activeMinutes(minutes),
    screenshot: d.kind === 'manual' ? null : d.screenshot,
    memo: d.memo,
    activity: d.activity,
    deviceId: d.deviceId,
    seq: d.seq,
  });
  const problems = validateSegment(seg);
  if (problems.length > 0) throw new RangeError(`invalid segment ${keyOf(seg)}: ${problems.join('; ')}`);
  return seg;
}

/** Every invariant a sealed segment must hold; an empty list means valid. */
export function validateSegment(s: Segment): string[] {
  const p: string[] = [];
  if (typeof s.contractId !== 'string' || s.contractId.length === 0) p.push('contractId missing');
  if (!Number.isSafeInteger(s.slot)) p.push('slot not an integer');
  const start = slotStart(s.slot);
  if (!(start <= s.trackedFrom && s.trackedFrom < s.trackedTo && s.trackedTo <= start + SLOT_MS)) {
    p.push('tracked span outside its slot');
  }
  if (!Array.isArray(s.minutes) || s.minutes.length !== 10 || !s.minutes.every(isValidMinute)) {
    p.push('minutes must be 10 [keys, clicks, scrolls] triples');
  } else {
    if (s.activeMinutes !== activeMinutes(s.minutes)) p.push('activeMinutes does not match minute counts');
    if (s.activeMinutes > creditedMinutes(s) + 1) p.push('more active minutes than tracked');
  }
  if (s.kind === 'manual') {
    if (s.screenshot !== null) p.push('manual time has no screenshot');
    if (s.activeMinutes !== 0) p.push('manual time has no activity');
  } else if (s.kind === 'auto') {
    if (s.screenshot !== null) {
      if (!(s.trackedFrom <= s.screenshot.takenAt && s.screenshot.takenAt < s.trackedTo)) {
        p.push('screenshot taken outside the tracked span');
      }
      if (!/^[0-9a-f]{64}$/.test(s.screenshot.sha256)) p.push('screenshot sha256 malformed');
    }
  } else {
    p.push('kind must be auto or manual');
  }
  if (s.fingerprint !== segmentFingerprint(s)) p.push('fingerprint mismatch');
  return p;
}
