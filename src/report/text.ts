/**
 * The text report for people: one line per check with a symbol, the summary, then details, the
 * remediation and its commands. Pure: (report, options) → string.
 */
import { Chalk } from 'chalk';
import type { FindingStatus } from '../core/finding.js';
import { asciiText, formatDuration, statusMark } from '../core/format.js';
import type { Report } from './model.js';
import { fixCommand, originTag, targetLabel } from './origin.js';

export interface TextOptions {
  color: boolean;
  /** ✓ ! ✗ when true; [ok] [warn] [FAIL] and ASCII text when the terminal cannot show them. */
  unicode: boolean;
  /** -q: only problems and the summary line. */
  quiet?: boolean;
  /** -v: details and evidence sources for passing checks too. */
  verbose?: boolean;
}

export function renderText(report: Report, opts: TextOptions): string {
  const c = new Chalk({ level: opts.color ? 1 : 0 });
  const paint: Record<FindingStatus, (s: string) => string> = {
    pass: c.green,
    warn: c.yellow,
    fail: c.red,
    skip: c.dim,
    error: c.magenta,
    timeout: c.magenta,
  };
  const lines: string[] = [];
  if (!opts.quiet) {
    const t = report.target;
    lines.push(c.bold(`upwork-doctor ${report.tool.version}`) + c.dim(` · ${targetLabel(t)} · ${t.dataDir}`));
    lines.push('');
  }
  // The headline is not optional: even -q says whose tracker the findings describe.
  if (report.target.headline) lines.push(c.bold(report.target.headline), '');
  for (const f of report.findings) {
    const problem = f.status !== 'pass' && f.status !== 'skip';
    if (opts.quiet && !problem) continue;
    const sym = statusMark(f.status, opts.unicode);
    const tag = originTag(f);
    lines.push(
      `${paint[f.status](sym)} ${c.bold(f.title)}${tag ? c.cyan(` [${tag}]`) : ''}: ${f.summary}${opts.verbose ? c.dim(` (${f.code}, ${formatDuration(f.durationMs)})`) : ''}`,
    );
    if (problem || opts.verbose) {
      for (const d of f.details) lines.push(`    ${opts.unicode ? '•' : '-'} ${d}`);
    }
    if (problem && f.remediation) {
      lines.push(`    ${c.cyan(opts.unicode ? '→' : '->')} ${f.remediation.text}`);
      for (const cmd of f.remediation.commands) lines.push(`      ${c.dim('$')} ${cmd}`);
      const fixCmd = fixCommand(f.remediation, report.target);
      if (fixCmd) lines.push(`      ${c.dim('or run:')} ${fixCmd}`);
      if (f.remediation.docsUrl) lines.push(`      ${c.dim('more:')} ${f.remediation.docsUrl}`);
    }
    if (problem && opts.verbose && typeof f.evidence.stack === 'string') lines.push(c.dim(f.evidence.stack));
  }
  const s = report.summary;
  const parts = [
    `${s.pass} passed`,
    s.warn ? paint.warn(`${s.warn} warning${s.warn === 1 ? '' : 's'}`) : '',
    s.fail ? paint.fail(`${s.fail} failed`) : '',
    s.error ? paint.error(`${s.error} crashed`) : '',
    s.timeout ? paint.timeout(`${s.timeout} timed out`) : '',
    s.skip ? `${s.skip} skipped` : '',
  ].filter(Boolean);
  lines.push('');
  lines.push(`${parts.join(', ')} ${c.dim(`in ${formatDuration(report.durationMs)}`)}`);
  if (report.deadlineHit)
    lines.push(
      paint.timeout('The run was cut short by its deadline (--deadline); some checks did not finish.'),
    );
  const out = `${lines.join('\n')}\n`;
  // Without Unicode, our own typography in the findings (→, …, “”) goes to ASCII too.
  return opts.unicode ? out : asciiText(out);
}
