/**
 * The network path to one endpoint as a waterfall: proxy decision, DNS, TCP, TLS, HTTP and the
 * WebSocket upgrade, each a bar starting where the previous one ended, its length its duration.
 * Why: an admin needs to see *where* the path breaks (and what was slow before it); the failing
 * stage is hatched and labelled "failed", stages never reached say so in words.
 */
import type { Chart } from './svg.js';
import { hatchDefs, line, rect, svgRoot, text } from './svg.js';

export type WaterfallStatus = 'pass' | 'fail' | 'timeout' | 'skip';

export interface WaterfallStage {
  stage: string;
  status: WaterfallStatus;
  durationMs: number;
  summary: string;
  /** Error code when it failed (ECONNREFUSED, CERT_UNTRUSTED, …). */
  code?: string;
}

export interface WaterfallData {
  name: string;
  url: string;
  verdict: 'pass' | 'fail' | 'timeout';
  failedStage?: string;
  stages: WaterfallStage[];
}

const W = 640;
const X0 = 104;
const X1 = 470;
const ROW = 26;
const TOP = 8;
const LABEL: Record<string, string> = {
  proxy: 'Proxy',
  dns: 'DNS',
  tcp: 'TCP',
  tls: 'TLS',
  http: 'HTTP',
  websocket: 'WebSocket',
};
const MARK: Record<WaterfallStatus, string> = { pass: '✓', fail: '✗', timeout: '◷', skip: '–' };

export function stageLabel(stage: string): string {
  return LABEL[stage] ?? stage;
}

function ms(v: number): string {
  return v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${Math.round(v)} ms`;
}

export function waterfallChart(d: WaterfallData, hatchId = 'hatch-net'): Chart {
  const ran = d.stages.filter((s) => s.status !== 'skip');
  const total = Math.max(
    1,
    ran.reduce((a, s) => a + s.durationMs, 0),
  );
  const x = (t: number) => X0 + (t / total) * (X1 - X0);
  const H = TOP + d.stages.length * ROW + 26;
  const parts: string[] = [hatchDefs(hatchId)];
  let t = 0;
  d.stages.forEach((s, i) => {
    const y = TOP + i * ROW;
    const bad = s.status === 'fail' || s.status === 'timeout';
    parts.push(
      text(4, y + 16, `${MARK[s.status]} ${stageLabel(s.stage)}`, bad ? 'small strong fail-text' : 'small'),
    );
    if (s.status === 'skip') {
      parts.push(text(x(t) + 4, y + 16, 'not reached', 'small muted'));
      return;
    }
    const w = Math.max(3, x(t + s.durationMs) - x(t));
    const fill = bad ? ` fill="url(#${hatchId})"` : '';
    parts.push(
      rect(
        x(t),
        y + 4,
        w,
        ROW - 8,
        `stage ${s.status}`,
        `${fill} data-stage="${s.stage}" data-ms="${Math.round(s.durationMs)}"`,
      ),
    );
    // Durations sit in a column right of the plot, so a long bar never hides its own label.
    const what = bad
      ? `${ms(s.durationMs)} · ${s.status === 'timeout' ? 'timed out' : 'failed'}`
      : ms(s.durationMs);
    parts.push(text(X1 + 10, y + 16, what, bad ? 'small strong fail-text' : 'small'));
    t += s.durationMs;
  });
  const yAxis = TOP + d.stages.length * ROW + 4;
  parts.push(line(X0, yAxis, X1, yAxis, 'axis'));
  parts.push(text(X0, yAxis + 16, '0', 'small muted'), text(X1, yAxis + 16, ms(total), 'small muted', 'end'));
  const failed = d.stages.find((s) => s.status === 'fail' || s.status === 'timeout');
  const summary =
    d.verdict === 'pass'
      ? `${d.name}: every stage passed in ${ms(total)}.`
      : `${d.name}: fails at ${stageLabel(failed?.stage ?? d.failedStage ?? '?')}${failed ? ` after ${ms(failed.durationMs)}${failed.code ? ` (${failed.code})` : ''}: ${failed.summary}` : '.'}`;
  return {
    title: `Network path: ${d.name}`,
    svg: svgRoot(W, H, summary, parts.join(''), 'waterfall'),
    text: summary,
    header: ['Stage', 'Result', 'Duration', 'What happened'],
    rows: d.stages.map((s) => [
      stageLabel(s.stage),
      s.status === 'skip' ? 'not reached' : s.status,
      s.status === 'skip' ? '' : ms(s.durationMs),
      s.summary,
    ]),
  };
}
