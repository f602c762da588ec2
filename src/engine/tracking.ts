/**
 * The tracker as the app runs it, in one place: its events written to the log, screenshots from the
 * Helper, and the tracking loop (start, tick through the minutes, after each sealed segment try to
 * upload, stop). `engine track` and the scenario builder both track through this, so a scenario's
 * story and a person's session behave and log the same way.
 */
import type { FakeClock } from './clock.js';
import type { HelperHandle } from './helper/index.js';
import type { EngineLog } from './logs.js';
import { SLOT_MS } from './protocol.js';
import type { StopReason, TrackerEvent, TrackerOptions, Tracker } from './tracker.js';
import type { StoreStats } from './store/types.js';
import type { TrackDecision } from './rules/tracking.js';

/** Screenshots taken by the Helper process (the app's own child), when one runs. */
export function helperScreenshots(helper: HelperHandle | undefined): Pick<TrackerOptions, 'screenshots'> {
  if (!helper) return {};
  return { screenshots: { capture: async ({ slot }) => (await helper.screenshot(slot)).png } };
}

/** The tracker's events as the app logs them; `also` sees every event after it is logged. */
export function logTrackerEvents(
  log: EngineLog,
  also?: (e: TrackerEvent) => void,
): (e: TrackerEvent) => void {
  return (e) => {
    if (e.type === 'started') log.trackingStarted(e.contractId, e.memo);
    else if (e.type === 'refused') log.trackingRefused(e.contractId, e.message);
    else if (e.type === 'stopped') log.trackingStopped(e.contractId, e.message ?? e.reason);
    else if (e.type === 'sealed')
      log.segmentSealed(e.segment.slot * SLOT_MS, e.segment.activeMinutes, e, e.segment.screenshot?.sha256);
    also?.(e);
  };
}

export interface TrackingRun {
  tracker: Tracker;
  clock: FakeClock;
  store: { stats(): Pick<StoreStats, 'seq'> };
  contractId: string;
  memo: string;
  /** Track until this instant (clock ms), unless the tracker stops itself first. */
  until: number;
  /** How far simulated time moves per tick. */
  stepMs: number;
  /** After each tick that sealed a segment: the app uploads then, when it can. */
  afterSeal?: () => Promise<void>;
  /** After each tick (e.g. to pace a demo in real time). */
  afterTick?: () => Promise<void>;
}

export interface TrackingResult {
  decision: TrackDecision;
  /** Why the tracker stopped itself before `until` (cache full, idle, contract paused, …), if it did. */
  stoppedBy: { reason: StopReason; message?: string } | null;
}

/** Start, track minute by minute until `until` or until the tracker stops itself, then stop. */
export async function runTracking(o: TrackingRun): Promise<TrackingResult> {
  const decision = await o.tracker.start(o.contractId, o.memo);
  if (!decision.ok) return { decision, stoppedBy: null };
  let seq = o.store.stats().seq;
  while (o.clock.now() < o.until && o.tracker.status().tracking) {
    o.clock.advance(Math.min(o.stepMs, o.until - o.clock.now()));
    await o.tracker.tick();
    if (o.store.stats().seq !== seq) {
      seq = o.store.stats().seq;
      await o.afterSeal?.();
    }
    await o.afterTick?.();
  }
  const last = o.tracker.status().lastStop;
  await o.tracker.stop('user');
  return {
    decision,
    stoppedBy: last ? { reason: last.reason, ...(last.message ? { message: last.message } : {}) } : null,
  };
}
