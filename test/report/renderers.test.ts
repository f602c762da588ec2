import { describe, expect, it } from 'vitest';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { Finding } from '../../src/core/finding.js';
import { summarize } from '../../src/core/runner.js';
import { renderJunit } from '../../src/report/junit.js';
import type { Report } from '../../src/report/model.js';
import { renderText } from '../../src/report/text.js';

const finding = (id: string, status: Finding['status'], extra: Partial<Finding> = {}): Finding => ({
  id,
  title: id.toUpperCase(),
  status,
  code: 'UWD-X-001',
  summary: `${id} summary <&> "quoted"`,
  details: [`${id} detail`],
  evidence: {},
  durationMs: 12,
  ...extra,
});

function report(findings: Finding[]): Report {
  return {
    schemaVersion: 1,
    tool: { name: 'upwork-doctor', version: '9.9.9' },
    target: { kind: 'embedded', dataDir: '/d', found: true, reason: 't' },
    host: { hostname: 'h', os: 'linux', arch: 'x64', node: 'v20' },
    startedAt: '2026-11-18T10:00:00.000Z',
    durationMs: 1234,
    deadlineHit: false,
    findings,
    summary: summarize(findings),
    exitCode: 1,
  };
}

const all = [
  finding('a', 'pass'),
  finding('b', 'warn', {
    remediation: { text: 'do b', commands: ['cmd b'], fixIds: ['fix-b'], docsUrl: 'docs/b.md' },
  }),
  finding('c', 'fail'),
  finding('d', 'skip'),
  finding('e', 'error'),
  finding('f', 'timeout'),
];

describe('text renderer', () => {
  it('unicode symbols, remediation, commands and the fix hint; a summary line', () => {
    const t = renderText(report(all), { color: false, unicode: true });
    expect(t).toMatch(/^✓ A: a summary/m);
    expect(t).toMatch(/^! B: b summary/m);
    expect(t).toMatch(/^✗ C: c summary/m);
    expect(t).toMatch(/→ do b\n\s+\$ cmd b\n\s+or run: upwork-doctor fix --only fix-b/);
    expect(t).toMatch(/1 passed, 1 warning, 1 failed, 1 crashed, 1 timed out, 1 skipped in 1\.2 s/);
    expect(t).not.toMatch(/a detail/); // passing checks stay one line unless -v
  });
  it('does not repeat the fix command when the remediation already lists it', () => {
    const r = { text: 't', commands: ['upwork-doctor fix --only cache-upload'], fixIds: ['cache-upload'] };
    const t = renderText(report([finding('z', 'fail', { remediation: r })]), { color: false, unicode: true });
    expect(t.match(/upwork-doctor fix --only cache-upload/g)).toHaveLength(1);
  });
  it('plain fallback without unicode, and no colour codes', () => {
    const t = renderText(report(all), { color: false, unicode: false });
    expect(t).toMatch(/^\[ok\] A/m);
    expect(t).toMatch(/^\[warn\] B/m);
    expect(t).toMatch(/^\[FAIL\] C/m);
    expect(t).not.toMatch(/[✓✗→•]/);
    expect(t).not.toMatch(/\u001b\[/);
  });
  it('quiet keeps only problems; colour adds escape codes', () => {
    const q = renderText(report(all), { color: false, unicode: true, quiet: true });
    expect(q).not.toMatch(/^✓ A/m);
    expect(q).toMatch(/^✗ C/m);
    expect(renderText(report(all), { color: true, unicode: true })).toMatch(/\u001b\[/);
  });
});

describe('junit renderer', () => {
  it('is valid XML; fail → failure, error/timeout → error, skip → skipped, warn → system-out', () => {
    const xml = renderJunit(report(all));
    expect(XMLValidator.validate(xml)).toBe(true);
    const doc = new XMLParser({ ignoreAttributes: false }).parse(xml);
    const s = doc.testsuites;
    expect([s['@_tests'], s['@_failures'], s['@_errors'], s['@_skipped']]).toEqual(['6', '1', '2', '1']);
    const cases = s.testsuite.testcase as Record<string, unknown>[];
    expect(cases[1]!['system-out']).toMatch(/WARNING UWD-X-001/);
    expect(cases[2]!.failure).toBeDefined();
    expect(cases[4]!.error).toBeDefined();
    expect(cases[5]!.error).toBeDefined();
    expect(cases[3]!.skipped).toBeDefined();
    expect(cases[0]!['@_time']).toBe('0.012');
  });
  it('escapes markup and strips control characters', () => {
    const xml = renderJunit(report([finding('x', 'fail', { summary: 'bad \u0001 <tag> & "q"' })]));
    expect(XMLValidator.validate(xml)).toBe(true);
    expect(xml).not.toContain('\u0001');
    expect(xml).toContain('&lt;tag&gt; &amp; &quot;q&quot;');
  });
});
