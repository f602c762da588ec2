/**
 * The shell every HTML page of the tool shares (check report, network report, bundle inspection):
 * one self-contained file with inline CSS, no scripts, and a Content-Security-Policy that forbids
 * every request, so a page opened from a ticket can neither phone home nor run anything. Light
 * and dark follow prefers-color-scheme; the layout is one column that reads on a phone, where the
 * charts shrink to the width (the whole picture, never a scrolled-off half) and the words under each
 * carry the numbers.
 */
import type { Chart } from './svg.js';
import { esc } from './svg.js';

const BASE_CSS = `
:root{--pass:#1a7f37;--warn:#9a6700;--fail:#cf222e;--skip:#6e7781;--error:#8250df;--timeout:#8250df;--bg:#f6f8fa;--fg:#1f2328;--muted:#59636e;--card:#fff;--line:#d0d7de;--warn-soft:#fff1c2;--fail-soft:#ffe1de;--c0:#0969da;--c1:#bf3989;--c2:#1a7f37;--c3:#9a6700;--c4:#6639ba}
*{box-sizing:border-box}body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:var(--bg);color:var(--fg)}
main{max-width:900px;margin:0 auto;padding:24px 16px 48px}
header h1{font-size:22px;margin:0 0 4px}header p{margin:0;color:var(--muted);overflow-wrap:anywhere}
h2.section{font-size:17px;margin:28px 0 10px}
.summary{display:flex;flex-wrap:wrap;gap:8px;margin:16px 0 24px}
.pill{border-radius:999px;padding:4px 12px;font-weight:600;background:var(--card);border:1px solid var(--line)}
.pill.pass{color:var(--pass)}.pill.warn{color:var(--warn)}.pill.fail{color:var(--fail)}.pill.skip{color:var(--skip)}.pill.error,.pill.timeout{color:var(--error)}
.verdict{padding:12px 16px;border-radius:8px;margin-bottom:16px;font-weight:600;border:1px solid var(--line);background:var(--card)}
.verdict.ok{border-left:6px solid var(--pass)}.verdict.bad{border-left:6px solid var(--fail)}.verdict.note{border-left:6px solid var(--warn);font-weight:400}
article{background:var(--card);border:1px solid var(--line);border-left:6px solid var(--line);border-radius:8px;padding:12px 16px;margin:0 0 12px}
article.pass{border-left-color:var(--pass)}article.warn{border-left-color:var(--warn)}article.fail{border-left-color:var(--fail)}article.skip{border-left-color:var(--skip)}article.error,article.timeout{border-left-color:var(--error)}
article h2,article h3{font-size:16px;margin:0;display:flex;flex-wrap:wrap;gap:8px;align-items:baseline}
.icon{font-weight:700;width:1.2em;display:inline-block;text-align:center}
.pass .icon{color:var(--pass)}.warn .icon{color:var(--warn)}.fail .icon{color:var(--fail)}.skip .icon{color:var(--skip)}.error .icon,.timeout .icon{color:var(--error)}
.code{margin-left:auto;font:12px ui-monospace,SFMono-Regular,Menlo,monospace;color:var(--muted)}
.tag{font-size:12px;border:1px solid var(--line);border-radius:4px;padding:0 6px;color:var(--muted)}
.sum{margin:6px 0}ul{margin:6px 0 6px 20px;padding:0}li{overflow-wrap:anywhere}
.fix{background:var(--bg);border-radius:6px;padding:8px 12px;margin-top:8px}
.fix strong{display:block;margin-bottom:4px}
pre{margin:4px 0;padding:6px 10px;background:#0d1117;color:#e6edf3;border-radius:6px;overflow-x:auto;font:13px ui-monospace,SFMono-Regular,Menlo,monospace}
details{margin-top:8px;color:var(--muted)}details pre{background:var(--bg);color:var(--fg);max-height:320px}
figure details{overflow-x:auto}td:not(:last-child),th{white-space:nowrap}
table{border-collapse:collapse;width:100%;font-size:13px;margin-top:6px}th,td{text-align:left;padding:3px 8px 3px 0;border-bottom:1px solid var(--line);vertical-align:top;overflow-wrap:anywhere}
.cols{display:grid;grid-template-columns:repeat(auto-fit,minmax(280px,1fr));gap:12px}
footer{margin-top:32px;color:var(--muted);font-size:13px}
@media (prefers-color-scheme:dark){:root{--pass:#3fb950;--warn:#d29922;--fail:#f85149;--skip:#9198a1;--error:#a371f7;--timeout:#a371f7;--bg:#0d1117;--fg:#e6edf3;--muted:#9198a1;--card:#151b23;--line:#3d444d;--warn-soft:#3b2e0a;--fail-soft:#4a1d1d;--c0:#4493f8;--c1:#db61a2;--c2:#3fb950;--c3:#d29922;--c4:#a371f7}}
`;

/** Chart styling: every colour is a variable, so the dark palette applies to the SVGs too. */
const CHART_CSS = `
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(300px,1fr));gap:12px;margin:0 0 8px}
figure{margin:0;background:var(--card);border:1px solid var(--line);border-radius:8px;padding:12px 16px;min-width:0}
figure.wide{grid-column:1/-1}
figure h3{font-size:15px;margin:0 0 8px}.caption{margin:8px 0 0;font-size:14px}
.chart{width:100%;height:auto;display:block;overflow:visible}
.chart.gauge{max-width:340px;margin:0 auto}
.pair{display:flex;flex-wrap:wrap;align-items:center;gap:8px 24px}.pair>.chart{flex:0 1 340px}.pair>div{flex:1 1 220px}.split .caption{font-size:16px}
.scroll{overflow-x:auto}
.chart text{fill:var(--fg);font-size:14px}.chart .small{font-size:13px}.chart .big{font-size:30px;font-weight:700}
.chart .muted{fill:var(--muted)}.chart .strong{font-weight:700;paint-order:stroke;stroke:var(--card);stroke-width:4px;stroke-linejoin:round}.chart .fail-text{fill:var(--fail)}
.chart .grid{stroke:var(--line);stroke-width:1}.chart .axis{stroke:var(--muted);stroke-width:1}
.gauge-track{fill:none;stroke:var(--line);stroke-width:22}
.gauge-fill{fill:none;stroke-width:22}.gauge-fill.ok{stroke:var(--pass)}.gauge-fill.warn{stroke:var(--warn)}.gauge-fill.full{stroke:var(--fail)}
.chart .mark{stroke-width:2}.chart .mark.warn{stroke:var(--warn);stroke-dasharray:5 3}.chart .mark.fail{stroke:var(--fail);stroke-dasharray:8 3}
.chart .mark.lock{stroke:var(--fail);stroke-width:3}.chart .mark.now{stroke:var(--fg);stroke-dasharray:2 2}
.chart .lane{fill:var(--bg)}.chart .seg.acked,.chart .bar.acked{fill:var(--pass)}.chart .seg.pending,.chart .bar.pending{fill:var(--warn)}
.chart .hatch-bg{fill:var(--fail-soft)}.chart .hatch-line{stroke:var(--fail);stroke-width:3}
.chart .band.warn{fill:var(--warn-soft)}
.cpu-line{fill:none;stroke-width:2.5}
.chart .s0{stroke:var(--c0)}.chart .s1{stroke:var(--c1)}.chart .s2{stroke:var(--c2)}.chart .s3{stroke:var(--c3)}.chart .s4{stroke:var(--c4)}
.chart text.s0{fill:var(--c0);stroke:none}.chart text.s1{fill:var(--c1);stroke:none}.chart text.s2{fill:var(--c2);stroke:none}.chart text.s3{fill:var(--c3);stroke:none}.chart text.s4{fill:var(--c4);stroke:none}
.chart .peak{fill:var(--fg)}.chart .avg{stroke:var(--fg);stroke-width:1.5;stroke-dasharray:1 3}
.chart .stage.pass{fill:var(--pass)}.chart .errbar{stroke:var(--fg);stroke-width:2}
.chart .dot.pass{fill:var(--pass)}.chart .dot.warn{fill:var(--warn)}.chart .dot.fail{fill:var(--fail)}
.chart .ev{stroke:var(--card);stroke-width:1}.chart .ev.upload{fill:var(--pass)}.chart .ev.capture{fill:var(--c0)}.chart .ev.failure,.chart .ev.error{fill:var(--fail)}.chart .ev.restart{fill:var(--c4)}.chart .ev.clock{fill:var(--warn)}.chart .ev.other{fill:var(--muted)}
.chart .mark.start{stroke:var(--fail);stroke-width:2;stroke-dasharray:6 3}
`;

export interface PageParts {
  title: string;
  heading: string;
  /** Lines under the heading (what was examined, when, where). */
  sub: string[];
  body: string;
  footer: string;
}

export function pageHtml(p: PageParts): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="color-scheme" content="light dark">
<title>${esc(p.title)}</title><style>${BASE_CSS}${CHART_CSS}</style></head>
<body><main>
<header><h1>${esc(p.heading)}</h1>${p.sub.map((s) => `<p>${esc(s)}</p>`).join('')}</header>
${p.body}
<footer>${esc(p.footer)}</footer>
</main></body></html>
`;
}

/** A chart in its frame: heading, the SVG, its text equivalent, and the data as a table. */
export function figureHtml(
  c: Chart,
  opts: { wide?: boolean; id?: string; open?: boolean; split?: boolean } = {},
): string {
  const table =
    c.rows && c.rows.length > 0
      ? `<details${opts.open ? ' open' : ''}><summary>The data</summary><table>${
          c.header ? `<thead><tr>${c.header.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead>` : ''
        }<tbody>${c.rows.map((r) => `<tr>${r.map((v) => `<td>${esc(v)}</td>`).join('')}</tr>`).join('')}</tbody></table></details>`
      : '';
  const cls = [opts.wide || opts.split ? 'wide' : '', opts.split ? 'split' : ''].filter(Boolean).join(' ');
  const svg = opts.wide ? `<div class="scroll">${c.svg}</div>` : c.svg;
  const words = `<p class="caption">${esc(c.text)}</p>${table}`;
  // split: a small chart with its words beside it (below it on a phone).
  const inner = opts.split ? `<div class="pair">${svg}<div>${words}</div></div>` : `${svg}${words}`;
  return `<figure${cls ? ` class="${cls}"` : ''}${opts.id ? ` id="${esc(opts.id)}"` : ''}><h3>${esc(c.title)}</h3>${inner}</figure>`;
}

export function chartsSection(charts: string[], heading = 'At a glance'): string {
  if (charts.length === 0) return '';
  return `<h2 class="section">${esc(heading)}</h2><section class="charts">${charts.join('\n')}</section>`;
}
