import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  activeMinutes,
  appVisibleLimit,
  buildSegment,
  decideDelete,
  decideTracking,
  deleteScreenshot,
  effectiveWeeklyLimit,
  gateContract,
  isIdleStopDue,
  keyOf,
  ledgerTotals,
  remainingWeeklyMinutes,
  splitWeekBilling,
  validateManualTime,
  weekStart,
  type Contract,
  type MinuteCounts,
} from '../../../src/engine/rules/index.js';

const MON = Date.UTC(2025, 0, 6);
const DAY = 86_400_000;
const HOUR = 3_600_000;
const WEEK = 7 * DAY;

function contract(over: Partial<Contract> = {}): Contract {
  return {
    id: 'c',
    title: 'T',
    client: 'C',
    type: 'hourly',
    status: 'active',
    statusHistory: [],
    startDate: Date.UTC(2024, 0, 1),
    weeklyLimitHours: null,
    limitHistory: [],
    manualTimeAllowed: true,
    activityRequired: false,
    activities: [],
    ...over,
  };
}

const minuteArb = fc.tuple(fc.nat(200), fc.nat(50), fc.nat(50)) as fc.Arbitrary<MinuteCounts>;

describe('activity arithmetic', () => {
  it('activity level = minutes with any input, 0..10, and totals add up', () => {
    fc.assert(
      fc.property(fc.array(minuteArb, { minLength: 10, maxLength: 10 }), (minutes) => {
        const a = activeMinutes(minutes);
        expect(a).toBe(minutes.filter((m) => m[0] + m[1] + m[2] > 0).length);
        expect(a).toBeGreaterThanOrEqual(0);
        expect(a).toBeLessThanOrEqual(10);
        const seg = buildSegment({
          contractId: 'c',
          slot: MON / 600_000,
          kind: 'auto',
          trackedFrom: MON,
          trackedTo: MON + 600_000,
          minutes,
          screenshot: null,
          memo: 'm',
          activity: null,
          deviceId: 'd',
          seq: 1,
        });
        expect(seg.activeMinutes).toBe(a);
        const t = ledgerTotals([seg]);
        expect(t.keys).toBe(minutes.reduce((n, m) => n + m[0], 0));
        expect(t.minutes).toBe(10);
      }),
    );
  });

  it('manual time carries no activity and no screenshot', () => {
    const seg = buildSegment({
      contractId: 'c',
      slot: MON / 600_000,
      kind: 'manual',
      trackedFrom: MON,
      trackedTo: MON + 600_000,
      minutes: Array.from({ length: 10 }, () => [3, 3, 3] as MinuteCounts),
      screenshot: { takenAt: MON + 5, sha256: 'a'.repeat(64) },
      memo: 'm',
      activity: null,
      deviceId: 'd',
      seq: 1,
    });
    expect(seg.activeMinutes).toBe(0);
    expect(seg.screenshot).toBeNull();
  });

  it('deleting a screenshot deletes that segment’s time and activity', () => {
    const mk = (i: number) =>
      buildSegment({
        contractId: 'c',
        slot: MON / 600_000 + i,
        kind: 'auto',
        trackedFrom: MON + i * 600_000,
        trackedTo: MON + (i + 1) * 600_000,
        minutes: Array.from({ length: 10 }, () => [i + 1, 1, 0] as MinuteCounts),
        screenshot: { takenAt: MON + i * 600_000 + 1000, sha256: String(i).repeat(64).slice(0, 64) },
        memo: 'm',
        activity: null,
        deviceId: 'd',
        seq: i,
      });
    const segs = [mk(0), mk(1), mk(2)];
    const before = ledgerTotals(segs);
    const after = ledgerTotals(deleteScreenshot(segs, keyOf(segs[1]!)));
    expect(before.minutes - after.minutes).toBe(10);
    expect(before.activeMinutes - after.activeMinutes).toBe(10);
    expect(before.keys - after.keys).toBe(20);
    expect(before.screenshots - after.screenshots).toBe(1);
    expect(decideDelete(segs[1]!.slot, MON + WEEK + 12 * HOUR - 1, 'active').ok).toBe(true);
    expect(decideDelete(segs[1]!.slot, MON + WEEK + 12 * HOUR, 'active')).toMatchObject({
      reason: 'week-locked',
    });
    expect(decideDelete(segs[1]!.slot, MON + DAY, 'ended')).toMatchObject({ reason: 'contract-ended' });
  });
});

describe('weekly limit arithmetic', () => {
  it('example: 10 → 20 (Tue) → 15 (Wed) means this week 20, next week 15', () => {
    const h = [
      { at: MON - DAY, hours: 10 },
      { at: MON + DAY, hours: 20 },
      { at: MON + 2 * DAY, hours: 15 },
    ];
    expect(effectiveWeeklyLimit(h, MON + 3 * DAY)).toBe(20);
    expect(effectiveWeeklyLimit(h, MON + WEEK)).toBe(15);
    expect(effectiveWeeklyLimit(h, MON)).toBe(20);
    expect(
      effectiveWeeklyLimit(
        [
          { at: MON - DAY, hours: 10 },
          { at: MON + DAY, hours: null },
        ],
        MON,
      ),
    ).toBeNull();
    expect(
      effectiveWeeklyLimit(
        [
          { at: MON - DAY, hours: null },
          { at: MON + DAY, hours: 5 },
        ],
        MON,
      ),
    ).toBeNull();
    expect(
      effectiveWeeklyLimit(
        [
          { at: MON - DAY, hours: null },
          { at: MON + DAY, hours: 5 },
        ],
        MON + WEEK,
      ),
    ).toBe(5);
  });

  it('the app sees an increase only refreshLagMs after it was made', () => {
    const h = [
      { at: MON - DAY, hours: 10 },
      { at: MON + DAY, hours: 30 },
    ];
    expect(appVisibleLimit(h, MON + DAY + 24 * HOUR - 1, 24 * HOUR)).toBe(10);
    expect(appVisibleLimit(h, MON + DAY + 24 * HOUR, 24 * HOUR)).toBe(30);
    expect(appVisibleLimit(h, MON + DAY, 0)).toBe(30);
  });

  const change = fc.record({
    at: fc.integer({ min: MON - WEEK, max: MON + 2 * WEEK }),
    hours: fc.option(fc.integer({ min: 1, max: 80 }), { nil: null }),
  });

  it('property: matches a direct model (increase now, decrease next Monday, null = none)', () => {
    fc.assert(
      fc.property(
        fc.array(change, { minLength: 1, maxLength: 8 }),
        fc.integer({ min: MON - WEEK, max: MON + 2 * WEEK }),
        (hist, t) => {
          const sorted = [...hist].sort((a, b) => a.at - b.at);
          const w = weekStart(t);
          // Model: the limit in force for week w is the server value at w, raised by any later increase within w.
          let cur: number | null | undefined;
          for (const c of sorted) if (c.at < w) cur = c.hours;
          for (const c of sorted) {
            if (c.at < w || c.at >= w + WEEK) continue;
            const up = cur === undefined || (cur !== null && (c.hours === null || c.hours > cur));
            if (up) cur = c.hours;
          }
          const got = effectiveWeeklyLimit(hist, t);
          expect(got).toBe(cur ?? null);
          // A limit never goes below what was in force at the week start (decreases wait).
          const base = sorted.filter((c) => c.at < w).at(-1);
          if (base && base.hours !== null && got !== null) expect(got).toBeGreaterThanOrEqual(base.hours);
          if (base && base.hours === null) expect(got).toBeNull();
        },
      ),
    );
  });

  it('property: billable + over-limit = credited, billable never exceeds the limit', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 1007 }), { maxLength: 60 }),
        fc.option(fc.integer({ min: 0, max: 40 }), { nil: null }),
        fc.boolean(),
        (slots, limit, billable) => {
          const entries = slots.map((s, i) => ({ key: `k${s}`, slot: s, minutes: 1 + (i % 10) }));
          const out = splitWeekBilling(entries, limit, billable);
          const total = entries.reduce((n, e) => n + e.minutes, 0);
          const b = out.reduce((n, e) => n + e.billableMinutes, 0);
          const o = out.reduce((n, e) => n + e.overLimitMinutes, 0);
          if (!billable) expect(b).toBe(0);
          else {
            expect(b + o).toBe(total);
            expect(b).toBe(limit === null ? total : Math.min(total, limit * 60));
          }
          for (let i = 1; i < out.length; i++) expect(out[i]!.slot).toBeGreaterThan(out[i - 1]!.slot);
        },
      ),
    );
    expect(remainingWeeklyMinutes(null, 1e6)).toBe(Infinity);
    expect(remainingWeeklyMinutes(2, 100)).toBe(20);
    expect(remainingWeeklyMinutes(2, 130)).toBe(0);
  });
});

describe('contract gating', () => {
  it('table: only active, started contracts; fixed-price only with the setting', () => {
    const now = MON + 10 * HOUR;
    const rows: [Partial<Contract>, boolean, string | undefined][] = [
      [{}, true, undefined],
      [{ status: 'paused' }, true, 'paused'],
      [{ status: 'ended' }, true, 'ended'],
      [{ startDate: MON + DAY }, true, 'not-started'],
      // A start date later today opened at today's 00:00 UTC.
      [{ startDate: MON + DAY - 1 }, true, undefined],
      [{ type: 'fixed' }, false, 'fixed-price-off'],
      [{ type: 'fixed' }, true, undefined],
      [
        {
          statusHistory: [
            { at: MON, status: 'active' },
            { at: now, status: 'paused' },
          ],
        },
        true,
        'paused',
      ],
      [
        {
          statusHistory: [
            { at: MON, status: 'paused' },
            { at: now + 1, status: 'active' },
          ],
        },
        true,
        'paused',
      ],
    ];
    for (const [over, fixedOn, reason] of rows) {
      const g = gateContract(contract(over), now, { trackFixedPrice: fixedOn });
      if (reason === undefined) expect(g.ok).toBe(true);
      else expect(g).toMatchObject({ ok: false, reason });
    }
  });

  it('property: a future start date opens exactly at 00:00 UTC of that date, in every zone', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: MON, max: MON + 60 * DAY }),
        fc.integer({ min: -DAY, max: 2 * DAY }),
        (start, delta) => {
          const c = contract({ startDate: start });
          const midnight = Math.floor(start / DAY) * DAY;
          const t = midnight + delta;
          expect(gateContract(c, t, { trackFixedPrice: true }).ok).toBe(t >= midnight);
        },
      ),
    );
  });
});

describe('tracking decisions', () => {
  const base = {
    contract: contract(),
    now: MON + HOUR,
    memo: 'work',
    pendingMinutes: 0,
    capacityMinutes: 1440,
    degraded: false,
    weekUsedMinutes: 0,
    settings: { trackFixedPrice: true, requireMemo: true, refreshLagMs: 0, stopAtWeeklyLimit: true },
  };
  it('table: cache full blocks every contract first; memo; degraded; limit', () => {
    expect(decideTracking(base).ok).toBe(true);
    expect(decideTracking({ ...base, pendingMinutes: 1440 })).toMatchObject({ reason: 'cache-full' });
    expect(decideTracking({ ...base, pendingMinutes: 1439 }).ok).toBe(true);
    expect(
      decideTracking({ ...base, pendingMinutes: 1440, contract: contract({ status: 'paused' }) }),
    ).toMatchObject({ reason: 'cache-full' });
    expect(decideTracking({ ...base, degraded: true })).toMatchObject({ reason: 'store-degraded' });
    expect(decideTracking({ ...base, memo: '  ' })).toMatchObject({ reason: 'memo-required' });
    const limited = contract({ limitHistory: [{ at: MON - DAY, hours: 1 }] });
    expect(decideTracking({ ...base, contract: limited, weekUsedMinutes: 59 }).ok).toBe(true);
    expect(decideTracking({ ...base, contract: limited, weekUsedMinutes: 60 })).toMatchObject({
      reason: 'weekly-limit',
    });
    expect(decideTracking({ ...base, contract: undefined })).toMatchObject({ reason: 'unknown-contract' });
  });

  it('idle stop after exactly idleStopMinutes without input', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: MON, max: MON + WEEK }),
        fc.integer({ min: 1, max: 60 }),
        fc.nat(7200_000),
        (last, idle, dt) => {
          expect(isIdleStopDue(last, last + dt, idle)).toBe(dt >= idle * 60_000);
        },
      ),
    );
  });
});

describe('manual time', () => {
  const now = MON + 2 * DAY + 10 * HOUR;
  const ok = { contract: contract(), now, occupiedSlots: new Set<number>(), trackFixedPrice: true };
  it('table: allowed, aligned, current week, not future, no overlap', () => {
    const from = MON + DAY;
    expect(validateManualTime({ ...ok, from, to: from + 1_200_000 })).toEqual({
      ok: true,
      slots: [from / 600_000, from / 600_000 + 1],
    });
    expect(
      validateManualTime({
        ...ok,
        contract: contract({ manualTimeAllowed: false }),
        from,
        to: from + 600_000,
      }),
    ).toMatchObject({ reason: 'manual-not-allowed' });
    expect(validateManualTime({ ...ok, from: from + 1, to: from + 600_001 })).toMatchObject({
      reason: 'not-aligned',
    });
    expect(validateManualTime({ ...ok, from, to: from })).toMatchObject({ reason: 'empty-range' });
    expect(validateManualTime({ ...ok, from: now - 600_000 + 600_000, to: now + 600_000 })).toMatchObject({
      reason: 'future',
    });
    expect(validateManualTime({ ...ok, from: MON - 600_000, to: MON })).toMatchObject({
      reason: 'not-current-week',
    });
    expect(
      validateManualTime({ ...ok, occupiedSlots: new Set([from / 600_000 + 1]), from, to: from + 1_200_000 }),
    ).toMatchObject({ reason: 'overlap' });
    expect(
      validateManualTime({ ...ok, contract: contract({ status: 'paused' }), from, to: from + 600_000 }),
    ).toMatchObject({ reason: 'contract-not-active' });
  });
});
