/**
 * `--format html`: one self-contained page (inline CSS and SVG, no scripts, no external requests)
 * that a freelancer can open or attach to a ticket. Charts first (cache, week and lock, CPU,
 * network path, clock), drawn from the run's facts when the renderer gets them, then the findings,
 * failures first. Pure: (report, facts) → string; everything is escaped.
 */
import type { Facts } from '../core/facts.js';
import { clockChart } from './html/clock.js';
import { cpuChart } from './html/cpu.js';
import { chartInputs } from './html/data.js';
import type { ChartInputs } from './html/data.js';
import { byStatus, findingCard, pillsHtml, verdictHtml } from './html/findings.js';
import { cacheGaugeChart } from './html/gauge.js';
import { chartsSection, figureHtml, pageHtml } from './html/page.js';
import { esc } from './html/svg.js';
import { waterfallChart } from './html/waterfall.js';
import { activityChart, weekChart } from './html/week.js';
import { formatDuration } from '../core/format.js';
import type { Report } from './model.js';
import { targetLabel } from './origin.js';

export { esc as htmlEscape };

/** The figures for whatever the facts hold, most urgent questions first. */
export function reportFigures(c: ChartInputs): string[] {
  const out: string[] = [];
  if (c.cache) out.push(figureHtml(cacheGaugeChart(c.cache), { split: true, id: 'chart-cache' }));
  if (c.clock) out.push(figureHtml(clockChart(c.clock), { wide: true, id: 'chart-clock' }));
  if (c.week) out.push(figureHtml(weekChart(c.week), { wide: true, id: 'chart-week' }));
  const act = c.activity ? activityChart(c.activity) : undefined;
  if (act) out.push(figureHtml(act, { wide: true, id: 'chart-activity' }));
  if (c.cpu) out.push(figureHtml(cpuChart(c.cpu), { wide: true, id: 'chart-cpu' }));
  for (const [i, w] of (c.network ?? []).entries())
    out.push(figureHtml(waterfallChart(w, `hatch-net-${i}`), { wide: true, id: `chart-network-${i}` }));
  return out;
}

export function targetWords(t: Report['target']): string {
  return targetLabel(t);
}

export function renderHtml(report: Report, facts?: Facts): string {
  const t = report.target;
  const headline = t.headline;
  const body = [
    typeof headline === 'string' ? `<div class="verdict note" id="headline">${esc(headline)}</div>` : '',
    pillsHtml(report.summary),
    verdictHtml(report.summary),
    report.deadlineHit
      ? '<div class="verdict bad">The run was cut short by its deadline; some checks did not finish.</div>'
      : '',
    facts ? chartsSection(reportFigures(chartInputs(facts))) : '',
    '<h2 class="section">Findings</h2>',
    byStatus(report.findings)
      .map((f) => findingCard(f, 2, t))
      .join('\n'),
  ].join('\n');
  return pageHtml({
    title: `upwork-doctor report · ${report.host.hostname}`,
    heading: 'upwork-doctor report',
    sub: [
      `${targetWords(t)} · ${t.dataDir}`,
      `${report.startedAt} · ${report.host.os} ${report.host.arch} · took ${formatDuration(report.durationMs)}`,
    ],
    body,
    footer: `upwork-doctor ${report.tool.version} · exit code ${report.exitCode} · report schema ${report.schemaVersion}`,
  });
}
