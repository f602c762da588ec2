/**
 * The cache gauge: cached hours against the cache's capacity as a half-circle arc. Why an arc:
 * "how full is it" is the whole question, and an arc reads at a glance on a phone. The arc's
 * sweep is proportional to the fill (a fuller cache draws a longer arc); the warn mark sits at
 * the check's threshold so the picture and the finding agree.
 */
import { plural } from '../../core/format.js';
import type { Chart } from './svg.js';
import { clamp, hoursText, line, n, svgRoot, text } from './svg.js';

export interface CacheGaugeData {
  pendingMinutes: number;
  capacityMinutes: number;
  /** The percentage at which cache-fullness warns. */
  warnPercent: number;
  pendingSegments: number;
}

const W = 320;
const H = 190;
const CX = W / 2;
const CY = 160;
const R = 120;

/** The point on the half circle at fill fraction f (0 = left end, 1 = right end). */
function at(f: number, r = R): [number, number] {
  const a = Math.PI * (1 - f);
  return [CX + r * Math.cos(a), CY - r * Math.sin(a)];
}

function arc(f: number, cls: string): string {
  if (f <= 0) return '';
  const [x, y] = at(f);
  return `<path class="${cls}" d="M ${n(CX - R)} ${n(CY)} A ${R} ${R} 0 0 1 ${n(x)} ${n(y)}"/>`;
}

export function cacheGaugeChart(d: CacheGaugeData): Chart {
  const cap = d.capacityMinutes > 0 ? d.capacityMinutes : 1;
  const f = clamp(d.pendingMinutes / cap, 0, 1);
  const percent = Math.floor((d.pendingMinutes / cap) * 100);
  const level = percent >= 100 ? 'full' : percent >= d.warnPercent ? 'warn' : 'ok';
  const words =
    level === 'full' ? 'full: no more time can be logged' : level === 'warn' ? 'nearly full' : 'room left';
  const [wx1, wy1] = at(d.warnPercent / 100, R - 16);
  const [wx2, wy2] = at(d.warnPercent / 100, R + 16);
  const [lx, ly] = at(d.warnPercent / 100, R + 26);
  const summary = `${hoursText(d.pendingMinutes)} cached of ${hoursText(d.capacityMinutes)} (${percent} %, ${words}).`;
  const body = [
    arc(1, 'gauge-track'),
    arc(f, `gauge-fill ${level}`),
    line(wx1, wy1, wx2, wy2, 'mark warn'),
    text(lx, ly, `warn ${d.warnPercent} %`, 'small muted', 'middle'),
    text(CX, CY - 28, hoursText(d.pendingMinutes), 'big', 'middle'),
    text(CX, CY - 4, `of ${hoursText(d.capacityMinutes)} · ${percent} %`, 'muted', 'middle'),
    text(CX - R, CY + 22, '0', 'small muted', 'middle'),
    text(CX + R, CY + 22, hoursText(d.capacityMinutes), 'small muted', 'middle'),
  ].join('');
  return {
    title: 'Offline time cache',
    svg: svgRoot(W, H, summary, body, 'gauge'),
    text: `${summary} ${plural(d.pendingSegments, 'segment')} ${d.pendingSegments === 1 ? 'waits' : 'wait'} to upload.`,
  };
}
