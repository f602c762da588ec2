/**
 * Renderers for the network report: text for people, JSON (versioned) and JUnit (one testcase per
 * endpoint and stage) for fleet tools and CI. Pure; no colour in machine formats.
 */
import { asciiText, statusMark, xmlEscape } from '../core/format.js';
import type { EndpointResult, StageResult } from './types.js';
import type { SystemProxy } from './proxy.js';

export interface NetworkReport {
  schemaVersion: number;
  tool: { name: string; version: string };
  startedAt: string;
  durationMs: number;
  deadlineHit: boolean;
  hostname: string;
  proxy: {
    override?: string;
    pac?: string;
    system?: SystemProxy;
    winhttp?: SystemProxy;
    env: Record<string, string>;
  };
  notes: string[];
  endpoints: EndpointResult[];
  summary: { total: number; pass: number; fail: number; timeout: number };
  exitCode: number;
}

export function renderNetworkJson(r: NetworkReport): string {
  return `${JSON.stringify(r, null, 2)}\n`;
}

/** The check report's marks (✓ ✗ ⏱ -, or [ok] [FAIL] [TIMEOUT] [skip]), padded to one width. */
const mark = (s: StageResult['status'], unicode: boolean) => statusMark(s, unicode).padEnd(unicode ? 1 : 9);

export function renderNetworkText(r: NetworkReport, opts: { unicode: boolean; verbose?: boolean }): string {
  const out: string[] = [];
  for (const ep of r.endpoints) {
    const verdict =
      ep.verdict === 'pass'
        ? 'reachable'
        : ep.verdict === 'timeout'
          ? 'cut short'
          : `fails at ${ep.failedStage}`;
    out.push(`${ep.endpoint.name} ${ep.endpoint.url}: ${verdict} (${ep.durationMs} ms)`);
    for (const s of ep.stages) {
      if (s.status === 'skip' && !opts.verbose && ep.verdict !== 'pass') continue;
      out.push(
        `  ${mark(s.status, opts.unicode)} ${s.stage.padEnd(9)} ${String(s.durationMs).padStart(5)} ms  ${s.summary}`,
      );
      if (s.error && s.status !== 'pass')
        out.push(`       ${''.padEnd(9)}           raw: ${s.error.code}: ${s.error.message}`);
    }
    out.push('');
  }
  for (const n of r.notes) out.push(`note: ${n}`);
  if (r.notes.length) out.push('');
  const s = r.summary;
  out.push(
    `${s.pass} of ${s.total} endpoints reachable${s.fail ? `, ${s.fail} failing` : ''}${s.timeout ? `, ${s.timeout} cut short` : ''}${r.deadlineHit ? ' (the deadline was reached)' : ''}.`,
  );
  const text = `${out.join('\n')}\n`;
  return opts.unicode ? text : asciiText(text);
}

const secs = (ms: number) => (ms / 1000).toFixed(3);

export function renderNetworkJunit(r: NetworkReport): string {
  const cases: string[] = [];
  let failures = 0;
  let errors = 0;
  let skipped = 0;
  for (const ep of r.endpoints) {
    for (const s of ep.stages) {
      const open = `    <testcase classname="upwork-doctor.network.${xmlEscape(ep.endpoint.name)}" name="${xmlEscape(`${s.stage} ${ep.endpoint.url}`)}" time="${secs(s.durationMs)}"`;
      const raw = s.error ? `\n${s.error.code}: ${s.error.message}` : '';
      if (s.status === 'fail') {
        failures++;
        cases.push(
          `${open}>`,
          `      <failure message="${xmlEscape(s.summary)}" type="${xmlEscape(s.error?.code ?? 'FAIL')}">${xmlEscape(s.summary + raw)}</failure>`,
          '    </testcase>',
        );
      } else if (s.status === 'timeout') {
        errors++;
        cases.push(
          `${open}>`,
          `      <error message="${xmlEscape(s.summary)}" type="${xmlEscape(s.error?.code ?? 'TIMEOUT')}">${xmlEscape(s.summary + raw)}</error>`,
          '    </testcase>',
        );
      } else if (s.status === 'skip') {
        skipped++;
        cases.push(`${open}>`, `      <skipped message="${xmlEscape(s.summary)}"/>`, '    </testcase>');
      } else {
        cases.push(`${open}>`, `      <system-out>${xmlEscape(s.summary)}</system-out>`, '    </testcase>');
      }
    }
  }
  const tests = r.endpoints.reduce((n, e) => n + e.stages.length, 0);
  const attrs = `tests="${tests}" failures="${failures}" errors="${errors}" skipped="${skipped}" time="${secs(r.durationMs)}"`;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="upwork-doctor network" ${attrs}>`,
    `  <testsuite name="upwork-doctor network" ${attrs} timestamp="${xmlEscape(r.startedAt)}" hostname="${xmlEscape(r.hostname)}">`,
    '    <properties>',
    `      <property name="tool.version" value="${xmlEscape(r.tool.version)}"/>`,
    `      <property name="schemaVersion" value="${r.schemaVersion}"/>`,
    `      <property name="exitCode" value="${r.exitCode}"/>`,
    ...r.notes.map((n) => `      <property name="note" value="${xmlEscape(n)}"/>`),
    '    </properties>',
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
