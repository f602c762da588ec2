import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import {
  isWeekLocked,
  minuteOfSlot,
  slotEnd,
  slotIndex,
  slotStart,
  weekEnd,
  weekId,
  weekLock,
  weekStart,
} from '../../../src/engine/rules/index.js';

const ZONES = [
  'UTC',
  'America/New_York',
  'Asia/Kolkata',
  'Pacific/Chatham',
  'Australia/Lord_Howe',
  'Pacific/Kiritimati',
];
// 1990..2100, including DST transitions, leap days and year ends by sheer coverage.
const instant = fc.integer({ min: Date.UTC(1990, 0, 1), max: Date.UTC(2100, 0, 1) });

function boundaries(t: number) {
  return {
    slot: slotIndex(t),
    week: weekStart(t),
    end: weekEnd(t),
    lock: weekLock(t),
    id: weekId(t),
    minute: minuteOfSlot(t),
  };
}

const originalTz = process.env.TZ;
afterEach(() => {
  process.env.TZ = originalTz;
});

describe('UTC boundaries', () => {
  it('are identical whatever the process time zone (switched in-process)', () => {
    const samples = fc.sample(instant, { numRuns: 400, seed: 42 });
    const reference = samples.map(boundaries);
    for (const tz of ZONES) {
      process.env.TZ = tz;
      // Proof the zone really changed: local getters move, our results must not.
      if (tz === 'Asia/Kolkata') expect(new Date(0).getTimezoneOffset()).toBe(-330);
      expect(samples.map(boundaries)).toEqual(reference);
    }
  });

  const dist = path.resolve('dist/engine/rules/index.js');
  it.skipIf(!existsSync(dist))('are identical in child processes started with different TZ values', () => {
    const samples = fc.sample(instant, { numRuns: 300, seed: 7 });
    const script = `import(${JSON.stringify('file://' + dist)}).then((r) => {
      const ts = ${JSON.stringify(samples)};
      process.stdout.write(JSON.stringify({ off: new Date(${samples[0]}).getTimezoneOffset(),
        out: ts.map((t) => [r.slotIndex(t), r.weekStart(t), r.weekLock(t), r.weekId(t)]) }));
    });`;
    const results = ZONES.map(
      (tz) =>
        JSON.parse(
          execFileSync(process.execPath, ['-e', script], { env: { ...process.env, TZ: tz } }).toString(),
        ) as {
          off: number;
          out: unknown[];
        },
    );
    // The zones really differ (Kolkata is never UTC)…
    expect(new Set(results.map((r) => r.off)).size).toBeGreaterThan(1);
    // …and the boundaries never do.
    for (const r of results)
      expect(r.out).toEqual(samples.map((t) => [slotIndex(t), weekStart(t), weekLock(t), weekId(t)]));
  });

  it('a week starts on Monday 00:00 UTC and contains t', () => {
    fc.assert(
      fc.property(instant, (t) => {
        const w = weekStart(t);
        expect(new Date(w).getUTCDay()).toBe(1);
        expect(w % 86_400_000).toBe(0);
        expect(w <= t && t < weekEnd(t)).toBe(true);
        expect(weekEnd(t) - w).toBe(7 * 86_400_000);
      }),
    );
  });

  it('no slot straddles a day or week boundary', () => {
    fc.assert(
      fc.property(instant, (t) => {
        const s = slotIndex(t);
        expect(slotStart(s) <= t && t < slotEnd(s)).toBe(true);
        expect(slotIndex(weekStart(t)) * 600_000).toBe(weekStart(t));
        expect(Math.floor(slotStart(s) / 86_400_000)).toBe(Math.floor((slotEnd(s) - 1) / 86_400_000));
        expect(minuteOfSlot(t)).toBeGreaterThanOrEqual(0);
        expect(minuteOfSlot(t)).toBeLessThan(10);
      }),
    );
  });

  it('the diary locks at Monday 12:00:00.000 UTC after the week, to the millisecond', () => {
    fc.assert(
      fc.property(instant, (t) => {
        const lock = weekLock(t);
        const d = new Date(lock);
        expect([
          d.getUTCDay(),
          d.getUTCHours(),
          d.getUTCMinutes(),
          d.getUTCSeconds(),
          d.getUTCMilliseconds(),
        ]).toEqual([1, 12, 0, 0, 0]);
        expect(lock - weekEnd(t)).toBe(12 * 3_600_000);
        expect(isWeekLocked(t, lock - 1)).toBe(false);
        expect(isWeekLocked(t, lock)).toBe(true);
      }),
    );
  });

  it('examples: 2025-01-06 is a Monday week id; Sunday 23:59:59.999 is still that week', () => {
    const sun = Date.UTC(2025, 0, 12, 23, 59, 59, 999);
    expect(weekId(sun)).toBe('2025-01-06');
    expect(weekId(sun + 1)).toBe('2025-01-13');
    expect(weekLock(sun)).toBe(Date.UTC(2025, 0, 13, 12));
    expect(slotIndex(Date.UTC(2025, 0, 6, 10))).toBe(2893596);
  });
});
