/**
 * Findings as HTML cards, the verdict line and the count pills. Shared by the check report and
 * the bundle inspection page, so a finding looks the same wherever a support agent meets it.
 * Cards are ordered failures first: the reader's first screen is what needs doing.
 */
import type { Finding, FindingStatus } from '../../core/finding.js';
import { STATUS_ORDER } from '../../core/finding.js';
import { formatDuration } from '../../core/format.js';
import type { Summary } from '../../core/runner.js';
import type { TargetInfo } from '../../core/facts.js';
import { fixCommand, originTag } from '../origin.js';
import { esc } from './svg.js';

export const LABEL: Record<FindingStatus, string> = {
  pass: 'Passed',
  warn: 'Warning',
  fail: 'Failed',
  skip: 'Skipped',
  error: 'Crashed',
  timeout: 'Timed out',
};
export const ICON: Record<FindingStatus, string> = {
  pass: '✓',
  warn: '!',
  fail: '✗',
  skip: '–',
  error: '✗',
  timeout: '◷',
};

/** Worst first, the checks' own order kept within one status. */
export function byStatus<T extends { status: FindingStatus }>(findings: readonly T[]): T[] {
  return findings
    .map((f, i) => ({ f, i }))
    .sort((a, b) => STATUS_ORDER[a.f.status] - STATUS_ORDER[b.f.status] || a.i - b.i)
    .map((x) => x.f);
}

export function pillsHtml(s: Summary): string {
  const pills = (['fail', 'error', 'timeout', 'warn', 'pass', 'skip'] as const)
    .filter((k) => s[k] > 0)
    .map((k) => `<span class="pill ${k}">${s[k]} ${esc(LABEL[k].toLowerCase())}</span>`)
    .join('');
  return `<div class="summary">${pills}</div>`;
}

export function verdictHtml(s: Summary): string {
  const problems = s.fail + s.error + s.timeout;
  if (problems > 0)
    return `<div class="verdict bad">${problems} problem${problems === 1 ? '' : 's'} found. Each one below says what to do.</div>`;
  if (s.warn > 0)
    return `<div class="verdict ok">Nothing is failing; ${s.warn} warning${s.warn === 1 ? '' : 's'} worth a look.</div>`;
  return `<div class="verdict ok">Everything checked is healthy.</div>`;
}

function fixHtml(f: Finding, target?: TargetInfo): string {
  const r = f.remediation;
  if (!r || f.status === 'pass') return '';
  const cmd = fixCommand(r, target);
  return `<div class="fix"><strong>What to do</strong>${esc(r.text)}${r.commands
    .map((c) => `<pre>${esc(c)}</pre>`)
    .join(
      '',
    )}${cmd ? `<pre>${esc(cmd)}</pre>` : ''}${r.docsUrl ? `<div>More: ${esc(r.docsUrl)}</div>` : ''}</div>`;
}

/** A card for one finding; `level` is the heading level (h2 on the report, h3 inside a column). */
export function findingCard(f: Finding, level: 2 | 3 = 2, target?: TargetInfo): string {
  const details = f.details.length ? `<ul>${f.details.map((d) => `<li>${esc(d)}</li>`).join('')}</ul>` : '';
  const evidence = Object.keys(f.evidence).length
    ? `<details><summary>Evidence</summary><pre>${esc(JSON.stringify(f.evidence, null, 2))}</pre></details>`
    : '';
  const tag = originTag(f);
  const simulated = tag ? `<span class="tag">[${esc(tag)}]</span>` : '';
  return `<article class="${f.status}" id="${esc(f.id)}"><h${level}><span class="icon" aria-label="${LABEL[f.status]}">${ICON[f.status]}</span>${esc(
    f.title,
  )}${simulated}<span class="code">${esc(f.code)} · ${formatDuration(f.durationMs)}</span></h${level}><p class="sum">${esc(f.summary)}</p>${details}${fixHtml(f, target)}${evidence}</article>`;
}

/** A short card (inspect: the bundled and re-run findings have only id, status, code, summary). */
export function briefCard(f: Pick<Finding, 'id' | 'status' | 'code' | 'summary'>): string {
  return `<article class="${f.status}"><h3><span class="icon" aria-label="${LABEL[f.status]}">${ICON[f.status]}</span>${esc(
    f.id,
  )}<span class="code">${esc(f.code)}</span></h3><p class="sum">${esc(f.summary)}</p></article>`;
}
