/**
 * What the report's charts draw, taken from the run's facts. Pure: (facts) → chart inputs. A fact
 * that was not collected yields no chart (never an empty "all good" picture); the thresholds come
 * from the checks themselves, so the bands in a chart and the verdict of its finding agree.
 */
import type { Facts } from '../../core/facts.js';
import { factValue } from '../../core/facts.js';
import { DEFAULT_CAPACITY_MINUTES, WARN_PERCENT } from '../../checks/cache-fullness.js';
import { FAIL_OVER_MS, WARN_OVER_MS } from '../../checks/clock-skew.js';
import { FAIL_OVER, WARN_OVER } from '../../checks/helper-cpu.js';
import type { CacheFacts } from '../../facts/cache.js';
import type { ProcessesFacts } from '../../facts/processes.js';
import type { ClockData, ClockSource } from './clock.js';
import type { CpuData, CpuPoint } from './cpu.js';
import type { CacheGaugeData } from './gauge.js';
import type { WaterfallData, WaterfallStatus } from './waterfall.js';
import type { WeekData, WeekSegment } from './week.js';

export interface ChartInputs {
  cache?: CacheGaugeData;
  week?: WeekData;
  activity?: WeekSegment[];
  cpu?: CpuData;
  clock?: ClockData;
  network?: WaterfallData[];
}

const DAY = 86_400_000;
const WEEK = 7 * DAY;
/** 1970-01-05T00:00Z was a Monday; the tracker's weeks are UTC. */
const MONDAY0 = 4 * DAY;

export function mondayOf(t: number): number {
  return MONDAY0 + Math.floor((t - MONDAY0) / WEEK) * WEEK;
}

function cacheInputs(c: CacheFacts, collectedAt: number): Pick<ChartInputs, 'cache' | 'week' | 'activity'> {
  if (c.format !== 'engine' || c.pendingMinutes === null) return {};
  const now = c.engineNow ?? collectedAt;
  const cache: CacheGaugeData = {
    pendingMinutes: c.pendingMinutes,
    capacityMinutes: c.capacityMinutes ?? DEFAULT_CAPACITY_MINUTES,
    warnPercent: WARN_PERCENT,
    pendingSegments: c.pendingSegments ?? 0,
  };
  // The week that matters is the one whose lock is next for the oldest waiting time; with nothing
  // waiting, the week we are in.
  const weekStart = mondayOf(c.oldestPending?.slotStart ?? now);
  const segments: WeekSegment[] = (c.recent ?? []).map((e) => ({ ...e }));
  const rejectedKnown = new Set(segments.filter((s) => s.state === 'rejected').map((s) => s.slotStart));
  for (const r of c.rejected)
    if (!rejectedKnown.has(r.slotStart))
      segments.push({ slotStart: r.slotStart, minutes: r.minutes, state: 'rejected', activeMinutes: null });
  const week: WeekData = { now, weekStart, lockAt: weekStart + WEEK + DAY / 2, segments };
  return { cache, week, activity: segments };
}

/**
 * CPU series per process. The collector keeps samples over the window (one point per interval, at
 * its end); a recording without them gives the window's average as a flat line.
 */
function cpuInputs(p: ProcessesFacts): CpuData | undefined {
  const windowMs = p.windowSec * 1000;
  const sampled = new Map((p.samples?.series ?? []).map((s) => [s.pid, s.points]));
  const series = p.tracker.flatMap((t) => {
    const points: CpuPoint[] = (sampled.get(t.pid) ?? []).flatMap((q) =>
      q.cpu === null ? [] : [{ atMs: q.t, percent: q.cpu }],
    );
    if (points.length === 0 && t.cpuPercent !== null)
      points.push({ atMs: 0, percent: t.cpuPercent }, { atMs: windowMs, percent: t.cpuPercent });
    if (points.length === 0) return [];
    return [
      {
        label: `${t.name} (${t.role})`,
        pid: t.pid,
        points,
        ...(t.cpuPercent !== null ? { average: t.cpuPercent } : {}),
      },
    ];
  });
  if (series.length === 0) return undefined;
  return { windowMs, warnOver: WARN_OVER, failOver: FAIL_OVER, series, method: p.method };
}

function clockInputs(facts: Facts): ClockData | undefined {
  const c = factValue(facts, 'clock');
  if (!c) return undefined;
  const sources: ClockSource[] = [];
  if (c.service)
    sources.push({
      name: `service ${c.service.url}`,
      offsetMs: c.service.offsetMs,
      uncertaintyMs: c.service.uncertaintyMs,
    });
  if (c.sntp)
    sources.push({
      name: `SNTP ${c.sntp.server}`,
      offsetMs: c.sntp.offsetMs,
      uncertaintyMs: Math.round(c.sntp.delayMs / 2),
    });
  return sources.length ? { warnOverMs: WARN_OVER_MS, failOverMs: FAIL_OVER_MS, sources } : undefined;
}

function networkInputs(facts: Facts): WaterfallData[] | undefined {
  const t = factValue(facts, 'tls');
  if (!t?.stages?.length) return undefined;
  const failed = t.stages.find((s) => s.status === 'fail' || s.status === 'timeout');
  return [
    {
      name: `service ${t.host}:${t.port}`,
      url: t.url,
      verdict: failed ? (failed.status === 'timeout' ? 'timeout' : 'fail') : 'pass',
      ...(t.failedStage ? { failedStage: t.failedStage } : {}),
      stages: t.stages.map((s) => ({ ...s, status: s.status as WaterfallStatus })),
    },
  ];
}

export function chartInputs(facts: Facts): ChartInputs {
  const out: ChartInputs = {};
  const cache = factValue(facts, 'cache');
  if (cache) Object.assign(out, cacheInputs(cache, Date.parse(facts.collectedAt)));
  const p = factValue(facts, 'processes');
  const cpu = p ? cpuInputs(p) : undefined;
  if (cpu) out.cpu = cpu;
  const clock = clockInputs(facts);
  if (clock) out.clock = clock;
  const network = networkInputs(facts);
  if (network) out.network = network;
  return out;
}
