/**
 * Small building blocks for the report's inline SVG charts. Everything here is pure string
 * building: colours come from CSS classes (so the page's light/dark variables apply), and every
 * chart ships with a sentence that says the same thing in words (screen readers, phones, print).
 */
export function esc(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** Coordinates with at most one decimal: small files, stable output. */
export function n(v: number): string {
  const r = Math.round(v * 10) / 10;
  return Object.is(r, -0) ? '0' : String(r);
}

export function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}

/** A chart: the SVG and the same facts in words (its text equivalent). */
export interface Chart {
  /** Short heading shown above the chart. */
  title: string;
  svg: string;
  /** One or two sentences carrying the key numbers; also the SVG's accessible name. */
  text: string;
  /** Optional rows for a table under the chart (the data in full). */
  rows?: string[][];
  header?: string[];
}

/** `<svg>` root: scales to its container, named by `label` for assistive technology. */
export function svgRoot(width: number, height: number, label: string, body: string, cls = ''): string {
  return `<svg class="chart ${cls}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${esc(label)}" xmlns="http://www.w3.org/2000/svg">${body}</svg>`;
}

export function text(x: number, y: number, s: string, cls = '', anchor = 'start'): string {
  return `<text x="${n(x)}" y="${n(y)}" class="${cls}" text-anchor="${anchor}">${esc(s)}</text>`;
}

export function rect(x: number, y: number, w: number, h: number, cls: string, extra = ''): string {
  return `<rect x="${n(x)}" y="${n(y)}" width="${n(Math.max(0, w))}" height="${n(Math.max(0, h))}" class="${cls}"${extra}/>`;
}

export function line(x1: number, y1: number, x2: number, y2: number, cls: string): string {
  return `<line x1="${n(x1)}" y1="${n(y1)}" x2="${n(x2)}" y2="${n(y2)}" class="${cls}"/>`;
}

/**
 * Hatch patterns: refused segments, failing stages and the fail band are hatched as well as
 * coloured, so the difference survives grey-scale printing and colour blindness.
 */
export function hatchDefs(id: string): string {
  return `<defs><pattern id="${id}" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" class="hatch-bg"/><line x1="0" y1="0" x2="0" y2="6" class="hatch-line"/></pattern></defs>`;
}

/** Hours with one decimal unless whole: 14 h, 13.5 h. */
export function hoursText(minutes: number): string {
  const h = minutes / 60;
  return Number.isInteger(h) ? `${h} h` : `${h.toFixed(1)} h`;
}

/** A span of time for people: "4 h 12 min", "35 min", "2 d 3 h". */
export function spanText(ms: number): string {
  const min = Math.round(Math.abs(ms) / 60_000);
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  if (h < 48) return `${h} h ${min % 60} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

/** UTC date and time without seconds: "2026-11-30 12:00 UTC". */
export function utcText(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}
