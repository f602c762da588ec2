/**
 * This machine's clock offset against each time source (the service's Date header, an SNTP
 * server), on one axis with the clock-skew check's warn and fail bands. Why: a clock minutes off
 * gets time refused or misfiled, and seeing the dot sit in the hatched fail band (with its error
 * bar) explains the finding better than a number alone. Offsets are written next to each dot.
 */
import type { Chart } from './svg.js';
import { hatchDefs, line, n, rect, svgRoot, text } from './svg.js';

export interface ClockSource {
  /** "service https://…" or "SNTP pool.ntp.org". */
  name: string;
  /** local − source, ms (positive: this machine is ahead). */
  offsetMs: number;
  uncertaintyMs: number;
}

export interface ClockData {
  warnOverMs: number;
  failOverMs: number;
  sources: ClockSource[];
}

const W = 640;
const X0 = 20;
const X1 = 620;
const TOP = 26;
const ROW = 40;

/** "+15 min 2 s", "−850 ms": signed, for people. */
export function offsetText(ms: number): string {
  const sign = ms > 0 ? '+' : ms < 0 ? '−' : '±';
  const a = Math.abs(ms);
  if (a < 1000) return `${sign}${Math.round(a)} ms`;
  const s = Math.round(a / 1000);
  if (s < 60) return `${sign}${Number.isInteger(a / 1000) ? a / 1000 : (a / 1000).toFixed(1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${sign}${m} min${s % 60 ? ` ${s % 60} s` : ''}`;
  return `${sign}${Math.floor(m / 60)} h ${m % 60} min`;
}

/**
 * Signed log scale: the warn line (30 s) and the fail line (5 min) are ten times apart and an
 * offset can be hours (a wrong time zone), so a linear axis would squash one end or the other.
 */
function scale(far: number): (v: number) => number {
  const cx = (X0 + X1) / 2;
  const k = (X1 - X0) / 2 / Math.log10(1 + far / 1000);
  return (v) => cx + Math.sign(v) * k * Math.log10(1 + Math.min(Math.abs(v), far) / 1000);
}

export function clockChart(d: ClockData): Chart {
  const far = Math.max(
    d.failOverMs * 3,
    ...d.sources.map((s) => (Math.abs(s.offsetMs) + s.uncertaintyMs) * 2),
  );
  const cx = (X0 + X1) / 2;
  const x = scale(far);
  const H = TOP + Math.max(1, d.sources.length) * ROW + 44;
  const yb = H - 44;
  const parts: string[] = [hatchDefs('hatch-clock')];
  parts.push(
    rect(X0, TOP - 10, x(-d.failOverMs) - X0, yb - TOP + 10, 'band fail', ' fill="url(#hatch-clock)"'),
  );
  parts.push(
    rect(
      x(d.failOverMs),
      TOP - 10,
      X1 - x(d.failOverMs),
      yb - TOP + 10,
      'band fail',
      ' fill="url(#hatch-clock)"',
    ),
  );
  parts.push(
    rect(x(-d.failOverMs), TOP - 10, x(-d.warnOverMs) - x(-d.failOverMs), yb - TOP + 10, 'band warn'),
  );
  parts.push(rect(x(d.warnOverMs), TOP - 10, x(d.failOverMs) - x(d.warnOverMs), yb - TOP + 10, 'band warn'));
  parts.push(line(X0, yb, X1, yb, 'axis'), line(cx, TOP - 10, cx, yb, 'grid'));
  for (const v of [-d.failOverMs, -d.warnOverMs, d.warnOverMs, d.failOverMs]) {
    parts.push(text(x(v), yb + 16, offsetText(v), 'small muted', 'middle'));
  }
  parts.push(text(cx, yb + 16, '0', 'small muted', 'middle'));
  parts.push(text(X1, yb + 32, 'log scale', 'small muted', 'end'));
  parts.push(
    text(X0 + 4, TOP - 14, 'behind ◀', 'small muted'),
    text(X1 - 4, TOP - 14, '▶ ahead', 'small muted', 'end'),
  );
  d.sources.forEach((s, i) => {
    const y = TOP + i * ROW + ROW / 2;
    const a = Math.abs(s.offsetMs) - s.uncertaintyMs;
    const level = a > d.failOverMs ? 'fail' : a > d.warnOverMs ? 'warn' : 'pass';
    parts.push(line(x(s.offsetMs - s.uncertaintyMs), y, x(s.offsetMs + s.uncertaintyMs), y, 'errbar'));
    parts.push(
      `<circle class="dot ${level}" cx="${n(x(s.offsetMs))}" cy="${n(y)}" r="6" data-offset-ms="${Math.round(s.offsetMs)}"/>`,
    );
    const right = x(s.offsetMs) < cx;
    parts.push(
      text(
        x(s.offsetMs) + (right ? 12 : -12),
        y - 8,
        `${offsetText(s.offsetMs)} · ${s.name}`,
        'small strong',
        right ? 'start' : 'end',
      ),
    );
  });
  const words = d.sources.map(
    (s) => `${offsetText(s.offsetMs)} (±${offsetText(s.uncertaintyMs).slice(1)}) against ${s.name}`,
  );
  const summary = `Clock offset ${words.join('; ')}. Warn beyond ${offsetText(d.warnOverMs).slice(1)}, fail beyond ${offsetText(d.failOverMs).slice(1)}.`;
  return { title: 'Clock offset', svg: svgRoot(W, H, summary, parts.join(''), 'clock'), text: summary };
}
