/**
 * The work week (Monday 00:00 to Sunday 24:00 UTC, then the Work Diary lock at Monday 12:00 UTC):
 * which segments were uploaded, which still wait in the cache and which the server refused, with
 * the lock marked and the time left to it. Why: cached time that misses the lock is lost, and the
 * distance between "now" and the lock line is the one thing a freelancer must see. States sit in
 * separate labelled lanes (and refused ones are hatched), so colour is never the only signal.
 * A second chart shows the activity level of the most recent segments as bars.
 */
import { plural } from '../../core/format.js';
import type { Chart } from './svg.js';
import { hatchDefs, hoursText, line, rect, spanText, svgRoot, text, utcText } from './svg.js';

export type SegmentState = 'pending' | 'acked' | 'rejected';

export interface WeekSegment {
  slotStart: number;
  minutes: number;
  state: SegmentState;
  /** Minutes of the 10 with any input; null when unknown. */
  activeMinutes: number | null;
}

export interface WeekData {
  /** The moment the report describes (the engine's simulated clock for scenarios). */
  now: number;
  /** Monday 00:00 UTC of the week shown. */
  weekStart: number;
  /** When that week's Work Diary locks (Monday 12:00 UTC after it). */
  lockAt: number;
  segments: WeekSegment[];
}

const SLOT = 600_000;
const DAY = 86_400_000;
const W = 640;
const X0 = 112;
const X1 = 628;
const LANES: { state: SegmentState; label: string }[] = [
  { state: 'acked', label: 'Uploaded' },
  { state: 'pending', label: 'Cached' },
  { state: 'rejected', label: 'Refused' },
];
const STATE_WORD: Record<SegmentState, string> = {
  acked: 'uploaded',
  pending: 'cached',
  rejected: 'refused',
};
const LANE_H = 22;
const TOP = 34;

/** Consecutive slots in one state become one bar: fewer elements, readable at any width. */
export function runsOf(
  segments: readonly WeekSegment[],
  state: SegmentState,
): { from: number; to: number }[] {
  const slots = [...new Set(segments.filter((s) => s.state === state).map((s) => s.slotStart))].sort(
    (a, b) => a - b,
  );
  const runs: { from: number; to: number }[] = [];
  for (const s of slots) {
    const last = runs.at(-1);
    if (last && s <= last.to) last.to = s + SLOT;
    else runs.push({ from: s, to: s + SLOT });
  }
  return runs;
}

function minutesIn(segments: readonly WeekSegment[], state: SegmentState, from: number, to: number): number {
  return segments
    .filter((s) => s.state === state && s.slotStart >= from && s.slotStart < to)
    .reduce((a, s) => a + s.minutes, 0);
}

export function weekChart(d: WeekData): Chart {
  const end = d.lockAt;
  const x = (t: number) => X0 + ((t - d.weekStart) / (end - d.weekStart)) * (X1 - X0);
  const inWeek = (s: WeekSegment) => s.slotStart >= d.weekStart && s.slotStart < end;
  const segs = d.segments.filter(inWeek);
  const H = TOP + LANES.length * (LANE_H + 8) + 40;
  const parts: string[] = [hatchDefs('hatch-week')];
  for (let i = 0; i <= 7; i++) {
    const t = d.weekStart + i * DAY;
    parts.push(line(x(t), TOP - 6, x(t), H - 34, 'grid'));
    if (i < 7) {
      const label = new Date(t).toUTCString().slice(0, 3);
      parts.push(text(x(t + DAY / 2), H - 20, label, 'small muted', 'middle'));
    }
  }
  LANES.forEach((lane, i) => {
    const y = TOP + i * (LANE_H + 8);
    const mins = minutesIn(segs, lane.state, d.weekStart, end);
    parts.push(text(4, y + 15, `${lane.label} ${hoursText(mins)}`, 'small'));
    parts.push(rect(X0, y, X1 - X0, LANE_H, 'lane'));
    for (const r of runsOf(segs, lane.state)) {
      const w = Math.max(2, x(r.to) - x(r.from));
      const fill = lane.state === 'rejected' ? ' fill="url(#hatch-week)"' : '';
      parts.push(rect(x(r.from), y, w, LANE_H, `seg ${lane.state}`, fill));
    }
  });
  const left = d.lockAt - d.now;
  const lockWords = left > 0 ? `locks in ${spanText(left)}` : `locked ${spanText(-left)} ago`;
  parts.push(line(x(d.lockAt) - 1, TOP - 18, x(d.lockAt) - 1, H - 34, 'mark lock'));
  parts.push(text(x(d.lockAt) - 4, TOP - 22, `lock Mon 12:00 · ${lockWords}`, 'small strong', 'end'));
  if (d.now >= d.weekStart && d.now <= end) {
    parts.push(line(x(d.now), TOP - 6, x(d.now), H - 34, 'mark now'));
    parts.push(text(x(d.now), H - 6, 'now', 'small strong', 'middle'));
  }
  const cached = minutesIn(segs, 'pending', d.weekStart, end);
  const summary =
    `Week of ${utcText(d.weekStart).slice(0, 10)}: ${hoursText(minutesIn(segs, 'acked', d.weekStart, end))} uploaded, ` +
    `${hoursText(cached)} cached, ${hoursText(minutesIn(segs, 'rejected', d.weekStart, end))} refused. ` +
    `Work Diary ${lockWords} (${utcText(d.lockAt)}).`;
  return {
    title: 'This week and the Work Diary lock',
    svg: svgRoot(W, H, summary, parts.join(''), 'week'),
    text: summary,
  };
}

/** Which bar is which, in words beside the swatches (the bars' colour is not the only key). */
function legend(right: number, y: number): string {
  const items: [string, string][] = [
    ['acked', 'uploaded'],
    ['pending', 'cached'],
    ['rejected', 'refused'],
  ];
  return items
    .map(([cls, word], i) => {
      const x = right - (items.length - i) * 84;
      const fill = cls === 'rejected' ? ' fill="url(#hatch-act)"' : '';
      return rect(x, y - 10, 12, 12, `bar ${cls}`, fill) + text(x + 16, y, word, 'small muted');
    })
    .join('');
}

/** Activity level (0–10 active minutes) of the most recent segments as bars, oldest left. */
export function activityChart(segments: readonly WeekSegment[], max = 36): Chart | undefined {
  const recent = [...segments]
    .filter((s) => s.activeMinutes !== null)
    .sort((a, b) => a.slotStart - b.slotStart)
    .slice(-max);
  if (recent.length === 0) return undefined;
  const Wd = 640;
  const Hd = 150;
  const top = 14;
  const base = 110;
  const bw = (Wd - 60) / max;
  const parts = [hatchDefs('hatch-act')];
  for (const v of [0, 5, 10]) {
    const y = base - (v / 10) * (base - top);
    parts.push(line(40, y, Wd - 8, y, 'grid'), text(34, y + 4, String(v), 'small muted', 'end'));
  }
  recent.forEach((s, i) => {
    const h = ((s.activeMinutes ?? 0) / 10) * (base - top);
    const fill = s.state === 'rejected' ? ' fill="url(#hatch-act)"' : '';
    parts.push(
      rect(
        44 + i * bw,
        base - h,
        Math.max(1, bw - 2),
        h,
        `bar ${s.state}`,
        `${fill} data-active="${s.activeMinutes}"`,
      ),
    );
  });
  parts.push(text(44, base + 18, utcText(recent[0]!.slotStart), 'small muted'));
  parts.push(text(Wd - 8, base + 18, utcText(recent.at(-1)!.slotStart), 'small muted', 'end'));
  parts.push(text(44, base + 34, 'active minutes per 10-minute segment', 'small muted'));
  parts.push(legend(Wd - 8, base + 34));
  const avg = recent.reduce((a, s) => a + (s.activeMinutes ?? 0), 0) / recent.length;
  const low = recent.filter((s) => (s.activeMinutes ?? 0) <= 2).length;
  const summary = `Activity of the last ${plural(recent.length, 'segment')}: ${avg.toFixed(1)} of 10 minutes active on average; ${low} at 2 or less.`;
  return {
    title: 'Activity of recent segments',
    svg: svgRoot(Wd, Hd, summary, parts.join(''), 'activity'),
    text: summary,
    header: ['Segment (UTC)', 'Active minutes', 'State'],
    rows: recent.map((s) => [utcText(s.slotStart), `${s.activeMinutes}/10`, STATE_WORD[s.state]]),
  };
}
