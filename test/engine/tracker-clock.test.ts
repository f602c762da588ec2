import { readdir, readFile } from 'node:fs/promises';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testContract } from '../helpers/engine-facts.js';
import {
  DEFAULT_SETTINGS,
  FakeClock,
  Tracker,
  creditedMinutes,
  openStore,
  scanFrames,
  seededRng,
  slotIndex,
  type Contract,
  type EngineSettings,
  type InputSource,
  type JournalRecord,
  type JournalStore,
  type Segment,
  type TrackerEvent,
} from '../../src/engine/index.js';

// Monday 2025-01-06 09:00 UTC.
const T0 = Date.UTC(2025, 0, 6, 9, 0, 0);
const MIN = 60_000;
const HOUR = 60 * MIN;
const at = (h: number, m: number, s = 0): number => Date.UTC(2025, 0, 6, h, m, s);

const contract: Contract = testContract();

const busy: InputSource = { minute: () => ({ keys: 10, clicks: 2, scrolls: 1 }) };

let dir: string;
const stores: JournalStore[] = [];
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'uwd-tracker-clock-'));
});
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
  await rm(dir, { recursive: true, force: true });
});

async function setup(settingsPatch: Partial<EngineSettings> = {}, cacheName = 'Cache') {
  const settings = { ...DEFAULT_SETTINGS, ...settingsPatch };
  const clock = new FakeClock(T0);
  const cacheDir = path.join(dir, cacheName);
  const store = await openStore({ cacheDir, capacityMinutes: settings.capacityMinutes, clock });
  stores.push(store);
  const events: TrackerEvent[] = [];
  const tracker = new Tracker({
    store,
    settings,
    clock,
    rng: seededRng(11),
    deviceId: 'dev-1',
    contracts: [contract],
    input: busy,
    onEvent: (e) => events.push(e),
  });
  /** Minute ticks with wall and monotonic moving together. */
  const run = async (ms: number) => {
    for (let t = 0; t < ms; t += MIN) {
      clock.advance(MIN);
      await tracker.tick();
    }
  };
  const sealed = (): Segment[] => events.flatMap((e) => (e.type === 'sealed' ? [e.segment] : []));
  return { clock, store, tracker, events, run, sealed, cacheDir };
}

async function journalRecords(cacheDir: string): Promise<JournalRecord[]> {
  const jdir = path.join(cacheDir, 'journal');
  const out: JournalRecord[] = [];
  for (const f of (await readdir(jdir)).sort()) {
    out.push(...scanFrames<JournalRecord>(await readFile(path.join(jdir, f))).records);
  }
  return out;
}

const keysOf = (segs: Segment[]): string[] => segs.map((s) => `${s.contractId}/${s.slot}`);

describe('tracker: sleep and wall-clock steps', () => {
  it('suspend: credits nothing for the sleep, seals at the pre-sleep minute and stops with reason suspend', async () => {
    const { clock, store, tracker, run, sealed, events, cacheDir } = await setup();
    expect((await tracker.start('c-1', 'Reviewing PRs')).ok).toBe(true);
    await run(13 * MIN); // 09:00–09:13: slot 09:00 sealed, slot 09:10 open with 3 minutes
    clock.advance(30_000);
    clock.stepWall(2 * HOUR); // asleep for two hours: the monotonic clock stood still
    await tracker.tick();

    const st = tracker.status();
    expect(st.tracking).toBe(false);
    expect(st.lastStop).toMatchObject({ reason: 'suspend', at: at(9, 13) });
    expect(st.lastStop?.message).toMatch(/slept/);
    const segs = sealed();
    expect(segs.map((s) => [s.slot, s.trackedFrom, s.trackedTo])).toEqual([
      [slotIndex(at(9, 0)), at(9, 0), at(9, 10)],
      [slotIndex(at(9, 10)), at(9, 10), at(9, 13)],
    ]);
    expect(store.pendingMinutes()).toBe(13);
    expect(events.find((e) => e.type === 'clock')).toMatchObject({
      kind: 'suspend',
      wallDeltaMs: 2 * HOUR + 30_000,
      monoDeltaMs: 30_000,
    });

    // Ticking on after waking adds nothing: the session is over.
    await run(30 * MIN);
    expect(store.pendingMinutes()).toBe(13);

    const recs = await journalRecords(cacheDir);
    const clockRecs = recs.filter((r) => r.t === 'CLOCK_EVENT');
    expect(clockRecs).toHaveLength(1);
    expect(clockRecs[0]).toMatchObject({
      kind: 'suspend',
      contractId: 'c-1',
      wallDeltaMs: 2 * HOUR + 30_000,
    });
    // Journaled before the seal and the stop it caused, so the log reads in order.
    const order = recs.filter((r) => r.seq > clockRecs[0]!.seq).map((r) => r.t);
    expect(order).toEqual(['SEAL', 'SESSION_STOP']);
    expect(store.lastSession()).toMatchObject({ stopReason: 'suspend' });
  });

  it('a sleep shorter than the suspend threshold but over the step threshold is a forward step, not a stop', async () => {
    const { clock, tracker, run, events } = await setup({ suspendThresholdMs: 5 * MIN });
    await tracker.start('c-1', 'memo');
    await run(5 * MIN);
    clock.advance(MIN);
    clock.stepWall(2 * MIN);
    await tracker.tick();
    expect(tracker.status().tracking).toBe(true);
    expect(events.find((e) => e.type === 'clock')).toMatchObject({ kind: 'step-forward' });
  });

  it('forward step: seals the slot at the last good minute and goes on in the new slot, never twice in one slot', async () => {
    const { clock, store, tracker, run, sealed, events } = await setup();
    await tracker.start('c-1', 'memo');
    const mono0 = clock.mono();
    await run(13 * MIN); // 09:13
    clock.advance(MIN);
    clock.stepWall(30_000); // wall 09:14:30, but only 09:14 is vouched for
    await tracker.tick();
    expect(events.filter((e) => e.type === 'clock')).toMatchObject([
      { kind: 'step-forward', wallDeltaMs: 90_000, monoDeltaMs: MIN },
    ]);
    expect(tracker.status().tracking).toBe(true);
    // Landed in the slot just sealed: it is left alone until the next slot starts.
    expect(tracker.status().currentSlotMinutes).toBe(0);
    await run(16 * MIN); // wall 09:30:30

    const segs = sealed();
    expect(segs.map((s) => [s.slot, s.trackedFrom, s.trackedTo])).toEqual([
      [slotIndex(at(9, 0)), at(9, 0), at(9, 10)],
      [slotIndex(at(9, 10)), at(9, 10), at(9, 14)],
      [slotIndex(at(9, 20)), at(9, 20), at(9, 30)],
    ]);
    expect(new Set(keysOf(segs)).size).toBe(segs.length);
    expect(store.pendingMinutes()).toBe(24);
    expect(store.pendingMinutes() * MIN).toBeLessThanOrEqual(clock.mono() - mono0);
  });

  it('forward step into the next slot: tracking resumes at once in that slot', async () => {
    const { clock, tracker, run, sealed } = await setup();
    await tracker.start('c-1', 'memo');
    await run(18 * MIN); // 09:18
    clock.advance(MIN);
    clock.stepWall(50_000); // 09:19:50 ⇒ seal 09:10 slot at 09:19, go on from 09:20
    await tracker.tick();
    await run(10 * MIN); // 09:29:50: 9 whole minutes of the 09:20 slot
    expect(tracker.status()).toMatchObject({ tracking: true, currentSlot: slotIndex(at(9, 20)) });
    expect(tracker.status().currentSlotMinutes).toBe(9);
    expect(sealed().at(-1)).toMatchObject({ slot: slotIndex(at(9, 10)), trackedTo: at(9, 19) });
  });

  it('backward step: stops with reason clock and never reopens a sealed slot, even after a restart', async () => {
    const { clock, store, tracker, run, sealed, cacheDir } = await setup();
    await tracker.start('c-1', 'memo');
    const mono0 = clock.mono();
    await run(15 * MIN); // 09:15
    const first = store.get({ contractId: 'c-1', slot: slotIndex(at(9, 0)) })!.segment;
    clock.advance(MIN);
    clock.stepWall(-10 * MIN); // wall 09:06, monotonic says a minute passed
    await tracker.tick();
    expect(tracker.status()).toMatchObject({ tracking: false, lastStop: { reason: 'clock', at: at(9, 16) } });
    expect(tracker.status().lastStop?.message).toMatch(/set back/);
    // The minute that really elapsed before the step is kept, in the old frame.
    expect(sealed().at(-1)).toMatchObject({ slot: slotIndex(at(9, 10)), trackedTo: at(9, 16) });

    // The user starts again at 09:06: both sealed slots are left as they are.
    expect((await tracker.start('c-1', 'memo')).ok).toBe(true);
    await run(25 * MIN); // 09:31
    const segs = sealed();
    expect(keysOf(segs)).toEqual([at(9, 0), at(9, 10), at(9, 20)].map((t) => `c-1/${slotIndex(t)}`));
    expect(store.get({ contractId: 'c-1', slot: slotIndex(at(9, 0)) })!.segment).toEqual(first);
    expect(store.pendingMinutes()).toBe(10 + 6 + 10);
    expect(store.pendingMinutes() * MIN).toBeLessThanOrEqual(clock.mono() - mono0);
    const recs = await journalRecords(cacheDir);
    expect(recs.filter((r) => r.t === 'CLOCK_EVENT')).toMatchObject([
      { kind: 'step-backward', wallDeltaMs: -9 * MIN, monoDeltaMs: MIN },
    ]);
    expect(recs.filter((r) => r.t === 'SESSION_STOP').map((r) => (r as { reason: string }).reason)).toEqual([
      'clock',
    ]);
  });

  it('wall jumps under the step threshold are not events, yet never add minutes monotonic time did not see', async () => {
    const { clock, store, tracker, events } = await setup();
    await tracker.start('c-1', 'memo');
    const mono0 = clock.mono();
    for (let i = 0; i < 100; i++) {
      clock.advance(MIN);
      clock.stepWall(1_900);
      await tracker.tick();
    }
    await tracker.stop('user');
    expect(events.some((e) => e.type === 'clock')).toBe(false);
    // 100 minutes elapsed; the wall ran 190 s ahead, which would otherwise have been 3 extra minutes.
    expect(clock.mono() - mono0).toBe(100 * MIN);
    expect(store.pendingMinutes()).toBe(100);
  });

  it('honours the thresholds from the settings', async () => {
    const { clock, tracker, run, events } = await setup({ stepThresholdMs: 10_000 });
    await tracker.start('c-1', 'memo');
    await run(3 * MIN);
    clock.advance(MIN);
    clock.stepWall(-5_000); // 5 s back: under this profile's 10 s threshold
    await tracker.tick();
    expect(events.some((e) => e.type === 'clock')).toBe(false);
    expect(tracker.status().tracking).toBe(true);
    clock.advance(MIN);
    clock.stepWall(-15_000);
    await tracker.tick();
    expect(tracker.status().lastStop?.reason).toBe('clock');
  });

  it('property: random wall jumps never give two segments for one (contract, slot) nor more minutes than elapsed', async () => {
    // Mostly sub-threshold forward nudges (they add up to whole minutes if anything counts wall
    // time blindly), plus steps back, steps forward and sleeps of every size.
    const jump = fc.oneof(
      { weight: 2, arbitrary: fc.constant(0) },
      { weight: 5, arbitrary: fc.integer({ min: 0, max: 1_999 }) },
      { weight: 1, arbitrary: fc.integer({ min: -1_999, max: 0 }) },
      { weight: 1, arbitrary: fc.integer({ min: -15 * MIN, max: 15 * MIN }) },
      { weight: 1, arbitrary: fc.integer({ min: -3 * HOUR, max: 3 * HOUR }) },
    );
    const step = fc.record({
      // Whole minutes keep monotonic time and the minute grid aligned, so one extra minute shows.
      advanceMs: fc.oneof(
        { weight: 3, arbitrary: fc.integer({ min: 0, max: 12 }).map((m) => m * MIN) },
        { weight: 1, arbitrary: fc.integer({ min: 0, max: 12 * MIN }) },
      ),
      jumpMs: jump,
      restart: fc.boolean(),
    });
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 60 }), async (steps) => {
        const { clock, store, tracker, sealed } = await setup({}, `Cache-${run++}`);
        const mono0 = clock.mono();
        await tracker.start('c-1', 'memo');
        for (const s of steps) {
          clock.advance(s.advanceMs);
          clock.stepWall(s.jumpMs);
          await tracker.tick();
          if (!tracker.status().tracking && s.restart) await tracker.start('c-1', 'memo');
        }
        await tracker.stop('user');
        const segs = sealed();
        const keys = keysOf(segs);
        expect(new Set(keys).size).toBe(keys.length);
        const credited = segs.reduce((n, s) => n + creditedMinutes(s), 0);
        expect(credited * MIN).toBeLessThanOrEqual(clock.mono() - mono0);
        expect(store.pendingMinutes()).toBe(credited);
        await store.close();
        stores.splice(stores.indexOf(store), 1);
      }),
      { numRuns: 60, seed: 20250106 },
    );
  });
});
