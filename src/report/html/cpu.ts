/**
 * CPU of the tracker's processes over the sampling window, one line per process, against the
 * helper-cpu check's warn and fail thresholds. Why: "the Helper eats my CPU" is either a steady
 * plateau (a real problem) or a spike (a screenshot being encoded); the shape tells them apart,
 * two numbers do not. Lines differ by dash pattern and carry their name at the end, and the peak
 * is written out, so colour is never the only signal.
 */
import type { Chart } from './svg.js';
import { hatchDefs, line, n, rect, svgRoot, text } from './svg.js';

export interface CpuPoint {
  /** Milliseconds since the window started. */
  atMs: number;
  /** CPU over the interval ending here, in % of one core. */
  percent: number;
}

export interface CpuSeries {
  /** Process name and role, e.g. "Upwork Helper (gpu)". */
  label: string;
  pid: number;
  points: CpuPoint[];
  /** The window's average as the helper-cpu check measured it (cumulative CPU time over the window); the mean of the points when absent. */
  average?: number;
}

export interface CpuData {
  windowMs: number;
  warnOver: number;
  failOver: number;
  series: CpuSeries[];
  /** How the samples were taken, in words ("/proc/<pid>/stat every 250 ms"). */
  method?: string;
}

const W = 640;
const H = 230;
const X0 = 48;
const X1 = 452;
const TOP = 14;
const BASE = 190;
const DASHES = ['', '6 3', '2 3', '10 3 2 3', '1 5'];

export function cpuPeak(d: CpuData): { series: CpuSeries; point: CpuPoint } | undefined {
  let best: { series: CpuSeries; point: CpuPoint } | undefined;
  for (const s of d.series)
    for (const p of s.points) if (!best || p.percent > best.point.percent) best = { series: s, point: p };
  return best;
}

function averageOf(s: CpuSeries): number | undefined {
  if (s.average !== undefined) return s.average;
  if (s.points.length === 0) return undefined;
  return s.points.reduce((a, p) => a + p.percent, 0) / s.points.length;
}

/** The process with the highest window average: what the helper-cpu check judges, unlike a single peak sample. */
export function cpuBusiest(d: CpuData): { series: CpuSeries; average: number } | undefined {
  let best: { series: CpuSeries; average: number } | undefined;
  for (const s of d.series) {
    const average = averageOf(s);
    if (average !== undefined && (!best || average > best.average)) best = { series: s, average };
  }
  return best;
}

function verdictOf(d: CpuData, percent: number): string {
  if (percent > d.failOver) return `above the ${d.failOver} % fail line`;
  if (percent > d.warnOver) return `above the ${d.warnOver} % warn line`;
  return `below the ${d.warnOver} % warn line`;
}

function summaryOf(d: CpuData, win: number): string {
  const peak = cpuPeak(d);
  const busiest = cpuBusiest(d);
  const secs = `${(win / 1000).toFixed(1)} s`;
  if (!peak || !busiest) return `No CPU samples of the tracker's processes over ${secs}.`;
  const avg = `${busiest.series.label}, pid ${busiest.series.pid}, averaged ${busiest.average.toFixed(1)} % over the window, ${verdictOf(d, busiest.average)} (the check judges the average)`;
  return `CPU peak ${peak.point.percent.toFixed(1)} % of a core (${peak.series.label}, pid ${peak.series.pid}) over ${secs}; ${avg}.`;
}

export function cpuChart(d: CpuData): Chart {
  const peak = cpuPeak(d);
  const top = Math.max(d.failOver * 1.25, (peak?.point.percent ?? 0) * 1.1, 10);
  const win = Math.max(1, d.windowMs);
  const x = (t: number) => X0 + (t / win) * (X1 - X0);
  const y = (p: number) => BASE - (Math.max(0, p) / top) * (BASE - TOP);
  const parts: string[] = [hatchDefs('hatch-cpu')];
  parts.push(rect(X0, y(top), X1 - X0, y(d.failOver) - y(top), 'band fail', ' fill="url(#hatch-cpu)"'));
  parts.push(rect(X0, y(d.failOver), X1 - X0, y(d.warnOver) - y(d.failOver), 'band warn'));
  parts.push(line(X0, BASE, X1, BASE, 'axis'));
  parts.push(line(X0, y(d.warnOver), X1, y(d.warnOver), 'mark warn'));
  parts.push(line(X0, y(d.failOver), X1, y(d.failOver), 'mark fail'));
  parts.push(text(X0 - 4, y(d.warnOver) + 4, `${d.warnOver} %`, 'small muted', 'end'));
  parts.push(text(X0 - 4, y(d.failOver) + 4, `${d.failOver} %`, 'small muted', 'end'));
  parts.push(text(X0 - 4, BASE + 4, '0 %', 'small muted', 'end'));
  parts.push(text(X1 - 4, y(d.warnOver) - 4, 'warn', 'small muted', 'end'));
  parts.push(text(X1 - 4, y(d.failOver) - 4, 'fail', 'small muted', 'end'));
  parts.push(text(X0, BASE + 18, '0 s', 'small muted'));
  parts.push(text(X1, BASE + 18, `${(win / 1000).toFixed(1)} s`, 'small muted', 'end'));
  d.series.forEach((s, i) => {
    if (s.points.length === 0) return;
    const pts = s.points.map((p) => `${n(x(p.atMs))},${n(y(p.percent))}`).join(' ');
    const dash = DASHES[i % DASHES.length] ? ` stroke-dasharray="${DASHES[i % DASHES.length]}"` : '';
    parts.push(`<polyline class="cpu-line s${i % 5}" points="${pts}"${dash} data-pid="${s.pid}"/>`);
    const last = s.points.at(-1)!;
    parts.push(text(X1 + 6, y(last.percent) + 4 + i * 2, s.label, `small s${i % 5}`));
  });
  if (peak) {
    parts.push(`<circle class="peak" cx="${n(x(peak.point.atMs))}" cy="${n(y(peak.point.percent))}" r="4"/>`);
    parts.push(
      text(
        x(peak.point.atMs),
        y(peak.point.percent) - 8,
        `peak ${peak.point.percent.toFixed(1)} %`,
        'small strong',
        'middle',
      ),
    );
  }
  const busiest = cpuBusiest(d);
  if (busiest) {
    const ya = y(busiest.average);
    parts.push(line(X0, ya, X1, ya, 'avg'));
    parts.push(text(X0 + 4, ya - 4, `average ${busiest.average.toFixed(1)} %`, 'small strong'));
  }
  const summary = summaryOf(d, win);
  return {
    title: "CPU of the tracker's processes",
    svg: svgRoot(W, H, summary, parts.join(''), 'cpu'),
    text: summary,
    header: ['Process', 'pid', 'Samples', 'Average', 'Peak'],
    rows: d.series.map((s) => {
      const ps = s.points.map((p) => p.percent);
      const avg = averageOf(s) ?? 0;
      return [
        s.label,
        String(s.pid),
        String(ps.length),
        `${avg.toFixed(1)} %`,
        `${Math.max(0, ...ps).toFixed(1)} %`,
      ];
    }),
  };
}
