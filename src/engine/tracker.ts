/**
 * The tracker: a session on one contract with a memo, per-minute synthetic input, one screenshot
 * at a random instant in each 10-minute slot, sealing each slot into the cache, and the stops the
 * real app makes (idle, cache full, contract no longer active, weekly limit, sleep, a wall clock
 * set back). Clock anomalies matter because a slept-through hour or a stepped clock must never be
 * billed nor make the tracker log a slot twice. It drives the pure
 * rules with an injected clock, rng, input source and screenshot source; simulated time moves
 * only when `tick()` is called, so tests can run a day in milliseconds.
 */
import { createHash } from 'node:crypto';
import type { Clock, Rng } from './clock.js';
import type { EngineSettings } from './config.js';
import { syntheticPng } from './png.js';
import type { MinuteCounts } from './protocol.js';
import { addInput, emptyMinutes } from './rules/activity.js';
import { classifyClock, type ClockReading, type ClockVerdict } from './rules/clock.js';
import { contractStatusAt, type Contract } from './rules/contracts.js';
import { decideDelete, type DeleteDecision } from './rules/delete.js';
import { appVisibleLimit, remainingWeeklyMinutes } from './rules/limits.js';
import { validateManualTime, type ManualDecision } from './rules/manual.js';
import { buildSegment, creditedMinutes, drawScreenshotInstant, type Segment } from './rules/segments.js';
import { MINUTE_MS, minuteOfSlot, slotEnd, slotIndex, slotStart, weekStart } from './rules/time.js';
import {
  cacheLevelPercent,
  decideTracking,
  isIdleStopDue,
  type RefusalReason,
  type TrackDecision,
} from './rules/tracking.js';
import type { JournalStore } from './store/store.js';

export interface InputCounts {
  keys: number;
  clicks: number;
  scrolls: number;
}

/** Where per-minute activity comes from (synthetic in the reference engine: no real keyboard hooks). */
export interface InputSource {
  minute(contractId: string, minuteStart: number): InputCounts;
}

/** Who takes the screenshot: the Helper process, or an in-process synthetic PNG by default. */
export interface ScreenshotSource {
  capture(req: { contractId: string; slot: number; takenAt: number }): Promise<Uint8Array>;
}

/** Input with a given share of active minutes, drawn from the seeded rng. */
export function syntheticInput(rng: Rng, activeShare = 0.8): InputSource {
  return {
    minute: () =>
      rng.next() < activeShare
        ? { keys: 5 + rng.int(80), clicks: rng.int(20), scrolls: rng.int(10) }
        : { keys: 0, clicks: 0, scrolls: 0 },
  };
}

export const idleInput: InputSource = { minute: () => ({ keys: 0, clicks: 0, scrolls: 0 }) };

/** Deterministic synthetic screenshots: the seed is the slot, so a slot's image never changes. */
export function syntheticScreenshots(opts: { black?: boolean } = {}): ScreenshotSource {
  return {
    capture: ({ slot }) => syntheticPng({ seed: slot, black: opts.black ?? false }),
  };
}

export type StopReason = 'user' | 'idle' | RefusalReason | 'shutdown' | 'suspend' | 'clock';

export type TrackerEvent =
  | { type: 'started'; at: number; contractId: string; memo: string }
  | { type: 'refused'; at: number; contractId: string; reason: RefusalReason; message: string }
  | { type: 'screenshot'; at: number; contractId: string; slot: number; sha256: string; bytes: number }
  | { type: 'sealed'; at: number; segment: Segment; pendingMinutes: number; capacityMinutes: number }
  | { type: 'stopped'; at: number; contractId: string; reason: StopReason; message?: string }
  | {
      type: 'clock';
      at: number;
      contractId: string;
      kind: Exclude<ClockVerdict['kind'], 'normal'>;
      wallDeltaMs: number;
      monoDeltaMs: number;
    };

interface OpenSlot {
  slot: number;
  from: number;
  minutes: MinuteCounts[];
  shotAt: number;
  shot: { takenAt: number; sha256: string; png: Uint8Array } | null;
  /** The slot already holds a segment of this contract: one segment per slot, so it is not logged twice. */
  skip: boolean;
}

interface Session {
  contractId: string;
  memo: string;
  activity: string | null;
  startedAt: number;
  /** Whole minutes processed up to here. */
  cursor: number;
  lastInputAt: number;
  open: OpenSlot | null;
  /** The clocks at the previous tick: each tick is compared with it to spot a sleep or a step. */
  last: ClockReading;
  /**
   * Wall and monotonic time when the session (or the slot after a forward step) began: minutes are
   * never counted past `anchor.wall + (mono − anchor.mono)`, so wall jumps too small to flag
   * cannot add up to time that did not elapse.
   */
  anchor: ClockReading;
}

export interface TrackerStatus {
  tracking: boolean;
  contractId: string | null;
  memo: string | null;
  startedAt: number | null;
  currentSlot: number | null;
  currentSlotMinutes: number;
  pendingMinutes: number;
  capacityMinutes: number;
  cacheLevelPercent: number;
  cacheFull: boolean;
  degraded: boolean;
  lastStop: { reason: StopReason; at: number; message?: string } | null;
}

export interface TrackerOptions {
  store: JournalStore;
  settings: EngineSettings;
  clock: Clock;
  rng: Rng;
  deviceId: string;
  contracts: readonly Contract[];
  input?: InputSource;
  screenshots?: ScreenshotSource;
  onEvent?: (e: TrackerEvent) => void;
}

const ceilTo = (t: number, step: number): number => Math.ceil(t / step) * step;

export class Tracker {
  private session: Session | null = null;
  private contracts: Contract[];
  private lastStop: TrackerStatus['lastStop'] = null;
  private readonly input: InputSource;
  private readonly shots: ScreenshotSource;

  constructor(private readonly o: TrackerOptions) {
    this.contracts = [...o.contracts];
    this.input = o.input ?? syntheticInput(o.rng);
    this.shots = o.screenshots ?? syntheticScreenshots();
  }

  /** Replace the app's contract list (after a refresh from the server). */
  setContracts(list: readonly Contract[]): void {
    this.contracts = [...list];
  }

  contract(id: string): Contract | undefined {
    return this.contracts.find((c) => c.id === id);
  }

  private emit(e: TrackerEvent): void {
    this.o.onEvent?.(e);
  }

  /** Minutes already logged on a contract in the week holding `t` (not counting deleted ones). */
  weekUsedMinutes(contractId: string, t: number): number {
    const w = weekStart(t);
    let n = 0;
    for (const s of this.o.store.all()) {
      if (s.state === 'deleted' || s.state === 'rejected' || s.segment.contractId !== contractId) continue;
      if (weekStart(slotStart(s.segment.slot)) === w) n += creditedMinutes(s.segment);
    }
    return n;
  }

  private decide(contractId: string, memo: string, now: number, openMinutes: number): TrackDecision {
    return decideTracking({
      contract: this.contract(contractId),
      now,
      memo,
      pendingMinutes: this.o.store.pendingMinutes() + openMinutes,
      capacityMinutes: this.o.store.capacityMinutes,
      degraded: this.o.store.degraded,
      weekUsedMinutes: this.weekUsedMinutes(contractId, now) + openMinutes,
      settings: this.o.settings,
    });
  }

  /** Turn the tracker on. Refusals (cache full, paused contract, …) are returned, never thrown. */
  async start(contractId: string, memo: string, activity: string | null = null): Promise<TrackDecision> {
    if (this.session) await this.stop('user');
    const now = this.o.clock.now();
    const reading = { wall: now, mono: this.o.clock.mono() };
    const d = this.decide(contractId, memo, now, 0);
    if (!d.ok) {
      this.emit({ type: 'refused', at: now, contractId, reason: d.reason, message: d.message });
      return d;
    }
    await this.o.store.recordSessionStart(contractId, memo, activity);
    const from = ceilTo(now, MINUTE_MS);
    this.session = {
      contractId,
      memo,
      activity,
      startedAt: now,
      cursor: from,
      lastInputAt: now,
      open: null,
      last: reading,
      anchor: reading,
    };
    this.openSlot(from);
    this.lastStop = null;
    this.emit({ type: 'started', at: now, contractId, memo });
    return d;
  }

  private openSlot(at: number): void {
    const s = this.session!;
    const slot = slotIndex(at);
    const skip = this.o.store.get({ contractId: s.contractId, slot }) !== undefined;
    s.open = {
      slot,
      from: at,
      minutes: emptyMinutes(),
      shotAt: drawScreenshotInstant(slot, at, this.o.rng),
      shot: null,
      skip,
    };
  }

  private openMinutes(): number {
    const open = this.session?.open;
    if (!open || open.skip) return 0;
    return Math.round((this.session!.cursor - open.from) / MINUTE_MS);
  }

  private async takeShot(open: OpenSlot, takenAt: number): Promise<void> {
    const s = this.session!;
    const png = await this.shots.capture({ contractId: s.contractId, slot: open.slot, takenAt });
    const sha256 = createHash('sha256').update(png).digest('hex');
    open.shot = { takenAt, sha256, png };
    this.emit({
      type: 'screenshot',
      at: takenAt,
      contractId: s.contractId,
      slot: open.slot,
      sha256,
      bytes: png.length,
    });
  }

  /** Seal the open slot up to `to` (whole minutes). Resolves after the segment is fsynced. */
  private async sealOpen(to: number): Promise<void> {
    const s = this.session!;
    const open = s.open;
    s.open = null;
    if (!open || open.skip || to <= open.from) return;
    if (!open.shot) await this.takeShot(open, Math.max(open.from, to - 1));
    const segment = buildSegment({
      contractId: s.contractId,
      slot: open.slot,
      kind: 'auto',
      trackedFrom: open.from,
      trackedTo: to,
      minutes: open.minutes,
      screenshot: { takenAt: open.shot!.takenAt, sha256: open.shot!.sha256 },
      memo: s.memo,
      activity: s.activity,
      deviceId: this.o.deviceId,
      seq: this.o.store.stats().seq + 1,
    });
    await this.o.store.seal(segment, open.shot!.png);
    this.emit({
      type: 'sealed',
      at: to,
      segment,
      pendingMinutes: this.o.store.pendingMinutes(),
      capacityMinutes: this.o.store.capacityMinutes,
    });
  }

  private async endSession(reason: StopReason, at: number, message?: string): Promise<void> {
    const s = this.session;
    if (!s) return;
    await this.sealOpen(at);
    this.session = null;
    await this.o.store.recordSessionStop(s.contractId, reason);
    this.lastStop = { reason, at, ...(message ? { message } : {}) };
    this.emit({ type: 'stopped', at, contractId: s.contractId, reason, ...(message ? { message } : {}) });
  }

  /** Turn the tracker off; the partial slot is sealed with its whole minutes. */
  async stop(reason: StopReason = 'user'): Promise<void> {
    if (!this.session) return;
    await this.tick();
    if (!this.session) return;
    await this.endSession(reason, this.session.cursor);
  }

  /**
   * Process every whole minute up to the clock's now (no further than monotonic time vouches for):
   * count input, take the slot's screenshot when its instant comes, seal at slot ends, and stop
   * when a rule says so. A sleep or a wall-clock step since the previous tick is handled first.
   */
  async tick(): Promise<void> {
    const s = this.session;
    if (!s) return;
    const cur = { wall: this.o.clock.now(), mono: this.o.clock.mono() };
    const v = classifyClock(s.last, cur, this.o.settings);
    s.last = cur;
    const vouched = (): number => s.anchor.wall + Math.max(0, cur.mono - s.anchor.mono);
    if (v.kind === 'normal') {
      await this.advanceTo(Math.min(cur.wall, vouched()));
      return;
    }
    await this.o.store.recordClockEvent({
      kind: v.kind,
      contractId: s.contractId,
      wallDeltaMs: v.wallDeltaMs,
      monoDeltaMs: v.monoDeltaMs,
    });
    this.emit({
      type: 'clock',
      at: cur.wall,
      contractId: s.contractId,
      kind: v.kind,
      wallDeltaMs: v.wallDeltaMs,
      monoDeltaMs: v.monoDeltaMs,
    });
    // The time before the jump that really elapsed is counted in the old frame; the jump itself never is.
    await this.advanceTo(Math.min(v.trustedWall, vouched()));
    if (this.session !== s) return;
    const secs = (ms: number): string => `${Math.round(Math.abs(ms) / 1000)} s`;
    if (v.kind === 'suspend') {
      // Like the real app: a computer that went to sleep stops tracking; nothing is credited for the sleep.
      await this.endSession(
        'suspend',
        s.cursor,
        `The computer slept for about ${secs(v.wallDeltaMs - v.monoDeltaMs)}; tracking stopped.`,
      );
      return;
    }
    if (v.kind === 'step-backward') {
      // Going on would walk back into slots already sealed: one segment per slot, so stop instead.
      await this.endSession(
        'clock',
        s.cursor,
        `The computer's clock was set back by ${secs(v.wallDeltaMs - v.monoDeltaMs)}; tracking stopped.`,
      );
      return;
    }
    // Forward step: seal at the last good minute and go on from the next whole minute of the new
    // time. Landing in the slot just sealed leaves it alone (skip) until the next slot.
    const sealedAt = s.cursor;
    await this.sealOpen(sealedAt);
    const from = ceilTo(cur.wall, MINUTE_MS);
    s.cursor = from;
    s.lastInputAt += from - sealedAt;
    s.anchor = cur;
    const d = this.decide(s.contractId, s.memo, from, 0);
    if (!d.ok) {
      await this.endSession(d.reason, from, d.message);
      return;
    }
    this.openSlot(from);
  }

  private async advanceTo(now: number): Promise<void> {
    while (this.session && this.session.cursor + MINUTE_MS <= now) {
      const s = this.session;
      const m = s.cursor;
      const open = s.open!;
      if (!open.skip) {
        const inp = this.input.minute(s.contractId, m);
        if (inp.keys + inp.clicks + inp.scrolls > 0) s.lastInputAt = m + MINUTE_MS;
        open.minutes = addInput(open.minutes, minuteOfSlot(m), inp);
        if (!open.shot && open.shotAt < m + MINUTE_MS)
          await this.takeShot(open, Math.max(open.shotAt, open.from));
      } else {
        // Idle stop guards against logging idle time; minutes in a slot already sealed are not
        // logged, so they do not count towards it (after a clock set back these can be many slots).
        s.lastInputAt = m + MINUTE_MS;
      }
      s.cursor = m + MINUTE_MS;
      const e = s.cursor;
      if (isIdleStopDue(s.lastInputAt, e, this.o.settings.idleStopMinutes)) {
        await this.endSession('idle', e, `No input for ${this.o.settings.idleStopMinutes} minutes.`);
        return;
      }
      const atSlotEnd = e === slotEnd(open.slot);
      // Cache capacity and the weekly limit are checked every minute: the open slot counts too.
      const used = this.openMinutes();
      if (this.o.store.pendingMinutes() + used >= this.o.store.capacityMinutes) {
        await this.endSession('cache-full', e, 'The time cache is full; connect to upload it.');
        return;
      }
      const c = this.contract(s.contractId);
      if (c && c.type === 'hourly' && this.o.settings.stopAtWeeklyLimit && !open.skip) {
        const limit = appVisibleLimit(c.limitHistory, e, this.o.settings.refreshLagMs);
        if (
          remainingWeeklyMinutes(limit, this.weekUsedMinutes(s.contractId, slotStart(open.slot)) + used) <= 0
        ) {
          await this.endSession('weekly-limit', e, `The weekly limit of ${limit} hours is reached.`);
          return;
        }
      }
      if (atSlotEnd) {
        await this.sealOpen(e);
        const d = this.decide(s.contractId, s.memo, e, 0);
        if (!d.ok) {
          await this.endSession(d.reason, e, d.message);
          return;
        }
        this.openSlot(e);
      }
    }
  }

  /** Add manual time (whole slots, current week, where the client allows it). */
  async addManual(contractId: string, from: number, to: number, memo: string): Promise<ManualDecision> {
    const contract = this.contract(contractId);
    if (!contract) return { ok: false, reason: 'contract-not-active', message: 'No such contract.' };
    const occupied = new Set(
      this.o.store
        .all()
        .filter((s) => s.segment.contractId === contractId && s.state !== 'deleted')
        .map((s) => s.segment.slot),
    );
    const d = validateManualTime({
      contract,
      from,
      to,
      now: this.o.clock.now(),
      occupiedSlots: occupied,
      trackFixedPrice: this.o.settings.trackFixedPrice,
    });
    if (!d.ok) return d;
    const seq = this.o.store.stats().seq + 1;
    const items = d.slots.map((slot) => ({
      segment: buildSegment({
        contractId,
        slot,
        kind: 'manual',
        trackedFrom: slotStart(slot),
        trackedTo: slotEnd(slot),
        minutes: emptyMinutes(),
        screenshot: null,
        memo,
        activity: null,
        deviceId: this.o.deviceId,
        seq,
      }),
      png: null,
    }));
    await this.o.store.sealMany(items);
    return d;
  }

  /** Delete a segment's screenshot, and with it the segment's time and activity. */
  async deleteScreenshot(contractId: string, slot: number): Promise<DeleteDecision> {
    const contract = this.contract(contractId);
    const status = contract ? contractStatusAt(contract, this.o.clock.now()) : 'active';
    const d = decideDelete(slot, this.o.clock.now(), status);
    if (!d.ok) return d;
    const stored = this.o.store.get({ contractId, slot });
    if (!stored || stored.state === 'deleted') return d;
    await this.o.store.deleteSegment({ contractId, slot }, 'screenshot-deleted');
    return d;
  }

  status(): TrackerStatus {
    const s = this.session;
    const pending = this.o.store.pendingMinutes() + this.openMinutes();
    const cap = this.o.store.capacityMinutes;
    return {
      tracking: s !== null,
      contractId: s?.contractId ?? null,
      memo: s?.memo ?? null,
      startedAt: s?.startedAt ?? null,
      currentSlot: s?.open?.slot ?? null,
      currentSlotMinutes: this.openMinutes(),
      pendingMinutes: pending,
      capacityMinutes: cap,
      cacheLevelPercent: cacheLevelPercent(pending, cap),
      cacheFull: pending >= cap,
      degraded: this.o.store.degraded,
      lastStop: this.lastStop,
    };
  }
}
