/**
 * `--format html`: one self-contained page (inline CSS, no scripts, no external requests) that a
 * freelancer can open or attach to a ticket. Pure: (report) → string; everything is escaped.
 */
import type { FindingStatus } from '../core/finding.js';
import { formatDuration } from '../core/format.js';
import type { Report } from './model.js';
import { fixCommand, originTag, targetLabel } from './origin.js';

export function htmlEscape(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

const LABEL: Record<FindingStatus, string> = {
  pass: 'Passed',
  warn: 'Warning',
  fail: 'Failed',
  skip: 'Skipped',
  error: 'Crashed',
  timeout: 'Timed out',
};
const ICON: Record<FindingStatus, string> = {
  pass: '✓',
  warn: '!',
  fail: '✗',
  skip: '–',
  error: '✗',
  timeout: '⏱',
};

const CSS = `
:root{--pass:#1a7f37;--warn:#9a6700;--fail:#cf222e;--skip:#6e7781;--error:#8250df;--timeout:#8250df;--bg:#f6f8fa;--fg:#1f2328;--muted:#59636e;--card:#fff;--line:#d0d7de}
*{box-sizing:border-box}body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:var(--bg);color:var(--fg)}
main{max-width:900px;margin:0 auto;padding:24px 16px 48px}
header h1{font-size:22px;margin:0 0 4px}header p{margin:0;color:var(--muted)}
.summary{display:flex;flex-wrap:wrap;gap:8px;margin:16px 0 24px}
.pill{border-radius:999px;padding:4px 12px;font-weight:600;background:var(--card);border:1px solid var(--line)}
.pill.pass{color:var(--pass)}.pill.warn{color:var(--warn)}.pill.fail{color:var(--fail)}.pill.skip{color:var(--skip)}.pill.error,.pill.timeout{color:var(--error)}
.verdict{padding:12px 16px;border-radius:8px;margin-bottom:16px;font-weight:600;border:1px solid var(--line);background:var(--card)}
.verdict.ok{border-left:6px solid var(--pass)}.verdict.bad{border-left:6px solid var(--fail)}
article{background:var(--card);border:1px solid var(--line);border-left:6px solid var(--line);border-radius:8px;padding:12px 16px;margin:0 0 12px}
article.pass{border-left-color:var(--pass)}article.warn{border-left-color:var(--warn)}article.fail{border-left-color:var(--fail)}article.skip{border-left-color:var(--skip)}article.error,article.timeout{border-left-color:var(--error)}
article h2{font-size:16px;margin:0;display:flex;gap:8px;align-items:baseline}
.icon{font-weight:700;width:1.2em;display:inline-block;text-align:center}
.pass .icon{color:var(--pass)}.warn .icon{color:var(--warn)}.fail .icon{color:var(--fail)}.skip .icon{color:var(--skip)}.error .icon,.timeout .icon{color:var(--error)}
.code{margin-left:auto;font:12px ui-monospace,SFMono-Regular,Menlo,monospace;color:var(--muted)}
.sum{margin:6px 0}ul{margin:6px 0 6px 20px;padding:0}
.fix{background:var(--bg);border-radius:6px;padding:8px 12px;margin-top:8px}
.fix strong{display:block;margin-bottom:4px}
pre{margin:4px 0;padding:6px 10px;background:#0d1117;color:#e6edf3;border-radius:6px;overflow-x:auto;font:13px ui-monospace,SFMono-Regular,Menlo,monospace}
details{margin-top:8px;color:var(--muted)}details pre{background:var(--bg);color:var(--fg);max-height:320px}
footer{margin-top:32px;color:var(--muted);font-size:13px}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--muted:#9198a1;--card:#151b23;--line:#3d444d}}
`;

export function renderHtml(report: Report): string {
  const s = report.summary;
  const problems = s.fail + s.error + s.timeout;
  const t = report.target;
  const where = targetLabel(t);
  const pills = (['fail', 'error', 'timeout', 'warn', 'pass', 'skip'] as const)
    .filter((k) => s[k] > 0)
    .map((k) => `<span class="pill ${k}">${s[k]} ${htmlEscape(LABEL[k].toLowerCase())}</span>`)
    .join('');
  const verdict =
    problems > 0
      ? `<div class="verdict bad">${problems} problem${problems === 1 ? '' : 's'} found. Each one below says what to do.</div>`
      : s.warn > 0
        ? `<div class="verdict ok">Nothing is failing; ${s.warn} warning${s.warn === 1 ? '' : 's'} worth a look.</div>`
        : `<div class="verdict ok">Everything checked is healthy.</div>`;
  const cards = report.findings
    .map((f) => {
      const details = f.details.length
        ? `<ul>${f.details.map((d) => `<li>${htmlEscape(d)}</li>`).join('')}</ul>`
        : '';
      const r = f.remediation;
      const fix =
        r && f.status !== 'pass'
          ? `<div class="fix"><strong>What to do</strong>${htmlEscape(r.text)}${r.commands.map((c) => `<pre>${htmlEscape(c)}</pre>`).join('')}${
              fixCommand(r, t) ? `<pre>${htmlEscape(fixCommand(r, t)!)}</pre>` : ''
            }${r.docsUrl ? `<div>More: ${htmlEscape(r.docsUrl)}</div>` : ''}</div>`
          : '';
      const evidence = Object.keys(f.evidence).length
        ? `<details><summary>Evidence</summary><pre>${htmlEscape(JSON.stringify(f.evidence, null, 2))}</pre></details>`
        : '';
      return `<article class="${f.status}" id="${htmlEscape(f.id)}"><h2><span class="icon" aria-label="${LABEL[f.status]}">${ICON[f.status]}</span>${htmlEscape(
        f.title,
      )}<span class="code">${htmlEscape(f.code)} · ${formatDuration(f.durationMs)}</span></h2><p class="sum">${originTag(f) ? `<em class="origin">[${htmlEscape(originTag(f)!)}]</em> ` : ''}${htmlEscape(f.summary)}</p>${details}${fix}${evidence}</article>`;
    })
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>upwork-doctor report · ${htmlEscape(report.host.hostname)}</title><style>${CSS}</style></head>
<body><main>
<header><h1>upwork-doctor report</h1><p>${htmlEscape(where)} · ${htmlEscape(t.dataDir)}</p>${t.headline ? `<p class="headline"><strong>${htmlEscape(t.headline)}</strong></p>` : ''}<p>${htmlEscape(report.startedAt)} · ${htmlEscape(
    report.host.os,
  )} ${htmlEscape(report.host.arch)} · took ${formatDuration(report.durationMs)}</p></header>
<div class="summary">${pills}</div>
${verdict}
${report.deadlineHit ? '<div class="verdict bad">The run was cut short by its deadline; some checks did not finish.</div>' : ''}
${cards}
<footer>upwork-doctor ${htmlEscape(report.tool.version)} · exit code ${report.exitCode} · report schema ${report.schemaVersion}</footer>
</main></body></html>
`;
}
