import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testContract } from '../helpers/engine-facts.js';
import {
  DEFAULT_SETTINGS,
  FakeClock,
  Tracker,
  idleInput,
  openStore,
  seededRng,
  slotStart,
  type Contract,
  type EngineSettings,
  type InputSource,
  type JournalStore,
  type TrackerEvent,
} from '../../src/engine/index.js';

// Monday 2025-01-06 09:00 UTC.
const T0 = Date.UTC(2025, 0, 6, 9, 0, 0);
const HOUR = 3_600_000;

const contract = testContract;

const busy: InputSource = { minute: () => ({ keys: 10, clicks: 2, scrolls: 1 }) };

let dir: string;
let store: JournalStore;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'uwd-tracker-'));
});
afterEach(async () => {
  await store?.close();
  await rm(dir, { recursive: true, force: true });
});

async function setup(
  opts: { settings?: Partial<EngineSettings>; contracts?: Contract[]; input?: InputSource } = {},
) {
  const settings = { ...DEFAULT_SETTINGS, ...opts.settings };
  const clock = new FakeClock(T0);
  store = await openStore({
    cacheDir: path.join(dir, 'Cache'),
    capacityMinutes: settings.capacityMinutes,
    clock,
  });
  const events: TrackerEvent[] = [];
  const tracker = new Tracker({
    store,
    settings,
    clock,
    rng: seededRng(7),
    deviceId: 'dev-1',
    contracts: opts.contracts ?? [contract()],
    input: opts.input ?? busy,
    onEvent: (e) => events.push(e),
  });
  const run = async (ms: number) => {
    for (let t = 0; t < ms; t += 60_000) {
      clock.advance(60_000);
      await tracker.tick();
    }
  };
  return { clock, tracker, events, run, settings };
}

describe('tracker', () => {
  it('seals one segment per 10-minute slot with a screenshot inside the tracked span', async () => {
    const { tracker, run } = await setup();
    expect((await tracker.start('c-1', 'Reviewing PRs')).ok).toBe(true);
    await run(HOUR);
    const pending = store.pendingSegments();
    expect(pending).toHaveLength(6);
    for (const s of pending) {
      expect(s.trackedFrom).toBe(slotStart(s.slot));
      expect(s.trackedTo - s.trackedFrom).toBe(600_000);
      expect(s.activeMinutes).toBe(10);
      expect(s.screenshot!.takenAt).toBeGreaterThanOrEqual(s.trackedFrom);
      expect(s.screenshot!.takenAt).toBeLessThan(s.trackedTo);
      expect(await store.hasBlob(s.screenshot!.sha256)).toBe(true);
    }
    expect(store.pendingMinutes()).toBe(60);
  });

  it('stops after idleStopMinutes without input, keeping the minutes already tracked', async () => {
    const { tracker, run, events } = await setup({ input: idleInput });
    await tracker.start('c-1', 'Thinking');
    await run(HOUR);
    expect(tracker.status().tracking).toBe(false);
    expect(tracker.status().lastStop?.reason).toBe('idle');
    expect(store.pendingMinutes()).toBe(10);
    expect(store.pendingSegments().every((s) => s.activeMinutes === 0)).toBe(true);
    expect(events.filter((e) => e.type === 'stopped')).toHaveLength(1);
  });

  it('refuses paused, ended and not-yet-started contracts; a future start opens at 00:00 UTC', async () => {
    const tomorrow = Date.UTC(2025, 0, 7);
    const { tracker, clock } = await setup({
      contracts: [
        contract({ id: 'p', status: 'paused' }),
        contract({ id: 'e', status: 'ended' }),
        contract({ id: 'f', startDate: tomorrow }),
      ],
    });
    expect(await tracker.start('p', 'x')).toMatchObject({ ok: false, reason: 'paused' });
    expect(await tracker.start('e', 'x')).toMatchObject({ ok: false, reason: 'ended' });
    expect(await tracker.start('f', 'x')).toMatchObject({ ok: false, reason: 'not-started' });
    clock.set(tomorrow - 1);
    expect(await tracker.start('f', 'x')).toMatchObject({ ok: false, reason: 'not-started' });
    clock.set(tomorrow);
    expect(await tracker.start('f', 'x')).toMatchObject({ ok: true });
  });

  it('fills the cache to capacity, then refuses every contract until uploads are acknowledged', async () => {
    const { tracker, run } = await setup({
      settings: { capacityMinutes: 60 },
      contracts: [contract(), contract({ id: 'c-2', title: 'Other' })],
    });
    await tracker.start('c-1', 'work');
    await run(2 * HOUR);
    expect(tracker.status().lastStop?.reason).toBe('cache-full');
    expect(store.pendingMinutes()).toBe(60);
    expect(await tracker.start('c-1', 'again')).toMatchObject({ ok: false, reason: 'cache-full' });
    expect(await tracker.start('c-2', 'other')).toMatchObject({ ok: false, reason: 'cache-full' });
    const first = store.pendingSegments()[0]!;
    await store.ack(first, { receiptId: 'r1', result: 'accepted', serverTime: T0 });
    expect(store.pendingMinutes()).toBe(50);
    expect(await tracker.start('c-2', 'other')).toMatchObject({ ok: true });
  });

  it('does not track fixed-price contracts unless the setting is on', async () => {
    const fixed = contract({ id: 'fx', type: 'fixed' });
    const off = await setup({ settings: { trackFixedPrice: false }, contracts: [fixed] });
    expect(await off.tracker.start('fx', 'x')).toMatchObject({ ok: false, reason: 'fixed-price-off' });
  });

  it('stops at the weekly limit the app sees, and sees an increase only after the refresh lag', async () => {
    const limited = contract({
      limitHistory: [
        { at: Date.UTC(2024, 0, 1), hours: 1 },
        { at: T0 + 30 * 60_000, hours: 2 },
      ],
    });
    const { tracker, run, clock } = await setup({
      contracts: [limited],
      settings: { refreshLagMs: 2 * HOUR },
    });
    await tracker.start('c-1', 'work');
    await run(2 * HOUR);
    expect(tracker.status().lastStop?.reason).toBe('weekly-limit');
    expect(store.pendingMinutes()).toBe(60);
    clock.set(T0 + 30 * 60_000 + 2 * HOUR);
    expect((await tracker.start('c-1', 'work')).ok).toBe(true);
  });

  it('deletes a screenshot together with its time and activity, until the week locks', async () => {
    const { tracker, run, clock } = await setup();
    await tracker.start('c-1', 'work');
    await run(30 * 60_000);
    await tracker.stop();
    const [first] = store.pendingSegments();
    expect((await tracker.deleteScreenshot('c-1', first!.slot)).ok).toBe(true);
    expect(store.pendingSegments()).toHaveLength(2);
    expect(store.pendingMinutes()).toBe(20);
    clock.set(Date.UTC(2025, 0, 13, 12));
    const second = store.pendingSegments()[0]!;
    expect(await tracker.deleteScreenshot('c-1', second.slot)).toMatchObject({
      ok: false,
      reason: 'week-locked',
    });
  });

  it('adds manual time only where allowed and never over tracked time', async () => {
    const { tracker, run } = await setup({
      contracts: [contract(), contract({ id: 'nm', manualTimeAllowed: false })],
    });
    await tracker.start('c-1', 'work');
    await run(20 * 60_000);
    await tracker.stop();
    const from = Date.UTC(2025, 0, 6, 8, 0);
    expect(await tracker.addManual('nm', from, from + 600_000, 'm')).toMatchObject({
      ok: false,
      reason: 'manual-not-allowed',
    });
    expect(await tracker.addManual('c-1', T0, T0 + 600_000, 'm')).toMatchObject({
      ok: false,
      reason: 'overlap',
    });
    expect(await tracker.addManual('c-1', from, from + 1_200_000, 'm')).toMatchObject({
      ok: true,
      slots: [from / 600_000, from / 600_000 + 1],
    });
    expect(store.stats().pendingManualMinutes).toBe(20);
    expect(store.pendingMinutes()).toBe(20);
  });
});
