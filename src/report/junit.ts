/**
 * `--format junit`: one <testcase> per check, so CI and fleet tools show the doctor like a test
 * run. fail → <failure>, error/timeout → <error>, skip → <skipped/>, warn → passes with the
 * warning in <system-out> (and a property), as warnings do not fail a run without --strict.
 */
import { xmlEscape } from '../core/format.js';
import type { Report } from './model.js';

const secs = (ms: number) => (ms / 1000).toFixed(3);

export function renderJunit(report: Report): string {
  const s = report.summary;
  const failures = s.fail;
  const errors = s.error + s.timeout;
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  const attrs = `tests="${s.total}" failures="${failures}" errors="${errors}" skipped="${s.skip}" time="${secs(report.durationMs)}"`;
  out.push(`<testsuites name="upwork-doctor" ${attrs}>`);
  out.push(
    `  <testsuite name="upwork-doctor" ${attrs} timestamp="${xmlEscape(report.startedAt)}" hostname="${xmlEscape(report.host.hostname)}">`,
  );
  out.push('    <properties>');
  out.push(`      <property name="tool.version" value="${xmlEscape(report.tool.version)}"/>`);
  out.push(`      <property name="target.kind" value="${xmlEscape(report.target.kind)}"/>`);
  out.push(`      <property name="target.dataDir" value="${xmlEscape(report.target.dataDir)}"/>`);
  out.push(`      <property name="exitCode" value="${report.exitCode}"/>`);
  out.push('    </properties>');
  for (const f of report.findings) {
    const open = `    <testcase classname="upwork-doctor.${xmlEscape(f.id)}" name="${xmlEscape(f.title)}" time="${secs(f.durationMs)}"`;
    const body: string[] = [];
    const text = [
      f.summary,
      ...f.details,
      ...(f.remediation
        ? [`Fix: ${f.remediation.text}`, ...f.remediation.commands.map((c) => `  $ ${c}`)]
        : []),
    ].join('\n');
    if (f.status === 'fail')
      body.push(
        `      <failure message="${xmlEscape(f.summary)}" type="${xmlEscape(f.code)}">${xmlEscape(text)}</failure>`,
      );
    else if (f.status === 'error' || f.status === 'timeout')
      body.push(
        `      <error message="${xmlEscape(f.summary)}" type="${xmlEscape(f.code)}">${xmlEscape(text)}</error>`,
      );
    else if (f.status === 'skip') body.push(`      <skipped message="${xmlEscape(f.summary)}"/>`);
    else if (f.status === 'warn')
      body.push(`      <system-out>${xmlEscape(`WARNING ${f.code}: ${text}`)}</system-out>`);
    if (body.length === 0) out.push(`${open}/>`);
    else out.push(`${open}>`, ...body, '    </testcase>');
  }
  out.push('  </testsuite>', '</testsuites>', '');
  return out.join('\n');
}
