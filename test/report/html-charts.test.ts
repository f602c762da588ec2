/** The report's SVG charts: pure data → SVG string; the drawing must follow the data. */
import { describe, expect, it } from 'vitest';
import { clockChart, offsetText } from '../../src/report/html/clock.js';
import { cpuChart } from '../../src/report/html/cpu.js';
import { chartInputs, mondayOf } from '../../src/report/html/data.js';
import { cacheGaugeChart } from '../../src/report/html/gauge.js';
import { waterfallChart } from '../../src/report/html/waterfall.js';
import { activityChart, runsOf, weekChart } from '../../src/report/html/week.js';
import type { WeekSegment } from '../../src/report/html/week.js';
import { engineCacheFacts } from '../helpers/engine-facts.js';
import { makeFacts, missing } from '../helpers/facts.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const MON = Date.UTC(2026, 10, 23); // Monday 2026-11-23 00:00 UTC

/** The angle (radians) the gauge's fill arc sweeps, read back from its path. */
function sweep(svg: string): number {
  const m = /class="gauge-fill[^"]*" d="M ([\d.]+) ([\d.]+) A (\d+) \d+ 0 0 1 ([\d.-]+) ([\d.-]+)"/.exec(svg);
  if (!m) return 0;
  const [x0, y0, r, x, y] = m.slice(1).map(Number) as [number, number, number, number, number];
  const cx = x0 + r;
  return Math.PI - Math.atan2(y0 - y, x - cx);
}

function attrs(svg: string, cls: string, attr: string): number[] {
  const re = new RegExp(`<[a-z]+ [^>]*class="${cls}"[^>]*>`, 'g');
  return [...svg.matchAll(re)].map((m) => Number(new RegExp(`${attr}="([\\d.-]+)"`).exec(m[0])?.[1]));
}

describe('cache gauge', () => {
  const gauge = (pending: number) =>
    cacheGaugeChart({ pendingMinutes: pending, capacityMinutes: 1440, warnPercent: 75, pendingSegments: 1 });

  it('draws a longer arc for a fuller cache, in proportion', () => {
    const a = sweep(gauge(240).svg);
    const b = sweep(gauge(1080).svg);
    expect(a).toBeCloseTo(Math.PI * (240 / 1440), 2);
    expect(b).toBeCloseTo(Math.PI * (1080 / 1440), 2);
    expect(b).toBeGreaterThan(a);
  });

  it('says the numbers in words and marks the level by class and words', () => {
    expect(gauge(240).text).toBe('4 h cached of 24 h (16 %, room left). 1 segment waits to upload.');
    expect(gauge(1080).svg).toContain('gauge-fill warn');
    const full = gauge(2000);
    expect(full.text).toContain('full: no more time can be logged');
    expect(sweep(full.svg)).toBeCloseTo(Math.PI, 2); // clamped at capacity
    expect(sweep(gauge(0).svg)).toBe(0);
  });
});

describe('week chart', () => {
  const seg = (t: number, state: WeekSegment['state'], active: number | null = 8): WeekSegment => ({
    slotStart: t,
    minutes: 10,
    state,
    activeMinutes: active,
  });

  it('merges consecutive slots of one state into one bar', () => {
    const s = [
      seg(MON, 'acked'),
      seg(MON + 10 * MIN, 'acked'),
      seg(MON + 30 * MIN, 'acked'),
      seg(MON, 'pending'),
    ];
    expect(runsOf(s, 'acked')).toEqual([
      { from: MON, to: MON + 20 * MIN },
      { from: MON + 30 * MIN, to: MON + 40 * MIN },
    ]);
  });

  it('marks the lock with the time left, and draws cached time in its own lane', () => {
    const now = MON + 7 * DAY + 8 * HOUR; // Monday 08:00, four hours before the lock
    const segments = [
      ...Array.from({ length: 12 }, (_, i) => seg(MON + 6 * DAY + 18 * HOUR + i * 10 * MIN, 'pending')),
      seg(MON + 2 * DAY, 'acked'),
      seg(MON + 3 * DAY, 'rejected'),
    ];
    const c = weekChart({ now, weekStart: MON, lockAt: MON + 7 * DAY + 12 * HOUR, segments });
    expect(c.text).toContain('2 h cached');
    expect(c.text).toContain('locks in 4 h 0 min');
    expect(c.svg).toContain('lock Mon 12:00 · locks in 4 h 0 min');
    const widths = attrs(c.svg, 'seg pending', 'width');
    expect(widths).toHaveLength(1);
    // 2 h of the 7.5-day axis (516 px wide).
    expect(widths[0]).toBeCloseTo((2 / 180) * 516, 0);
    expect(c.svg).toMatch(/class="seg rejected" fill="url\(#hatch-week\)"/);
  });

  it('says a week that has locked is locked', () => {
    const c = weekChart({
      now: MON + 8 * DAY,
      weekStart: MON,
      lockAt: MON + 7 * DAY + 12 * HOUR,
      segments: [],
    });
    expect(c.text).toContain('locked 12 h 0 min ago');
  });

  it('bars the activity of the most recent segments, taller for more activity', () => {
    const c = activityChart([
      seg(MON, 'acked', 2),
      seg(MON + 10 * MIN, 'pending', 9),
      seg(MON - DAY, 'acked', null),
    ])!;
    const heights = attrs(c.svg, 'bar (?:acked|pending)', 'height').slice(0, 2);
    expect(heights[1]).toBeGreaterThan(heights[0]!);
    expect(c.text).toContain('last 2 segments: 5.5 of 10');
    expect(activityChart([seg(MON, 'acked', null)])).toBeUndefined();
  });
});

describe('CPU chart', () => {
  it('draws one point per sample, the peak in words, against the thresholds', () => {
    const c = cpuChart({
      windowMs: 3000,
      warnOver: 25,
      failOver: 60,
      series: [
        {
          label: 'Upwork Helper (helper)',
          pid: 42,
          points: [0, 1, 2, 3].map((i) => ({ atMs: i * 1000, percent: [5, 80, 75, 10][i]! })),
        },
        {
          label: 'Upwork (app)',
          pid: 41,
          points: [
            { atMs: 0, percent: 2 },
            { atMs: 3000, percent: 3 },
          ],
        },
      ],
    });
    // The peak is one sample; the verdict follows the window average, as the helper-cpu check does.
    expect(c.text).toBe(
      'CPU peak 80.0 % of a core (Upwork Helper (helper), pid 42) over 3.0 s; Upwork Helper (helper), pid 42, averaged 42.5 % over the window, above the 25 % warn line (the check judges the average).',
    );
    expect(c.svg).toContain('average 42.5 %');
    const avgY = Number(/<line [^>]*y1="([\d.]+)"[^>]*class="avg"/.exec(c.svg)![1]);
    const warnY = Number(/<line [^>]*y1="([\d.]+)"[^>]*class="mark warn"/.exec(c.svg)![1]);
    const failY = Number(/<line [^>]*y1="([\d.]+)"[^>]*class="mark fail"/.exec(c.svg)![1]);
    expect(avgY < warnY && avgY > failY).toBe(true); // drawn between the warn and fail lines
    // The check's own average wins over the mean of the points when the facts carry it.
    const measured = cpuChart({
      windowMs: 3000,
      warnOver: 25,
      failOver: 60,
      series: [{ label: 'x', pid: 1, points: [{ atMs: 0, percent: 90 }], average: 10 }],
    });
    expect(measured.text).toMatch(/averaged 10\.0 % over the window, below the 25 % warn line/);
    const helper = /data-pid="42"/.test(c.svg)
      ? /points="([^"]+)"[^>]*data-pid="42"/.exec(c.svg)![1]!.split(' ')
      : [];
    expect(helper).toHaveLength(4);
    const ys = helper.map((p) => Number(p.split(',')[1]));
    expect(ys[1]).toBeLessThan(ys[0]!); // 80 % sits higher than 5 %
    expect(c.svg).toContain('stroke-dasharray="6 3"'); // the second line is dashed, not only another colour
  });
});

describe('network waterfall', () => {
  it('marks the failing stage, says "not reached" after it, and sizes bars by duration', () => {
    const c = waterfallChart({
      name: 'api',
      url: 'https://api.example:443/',
      verdict: 'fail',
      failedStage: 'tls',
      stages: [
        { stage: 'proxy', status: 'pass', durationMs: 1, summary: 'direct' },
        { stage: 'dns', status: 'pass', durationMs: 20, summary: 'resolved' },
        { stage: 'tcp', status: 'pass', durationMs: 40, summary: 'connected' },
        {
          stage: 'tls',
          status: 'fail',
          durationMs: 140,
          summary: 'certificate not trusted',
          code: 'SELF_SIGNED_CERT_IN_CHAIN',
        },
        { stage: 'http', status: 'skip', durationMs: 0, summary: 'not reached' },
      ],
    });
    expect(c.text).toBe(
      'api: fails at TLS after 140 ms (SELF_SIGNED_CERT_IN_CHAIN): certificate not trusted',
    );
    expect(c.svg).toContain('✗ TLS');
    expect(c.svg).toContain('140 ms · failed');
    expect(c.svg).toMatch(/class="stage fail" fill="url\(#hatch-net\)" data-stage="tls"/);
    const dns = Number(
      /width="([\d.]+)" height="[\d.]+" class="stage pass"[^>]*data-stage="dns"/.exec(c.svg)![1],
    );
    const tls = Number(
      /width="([\d.]+)" height="[\d.]+" class="stage fail"[^>]*data-stage="tls"/.exec(c.svg)![1],
    );
    expect(tls / dns).toBeCloseTo(7, 0);
    expect(c.svg).toContain('not reached');
  });
});

describe('clock chart', () => {
  it('puts a 15-minute offset in the fail band and a small one near zero', () => {
    const c = clockChart({
      warnOverMs: 30_000,
      failOverMs: 300_000,
      sources: [
        { name: 'service https://s/', offsetMs: 15 * MIN, uncertaintyMs: 500 },
        { name: 'SNTP ntp', offsetMs: -800, uncertaintyMs: 20 },
      ],
    });
    expect(c.text).toContain('+15 min (±500 ms) against service https://s/');
    expect(c.svg).toMatch(/class="dot fail"[^>]*data-offset-ms="900000"/);
    expect(c.svg).toMatch(/class="dot pass"[^>]*data-offset-ms="-800"/);
    const [far, near] = attrs(c.svg, 'dot (?:fail|pass)', 'cx');
    expect(far!).toBeGreaterThan(500);
    expect(Math.abs(near! - 320)).toBeLessThan(60);
    expect(offsetText(-90_000)).toBe('−1 min 30 s');
  });
});

describe('chart inputs from facts', () => {
  it('draws nothing from facts that were not collected', () => {
    const facts = makeFacts({ cache: missing('error'), processes: missing('timeout') });
    expect(chartInputs(facts)).toEqual({});
  });

  it('takes the week of the oldest waiting segment and its lock, and CPU samples when kept', () => {
    const slot = MON + 6 * DAY + 20 * HOUR;
    const facts = makeFacts({
      cache: engineCacheFacts({
        pendingSegments: 1,
        pendingMinutes: 10,
        engineNow: MON + 7 * DAY + 8 * HOUR,
        oldestPending: {
          contractId: 'c',
          slotStart: slot,
          minutes: 10,
          weekEndAt: MON + 7 * DAY,
          lockAt: MON + 7 * DAY + 12 * HOUR,
        },
        recent: [{ slotStart: slot, minutes: 10, state: 'pending', activeMinutes: 7 }],
      }),
      processes: {
        windowSec: 3,
        cores: 2,
        method: 'test',
        tracker: [
          {
            pid: 7,
            ppid: 1,
            name: 'Upwork Helper',
            role: 'helper',
            path: null,
            command: null,
            version: null,
            cpuPercent: 40,
          },
          {
            pid: 8,
            ppid: 1,
            name: 'Upwork',
            role: 'app',
            path: null,
            command: null,
            version: null,
            cpuPercent: 4,
          },
        ],
        samples: {
          startedAt: '2026-11-18T10:00:00.000Z',
          intervalMs: 500,
          series: [
            {
              pid: 7,
              name: 'Upwork Helper',
              role: 'helper',
              points: [
                { t: 500, cpu: 30 },
                { t: 1000, cpu: null },
                { t: 1500, cpu: 50 },
              ],
            },
          ],
        },
      },
    });
    const c = chartInputs(facts);
    expect(c.week?.weekStart).toBe(MON);
    expect(c.week?.lockAt).toBe(MON + 7 * DAY + 12 * HOUR);
    expect(c.cache?.pendingMinutes).toBe(10);
    // Samples as drawn points (an interval that could not be measured is left out, not drawn as 0).
    expect(c.cpu?.series[0]?.points).toEqual([
      { atMs: 500, percent: 30 },
      { atMs: 1500, percent: 50 },
    ]);
    expect(c.cpu?.series[1]?.points).toEqual([
      { atMs: 0, percent: 4 },
      { atMs: 3000, percent: 4 },
    ]);
    expect(mondayOf(MON + 3 * DAY + 5)).toBe(MON);
  });
});
