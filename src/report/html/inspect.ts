/**
 * `inspect BUNDLE --format html`: the support agent's view of a bundle. Integrity first (a
 * tampered bundle is not evidence), then the verdict and findings when the bundle was made beside
 * those of today's checks re-run on the bundled facts, what redaction removed (counts by kind),
 * and the timeline of the tracker's logs with the moment the problem started. Pure.
 */
import path from 'node:path';
import type { Summary } from '../../core/runner.js';
import type { InspectResult } from '../inspect/inspect.js';
import { briefCard, byStatus, pillsHtml, verdictHtml } from './findings.js';
import { chartsSection, figureHtml, pageHtml } from './page.js';
import { esc } from './svg.js';
import { timelineChart } from './timeline.js';

function integrityHtml(r: InspectResult): string {
  const v = r.verification;
  if (v.ok)
    return `<div class="verdict ok" id="integrity">Integrity: OK, all ${v.checked} entries match the manifest.</div>`;
  const items = [
    ...v.modified.map((x) => `modified: ${x.name}`),
    ...v.missing.map((x) => `missing: ${x}`),
    ...v.unexpected.map((x) => `not in the manifest: ${x}`),
  ];
  return `<div class="verdict bad" id="integrity">Integrity: FAILED: ${v.modified.length} modified, ${v.missing.length} missing, ${v.unexpected.length} not in the manifest. Do not trust what follows.<ul>${items
    .map((i) => `<li>${esc(i)}</li>`)
    .join('')}</ul></div>`;
}

function column(
  title: string,
  s: Summary | null,
  findings: InspectResult['recorded']['findings'],
  note?: string,
): string {
  const body = note
    ? `<p>${esc(note)}</p>`
    : `${s ? pillsHtml(s) + verdictHtml(s) : ''}${byStatus(findings).map(briefCard).join('\n')}`;
  return `<section><h2 class="section">${esc(title)}</h2>${body}</section>`;
}

/** Statuses that differ between the bundled report and the re-run: what changed since. */
function changes(r: InspectResult): string {
  if (!r.rerun) return '';
  const before = new Map(r.recorded.findings.map((f) => [f.id, f.status]));
  const diff = r.rerun.findings.filter((f) => before.has(f.id) && before.get(f.id) !== f.status);
  if (diff.length === 0)
    return '<p id="changes">The re-run agrees with the bundled report on every check.</p>';
  return `<p id="changes">Changed since the bundle was made: ${esc(
    diff.map((f) => `${f.id} ${before.get(f.id)} → ${f.status}`).join('; '),
  )}.</p>`;
}

function redactionHtml(r: InspectResult): string {
  const totals = Object.entries(r.manifest.redaction.totals).sort((a, b) => b[1] - a[1]);
  const sum = totals.reduce((a, [, v]) => a + v, 0);
  const rows = totals.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${v}</td></tr>`).join('');
  const skipped = r.manifest.entries.filter((e) => e.outcome === 'skipped');
  const tailed = r.manifest.entries.filter((e) => e.outcome === 'tailed');
  const notes = [
    `${sum} value(s) replaced (${r.manifest.redaction.distinctValues} distinct), rules ${r.manifest.redaction.rulesVersion}.`,
    skipped.length
      ? `${skipped.length} source(s) left out: ${[...new Set(skipped.map((e) => e.reason))].join(', ')}.`
      : '',
    tailed.length ? `${tailed.length} log(s) cut to their tail to fit the size budget.` : '',
    r.manifest.options.includeScreenshots ? 'Screenshots included.' : 'Screenshots left out.',
  ].filter(Boolean);
  return `<h2 class="section">What was redacted</h2><article id="redaction"><p>${esc(notes.join(' '))}</p>${
    rows ? `<table><thead><tr><th>Kind</th><th>Replaced</th></tr></thead><tbody>${rows}</tbody></table>` : ''
  }</article>`;
}

export function renderInspectHtml(r: InspectResult, hours: number): string {
  const m = r.manifest;
  const h = r.host;
  const chart = timelineChart(r.events, hours);
  const body = [
    integrityHtml(r),
    `<div class="cols" id="findings">${column('When the bundle was made', r.recorded.summary, r.recorded.findings)}${column(
      'Re-run now on the bundled facts',
      r.rerun?.summary ?? null,
      r.rerun?.findings ?? [],
      r.rerun ? undefined : `Checks not re-run: ${r.rerunError ?? 'no facts'}.`,
    )}</div>`,
    changes(r),
    chart
      ? chartsSection([figureHtml(chart, { wide: true, id: 'timeline', open: true })], 'Timeline')
      : `<h2 class="section">Timeline</h2><p>No dated log events in the bundle.</p>`,
    redactionHtml(r),
  ].join('\n');
  return pageHtml({
    title: `upwork-doctor inspect · ${path.basename(r.file)}`,
    heading: `Bundle ${path.basename(r.file)}${r.encrypted ? ' (decrypted)' : ''}`,
    sub: [
      `ticket ${m.ticket ?? '-'} · made ${m.createdAt} by ${m.tool.name} ${m.tool.version}`,
      `host id ${String(h.hostId)} · ${String(h.os ?? h.platform ?? '?')}/${String(h.arch ?? '?')} · tracker ${r.trackerVersion ?? 'version not in the logs'} · target ${m.target.kind}`,
    ],
    body,
    footer: `upwork-doctor inspect · ${r.verification.checked} entries verified`,
  });
}
