/**
 * `inspect` as text for an agent's terminal. Everything that came from the bundle is printed with
 * its control characters escaped (an entry named with NUL, ESC or a right-to-left override must
 * not rewrite the terminal or read as another name), and times as ISO dates, not epoch numbers.
 */
import path from 'node:path';
import type { Summary } from '../../core/runner.js';
import { escapeControl, formatBytes, plural, printableName } from '../../core/format.js';
import type { InspectResult } from './inspect.js';

const SYM: Record<string, string> = {
  pass: 'ok  ',
  warn: 'WARN',
  fail: 'FAIL',
  skip: 'skip',
  error: 'ERR ',
  timeout: 'TIME',
};

const safe = (v: unknown) => escapeControl(String(v));

/** Epoch milliseconds (2001 to 2286) under a time-like key, as an ISO date; other values as text. */
export function cacheValue(key: string, v: unknown): string {
  if (typeof v === 'number' && /(At|Now|Time|Ms)$/.test(key) && v > 1e12 && v < 1e13)
    return new Date(v).toISOString();
  return safe(v);
}

function header(r: InspectResult, out: string[]): void {
  const m = r.manifest;
  const how = r.folder ? ' (unzipped folder)' : r.encrypted ? ' (decrypted)' : '';
  out.push(`Bundle ${printableName(path.basename(r.file))}${how}`);
  out.push(
    `  ticket ${safe(m.ticket ?? '-')} · made ${safe(m.createdAt)} by ${safe(m.tool.name)} ${safe(m.tool.version)} · redaction rules ${safe(m.redaction.rulesVersion)}`,
  );
  const v = r.verification;
  out.push(
    v.ok
      ? `Integrity: OK, ${v.checked === 1 ? 'the one entry matches' : `all ${v.checked} entries match`} the manifest.`
      : `Integrity: FAILED: ${v.modified.length} modified, ${v.missing.length} missing, ${v.unexpected.length} not in the manifest.`,
  );
  for (const x of v.modified) out.push(`  modified: ${printableName(x.name)}`);
  for (const x of v.missing) out.push(`  missing: ${printableName(x)}`);
  for (const x of v.unexpected) out.push(`  not in the manifest: ${printableName(x)}`);
  const skipped = m.entries.filter((e) => e.outcome === 'skipped');
  const tailed = m.entries.filter((e) => e.outcome === 'tailed');
  if (skipped.length)
    out.push(
      `  ${skipped.length} source(s) skipped: ${[...new Set(skipped.map((e) => safe(e.reason)))].join(', ')}`,
    );
  if (tailed.length) out.push(`  ${tailed.length} log(s) cut to their tail to fit the size budget`);
  // The facts' problem is said where the checks are not re-run.
  for (const p of r.problems) if (p !== r.rerunError) out.push(`Unreadable: ${safe(p)}.`);
}

function findings(
  out: string[],
  title: string,
  s: Summary | null,
  f: InspectResult['recorded']['findings'],
): void {
  const counts = s
    ? `: ${s.pass} passed, ${plural(s.warn, 'warning')}, ${s.fail} failed, ${s.skip} skipped, ${plural(s.error + s.timeout, 'error')}`
    : '';
  out.push(`${title}${counts}`);
  for (const x of f)
    if (x.status !== 'pass')
      out.push(`  ${SYM[x.status] ?? safe(x.status)} ${safe(x.id)} (${safe(x.code)}): ${safe(x.summary)}`);
}

/** The cache fact's field names in words for the agent; a field not listed keeps its own name. */
const CACHE_WORDS: Record<string, string> = {
  format: 'format',
  cacheDir: 'folder',
  formatVersion: 'format version',
  pendingSegments: 'segments waiting',
  pendingMinutes: 'minutes waiting',
  capacityMinutes: 'capacity (minutes)',
  capacitySource: 'capacity from',
  tornTail: 'unfinished last record',
  anotherDeviceLive: 'another computer logging time',
  engineNow: "the engine's clock",
  note: 'note',
};

function cache(r: InspectResult, out: string[]): void {
  if (!r.cache) {
    out.push('Cache: no cache metadata in the bundle.');
    return;
  }
  const t = r.cache.totals as { files?: number; bytes?: number } | undefined;
  out.push(`Cache: ${plural(t?.files ?? 0, 'file')}, ${formatBytes(t?.bytes ?? 0)} (metadata only).`);
  const fact = r.cache.cacheFact as { state?: string; value?: Record<string, unknown> } | null | undefined;
  if (fact?.state === 'collected' && fact.value) {
    for (const [k, val] of Object.entries(fact.value))
      if (val === null || ['string', 'number', 'boolean'].includes(typeof val))
        out.push(`  ${CACHE_WORDS[k] ?? safe(k)}: ${val === null ? 'none' : cacheValue(k, val)}`);
  } else if (fact) out.push(`  cache facts: ${safe(fact.state ?? 'unknown')}`);
}

export function renderInspect(r: InspectResult, hours: number): string {
  const out: string[] = [];
  header(r, out);
  out.push('');
  const h = r.host;
  out.push(
    `Host: ${safe(h.hostname ?? '<host>')} (id ${safe(h.hostId)}) · ${safe(h.os ?? h.platform ?? '?')}/${safe(h.arch ?? '?')} · Node ${safe(h.node ?? '?')}`,
  );
  out.push(
    `Tracker version: ${safe(r.trackerVersion ?? 'not found in the logs')} · target ${safe(r.manifest.target.kind)}`,
  );
  out.push('');
  findings(out, 'Findings when the bundle was made', r.recorded.summary, r.recorded.findings);
  if (r.rerun) findings(out, 'Checks re-run now on the bundled facts', r.rerun.summary, r.rerun.findings);
  else out.push(`Checks not re-run: ${safe(r.rerunError ?? 'no facts')}.`);
  out.push('');
  cache(r, out);
  out.push('');
  out.push(`Timeline (warnings and errors in the last ${hours} h of logs):`);
  if (r.timeline.length === 0) out.push('  nothing');
  for (const e of r.timeline)
    out.push(`  ${safe(e.time)} ${safe(e.level.toUpperCase()).padEnd(5)} ${safe(e.text)}`);
  return `${out.join('\n')}\n`;
}
