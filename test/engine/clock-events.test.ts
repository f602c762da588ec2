import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ConfigError,
  DEFAULT_SETTINGS,
  FakeClock,
  classifyClock,
  inspectCache,
  openStore,
  parseSettings,
  type ClockVerdictKind,
} from '../../src/engine/index.js';

const MIN = 60_000;
const T0 = Date.UTC(2025, 0, 6, 9, 0, 0);
const thresholds = { suspendThresholdMs: 60_000, stepThresholdMs: 2_000 };

describe('classifyClock', () => {
  const prev = { wall: T0, mono: 5_000 };
  it.each<[string, number, number, ClockVerdictKind, number]>([
    // name, wall delta, mono delta, verdict, trusted wall offset
    ['both move together', MIN, MIN, 'normal', MIN],
    ['jitter under the step threshold', MIN + 2_000, MIN, 'normal', MIN],
    ['jitter back under the step threshold', MIN - 2_000, MIN, 'normal', MIN],
    ['wall ahead by more than the step threshold', MIN + 2_001, MIN, 'step-forward', MIN],
    ['wall ahead by exactly the suspend threshold', MIN + 60_000, MIN, 'step-forward', MIN],
    ['wall ahead by more than the suspend threshold', 10 * MIN, 30_000, 'suspend', 30_000],
    ['asleep the whole interval', 8 * 3_600_000, 0, 'suspend', 0],
    ['wall set back', -5 * MIN, MIN, 'step-backward', MIN],
    ['wall behind by just over the step threshold', MIN - 2_001, MIN, 'step-backward', MIN],
    ['no time at all', 0, 0, 'normal', 0],
  ])('%s', (_name, dWall, dMono, kind, trusted) => {
    const v = classifyClock(prev, { wall: T0 + dWall, mono: prev.mono + dMono }, thresholds);
    expect(v).toEqual({ kind, wallDeltaMs: dWall, monoDeltaMs: dMono, trustedWall: T0 + trusted });
  });

  it('never trusts a monotonic clock that went backwards', () => {
    const v = classifyClock(prev, { wall: T0 + MIN, mono: prev.mono - 10_000 }, thresholds);
    expect(v.monoDeltaMs).toBe(0);
    expect(v.trustedWall).toBe(T0);
    expect(v.kind).toBe('step-forward');
  });
});

describe('clock settings', () => {
  it('defaults to 60 s for a sleep and 2 s for a step', () => {
    expect(DEFAULT_SETTINGS.suspendThresholdMs).toBe(60_000);
    expect(DEFAULT_SETTINGS.stepThresholdMs).toBe(2_000);
    expect(parseSettings({})).toMatchObject({ suspendThresholdMs: 60_000, stepThresholdMs: 2_000 });
  });

  it('accepts other values and rejects thresholds that jitter would trip or that are not integers', () => {
    expect(parseSettings({ suspendThresholdMs: 300_000, stepThresholdMs: 5_000 })).toMatchObject({
      suspendThresholdMs: 300_000,
      stepThresholdMs: 5_000,
    });
    for (const bad of [{ stepThresholdMs: 10 }, { suspendThresholdMs: -1 }, { stepThresholdMs: '2000' }]) {
      expect(() => parseSettings(bad)).toThrow(ConfigError);
    }
  });
});

describe('CLOCK_EVENT journal records', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'uwd-clock-events-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('recover to the same state, and a journal from before they existed loads unchanged', async () => {
    const clock = new FakeClock(T0);
    const withEvents = path.join(dir, 'with');
    const without = path.join(dir, 'without');
    // The same session written twice: once as today's tracker writes it, once as an older one did.
    for (const [cacheDir, events] of [
      [withEvents, true],
      [without, false],
    ] as const) {
      const store = await openStore({ cacheDir, capacityMinutes: 1440, clock });
      await store.recordSessionStart('c-1', 'memo', null);
      if (events)
        await store.recordClockEvent({
          kind: 'suspend',
          contractId: 'c-1',
          wallDeltaMs: 3_600_000,
          monoDeltaMs: 1_000,
        });
      await store.recordSessionStop('c-1', events ? 'suspend' : 'user');
      await store.close();
    }

    const a = await openStore({ cacheDir: withEvents, capacityMinutes: 1440, clock });
    const b = await openStore({ cacheDir: without, capacityMinutes: 1440, clock });
    try {
      for (const s of [a, b]) {
        expect(s.degraded).toBe(false);
        expect(s.recovery.warnings).toEqual([]);
      }
      expect(a.lastSession()).toMatchObject({ stopReason: 'suspend', stoppedAt: T0 });
      expect(b.lastSession()).toMatchObject({ stopReason: 'user' });
      // The event is counted in seq (so it is never replayed twice) and nothing else.
      expect(a.stats().seq).toBe(b.stats().seq + 1);
      const inspected = await inspectCache(withEvents);
      expect(inspected.digest).toBe(a.digest());
    } finally {
      await a.close();
      await b.close();
    }
  });
});
