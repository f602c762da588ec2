/**
 * The tracker's log events on a time line, one labelled lane per kind (uploads, failures,
 * captures, errors, restarts, clock events), with the moment the problem started marked. Why: a
 * support agent's first question is "what happened just before it broke"; lanes make "uploads
 * stop here, failures start here" visible at once. The events come from the one log reader
 * (src/facts/logs.ts, via inspect); this module only sorts them into kinds and draws them.
 */
import type { Chart } from './svg.js';
import { line, rect, spanText, svgRoot, text } from './svg.js';

export type EventKind = 'upload' | 'failure' | 'capture' | 'error' | 'restart' | 'clock' | 'other';

export interface TimedEvent {
  at: number | null;
  time: string;
  level: string;
  category: string;
  text: string;
}

const LANES: { kind: Exclude<EventKind, 'other'>; label: string }[] = [
  { kind: 'upload', label: 'Uploads' },
  { kind: 'failure', label: 'Failures' },
  { kind: 'error', label: 'Errors' },
  { kind: 'capture', label: 'Captures' },
  { kind: 'restart', label: 'Restarts' },
  { kind: 'clock', label: 'Clock' },
];

const FAILURE_WORDS =
  /\bfail|refus|reject|offline|caching|timed? ?out|ETIMEDOUT|ECONN|ENOTFOUND|unreachable|HTTP [45]\d\d|cache full/i;

/** What kind of event a log line is, from its level, category and words. */
export function classifyEvent(e: Pick<TimedEvent, 'level' | 'category' | 'text'>): EventKind {
  const t = e.text;
  const cat = e.category.toLowerCase();
  if (/\bclock\b|time ?zone|\bntp\b|skew|time jump/i.test(t) || cat === 'clock') return 'clock';
  if ((cat === 'app' && /\bstart/i.test(t)) || /\brestart|crash|relaunch|exited unexpectedly/i.test(t))
    return 'restart';
  // A status change is as good or bad as the status it changes to ("Offline (caching)" vs "Online").
  const to = /->\s*"?([^"]+)"?\s*$/.exec(t)?.[1];
  if (to) return /offline|caching|full|auth|sign/i.test(to) ? 'failure' : 'other';
  if (cat === 'upload' && /accepted|\bdone\b/i.test(t) && e.level !== 'error')
    return /\b[1-9]\d* rejected/.test(t) ? 'failure' : 'upload';
  const net = cat === 'upload' || cat === 'network' || cat === 'cache';
  if (net && (FAILURE_WORDS.test(t) || e.level === 'error' || e.level === 'fatal')) return 'failure';
  if (e.level === 'error' || e.level === 'fatal') return 'error';
  if (/screenshot|sealed|captur/i.test(t)) return 'capture';
  if (e.level === 'warn' && FAILURE_WORDS.test(t)) return 'failure';
  return 'other';
}

/**
 * When the problem started: the first failure or error after the last successful upload (or the
 * first one at all when nothing ever uploaded). None when the logs show no problem.
 */
export function problemStart<T extends TimedEvent>(events: readonly T[]): T | undefined {
  const kinds = events.map((e) => classifyEvent(e));
  let lastUpload = -1;
  kinds.forEach((k, i) => {
    if (k === 'upload') lastUpload = i;
  });
  for (let i = lastUpload + 1; i < events.length; i++)
    if ((kinds[i] === 'failure' || kinds[i] === 'error') && events[i]!.at !== null) return events[i];
  return undefined;
}

const W = 640;
const X0 = 110;
const X1 = 628;
const ROW = 24;
const TOP = 30;

function hhmm(e: TimedEvent): string {
  return e.time.replace('T', ' ').slice(0, 16);
}

export function timelineChart(events: readonly TimedEvent[], hours: number): Chart | undefined {
  const timed = events.filter((e) => e.at !== null).sort((a, b) => a.at! - b.at!);
  if (timed.length === 0) return undefined;
  const end = timed.at(-1)!.at!;
  const start = Math.min(timed[0]!.at!, end - 60_000);
  const x = (t: number) => X0 + ((t - start) / Math.max(1, end - start)) * (X1 - X0);
  const H = TOP + LANES.length * ROW + 30;
  const parts: string[] = [];
  const counts = new Map<EventKind, number>();
  for (const e of timed) counts.set(classifyEvent(e), (counts.get(classifyEvent(e)) ?? 0) + 1);
  LANES.forEach((lane, i) => {
    const y = TOP + i * ROW;
    parts.push(text(4, y + 15, `${lane.label} ${counts.get(lane.kind) ?? 0}`, 'small'));
    parts.push(rect(X0, y + 2, X1 - X0, ROW - 4, 'lane'));
    for (const e of timed)
      if (classifyEvent(e) === lane.kind)
        parts.push(rect(x(e.at!) - 1.5, y + 4, 3, ROW - 8, `ev ${lane.kind}`, ` data-kind="${lane.kind}"`));
  });
  const yb = TOP + LANES.length * ROW + 4;
  parts.push(line(X0, yb, X1, yb, 'axis'));
  parts.push(
    text(X0, yb + 16, hhmm(timed[0]!), 'small muted'),
    text(X1, yb + 16, hhmm(timed.at(-1)!), 'small muted', 'end'),
  );
  const first = problemStart(timed);
  if (first) {
    const px = x(first.at!);
    parts.push(line(px, TOP - 6, px, yb, 'mark start'));
    parts.push(
      text(
        px,
        TOP - 12,
        `problem started ${hhmm(first).slice(11)}`,
        'small strong',
        px > X1 - 120 ? 'end' : 'middle',
      ),
    );
  }
  const tally = LANES.map((l) => `${counts.get(l.kind) ?? 0} ${l.label.toLowerCase()}`).join(', ');
  const summary =
    `Log events over ${spanText(end - start)} (last ${hours} h asked): ${tally}. ` +
    (first
      ? `The problem started at ${hhmm(first)} (log time): ${first.text}`
      : 'No failure or error after the last upload.');
  const notable = timed.filter((e) => !['capture', 'other'].includes(classifyEvent(e))).slice(-40);
  return {
    title: "Timeline of the tracker's logs",
    svg: svgRoot(W, H, summary, parts.join(''), 'timeline'),
    text: summary,
    header: ['Time (log)', 'Kind', 'Level', 'Event'],
    rows: notable.map((e) => [hhmm(e), classifyEvent(e), e.level, `${e.category}: ${e.text}`]),
  };
}
