/**
 * `network --format html`: the IT admin's page. One waterfall per endpoint (failing endpoints
 * first), the proxy settings that decided the route, and the notes. Same shell and styling as the
 * check report. Pure: (network report) → string.
 */
import { formatDuration } from '../../core/format.js';
import type { NetworkReport } from '../../network/render.js';
import type { EndpointResult } from '../../network/types.js';
import { chartsSection, figureHtml, pageHtml } from './page.js';
import { esc } from './svg.js';
import type { WaterfallData } from './waterfall.js';
import { stageLabel, waterfallChart } from './waterfall.js';

export function waterfallOf(ep: EndpointResult): WaterfallData {
  return {
    // Endpoints named after their host:port would say it twice.
    name: ep.endpoint.url.includes(ep.endpoint.name)
      ? ep.endpoint.url
      : `${ep.endpoint.name} (${ep.endpoint.url})`,
    url: ep.endpoint.url,
    verdict: ep.verdict,
    ...(ep.failedStage ? { failedStage: ep.failedStage } : {}),
    stages: ep.stages.map((s) => ({
      stage: s.stage,
      status: s.status,
      durationMs: s.durationMs,
      summary: s.summary,
      ...(s.error ? { code: s.error.code } : {}),
    })),
  };
}

const RANK = { fail: 0, timeout: 1, pass: 2 } as const;

function proxyRows(r: NetworkReport): string {
  const rows: [string, string][] = [];
  if (r.proxy.override) rows.push(['--proxy', r.proxy.override]);
  if (r.proxy.pac) rows.push(['PAC file', r.proxy.pac]);
  for (const [k, v] of Object.entries(r.proxy.env)) rows.push([k, v]);
  for (const ep of r.endpoints)
    rows.push([`route to ${ep.host}:${ep.port}`, `${ep.proxy.display} (${ep.proxy.source})`]);
  return `<table><tbody>${rows.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('')}</tbody></table>`;
}

function verdict(r: NetworkReport): string {
  const bad = r.endpoints.filter((e) => e.verdict !== 'pass');
  if (bad.length === 0)
    return `<div class="verdict ok">Every endpoint is reachable (${r.summary.total} checked).</div>`;
  const words = bad.map((e) =>
    e.verdict === 'timeout'
      ? `${e.endpoint.name}: cut short`
      : `${e.endpoint.name}: fails at ${stageLabel(e.failedStage ?? '?')}`,
  );
  return `<div class="verdict bad">${bad.length} of ${r.summary.total} endpoint(s) not reachable. ${esc(words.join('; '))}.</div>`;
}

export function renderNetworkHtml(r: NetworkReport): string {
  const eps = [...r.endpoints].sort((a, b) => RANK[a.verdict] - RANK[b.verdict]);
  const figures = eps.map((ep, i) =>
    figureHtml(waterfallChart(waterfallOf(ep), `hatch-net-${i}`), { wide: true, id: `endpoint-${i}` }),
  );
  const notes = r.notes.length ? `<ul>${r.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>` : '';
  const body = [
    verdict(r),
    r.deadlineHit
      ? '<div class="verdict bad">The deadline cut the run short; some stages did not run.</div>'
      : '',
    chartsSection(figures, 'Network path, stage by stage'),
    '<h2 class="section">Proxy settings</h2>',
    `<article>${proxyRows(r)}${notes}</article>`,
  ].join('\n');
  return pageHtml({
    title: `upwork-doctor network · ${r.hostname}`,
    heading: 'upwork-doctor network report',
    sub: [`${r.hostname} · ${r.startedAt} · took ${formatDuration(r.durationMs)}`],
    body,
    footer: `upwork-doctor ${r.tool.version} · exit code ${r.exitCode} · network schema ${r.schemaVersion}`,
  });
}
