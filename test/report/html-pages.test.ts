/** The HTML pages (report, network, inspect), the log timeline's kinds, and --open through the Context seam. */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createTestContext } from '../../src/core/context.js';
import { UserError } from '../../src/core/errors.js';
import type { Finding } from '../../src/core/finding.js';
import { summarize } from '../../src/core/runner.js';
import { emitReport } from '../../src/cli/output.js';
import { renderHtml } from '../../src/report/html.js';
import { renderInspectHtml } from '../../src/report/html/inspect.js';
import { renderNetworkHtml } from '../../src/report/html/network.js';
import { classifyEvent, problemStart } from '../../src/report/html/timeline.js';
import type { InspectResult } from '../../src/report/inspect/inspect.js';
import type { Report } from '../../src/report/model.js';
import type { NetworkReport } from '../../src/network/render.js';
import { engineCacheFacts } from '../helpers/engine-facts.js';
import { makeFacts } from '../helpers/facts.js';
import { tempDir } from '../helpers/cli.js';

const finding = (id: string, status: Finding['status']): Finding => ({
  id,
  title: id,
  status,
  code: 'UWD-TEST-001',
  summary: `${id} is ${status}`,
  details: [],
  evidence: {},
  durationMs: 1,
});

function report(findings: Finding[]): Report {
  return {
    schemaVersion: 1,
    tool: { name: 'upwork-doctor', version: '0.0.0' },
    target: { kind: 'scenario', scenario: 'x', dataDir: '/d', found: true, reason: 'test' },
    host: { hostname: 'h', os: 'linux', arch: 'x64', node: 'v20' },
    startedAt: '2026-11-18T10:00:00.000Z',
    durationMs: 5,
    deadlineHit: false,
    findings,
    summary: summarize(findings),
    exitCode: 1,
  };
}

describe('check report page', () => {
  it('orders findings failures first, draws charts from facts, and stays script-free and small', () => {
    const r = report([
      finding('a-pass', 'pass'),
      finding('b-warn', 'warn'),
      finding('c-fail', 'fail'),
      finding('d-skip', 'skip'),
    ]);
    const facts = makeFacts({ cache: engineCacheFacts({ pendingMinutes: 600, pendingSegments: 60 }) });
    const html = renderHtml(r, facts);
    const order = [...html.matchAll(/<article class="(\w+)" id="([\w-]+)"/g)].map((m) => m[2]);
    expect(order).toEqual(['c-fail', 'b-warn', 'd-skip', 'a-pass']);
    expect(html).toContain('id="chart-cache"');
    expect(html).toContain('10 h cached of 24 h (41 %, room left).');
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
    expect(Buffer.byteLength(html)).toBeLessThan(1024 * 1024);
    expect(renderHtml(r)).not.toContain('At a glance'); // no facts, no charts
  });
});

describe('network page', () => {
  it('puts the failing endpoint first with its failing stage in words', () => {
    const ep = (name: string, verdict: 'pass' | 'fail', failAt?: 'tls') => ({
      endpoint: { name, url: `https://${name}.example/` },
      host: `${name}.example`,
      port: 443,
      verdict,
      ...(failAt ? { failedStage: failAt } : {}),
      message: verdict,
      proxy: { mode: 'direct' as const, source: 'none', display: 'DIRECT' },
      stages: [
        { stage: 'dns' as const, status: 'pass' as const, durationMs: 5, summary: 'ok', details: {} },
        {
          stage: 'tls' as const,
          status: verdict,
          durationMs: 30,
          summary: verdict === 'fail' ? 'untrusted' : 'ok',
          details: {},
          ...(verdict === 'fail' ? { error: { code: 'CERT_UNTRUSTED', message: 'x' } } : {}),
        },
      ],
      durationMs: 35,
    });
    const r: NetworkReport = {
      schemaVersion: 1,
      tool: { name: 'upwork-doctor', version: '0' },
      startedAt: '2026-11-18T10:00:00.000Z',
      durationMs: 40,
      deadlineHit: false,
      hostname: 'h',
      proxy: { env: {} },
      notes: [],
      endpoints: [ep('good', 'pass'), ep('bad', 'fail', 'tls')],
      summary: { total: 2, pass: 1, fail: 1, timeout: 0 },
      exitCode: 1,
    };
    const html = renderNetworkHtml(r);
    expect(html).toContain('1 of 2 endpoint(s) not reachable. bad: fails at TLS.');
    expect(html.indexOf('https://bad.example/')).toBeLessThan(html.indexOf('https://good.example/'));
    expect(html).toContain('fails at TLS after 30 ms (CERT_UNTRUSTED): untrusted');
  });
});

describe('log timeline kinds', () => {
  const ev = (category: string, text: string, level = 'info', at: number | null = 0) => ({
    category,
    text,
    level,
    at,
    time: '',
  });
  it.each([
    ['app', 'starting Upwork 5.8.0', 'info', 'restart'],
    ['upload', 'done: HTTP 200, 12 accepted, 0 duplicate, 0 rejected', 'info', 'upload'],
    ['upload', 'batch of 12: 9 accepted, 0 duplicate, 3 rejected', 'info', 'failure'],
    ['upload', 'POST https://x/v1 failed: connect ETIMEDOUT (attempt 3)', 'error', 'failure'],
    ['network', 'status "Online" -> "Offline (caching)"', 'info', 'failure'],
    ['network', 'status "Offline (caching)" -> "Online"', 'info', 'other'],
    ['tracker', 'segment 2026-11-29T10:00Z sealed, activity 10/10, screenshot sha256=ab', 'info', 'capture'],
    ['tracker', 'clock jumped back 3 min', 'warn', 'clock'],
    ['gpu', 'renderer crashed', 'error', 'restart'],
    ['ui', 'cannot read property of undefined', 'error', 'error'],
  ])('%s "%s" (%s) is %s', (category, text, level, kind) => {
    expect(classifyEvent(ev(category, text, level))).toBe(kind);
  });

  it('dates the problem from the first failure after the last upload', () => {
    const events = [
      ev('network', 'status "Online" -> "Offline (caching)"', 'info', 1),
      ev('upload', 'done: HTTP 200, 1 accepted, 0 duplicate, 0 rejected', 'info', 2),
      ev('tracker', 'segment sealed', 'info', 3),
      ev('upload', 'POST failed: ECONNRESET', 'error', 4),
      ev('upload', 'POST failed: ECONNRESET', 'error', 5),
    ];
    expect(problemStart(events)?.at).toBe(4);
    expect(problemStart(events.slice(0, 3))).toBeUndefined();
  });
});

describe('inspect page', () => {
  const base = (): InspectResult => ({
    file: '/tmp/upwork-doctor-1-abc.zip',
    encrypted: false,
    folder: false,
    problems: [],
    manifest: {
      manifestVersion: 1,
      tool: { name: 'upwork-doctor', version: '0' },
      ticket: '1',
      createdAt: '2026-11-18T10:00:00.000Z',
      hostId: 'abc',
      platform: 'linux',
      target: { kind: 'scenario' },
      options: { maxSizeMB: 25, since: null, includeScreenshots: false, encrypted: false },
      redaction: { rulesVersion: '1', totals: { email: 3, hostname: 5 }, distinctValues: 4 },
      entries: [],
    },
    verification: { ok: true, checked: 9, modified: [], missing: [], unexpected: [] },
    host: { hostId: 'abc', platform: 'linux' },
    trackerVersion: '5.8.0',
    recorded: {
      summary: summarize([finding('cache-fullness', 'fail')]),
      findings: [finding('cache-fullness', 'fail')],
    },
    rerun: {
      summary: summarize([finding('cache-fullness', 'pass')]),
      findings: [finding('cache-fullness', 'pass')],
    },
    cache: null,
    timeline: [],
    events: [
      {
        time: '2026-11-18T08:00:00.000',
        at: Date.UTC(2026, 10, 18, 8),
        level: 'info',
        category: 'upload',
        text: 'done: HTTP 200, 1 accepted, 0 duplicate, 0 rejected',
        entry: 'logs/a.log',
      },
      {
        time: '2026-11-18T09:00:00.000',
        at: Date.UTC(2026, 10, 18, 9),
        level: 'error',
        category: 'upload',
        text: 'POST failed: ECONNRESET',
        entry: 'logs/a.log',
      },
    ],
  });

  it('shows integrity, both verdicts side by side, what changed, redaction counts and when the problem started', () => {
    const html = renderInspectHtml(base(), 6);
    expect(html).toContain('Integrity: OK, all 9 entries match the manifest.');
    expect(html).toContain('When the bundle was made');
    expect(html).toContain('Re-run now on the bundled facts');
    expect(html).toContain('Changed since the bundle was made: cache-fullness fail → pass.');
    expect(html).toMatch(/<th>hostname<\/th><td>5<\/td>/);
    expect(html).toContain('8 value(s) replaced (4 distinct)');
    expect(html).toContain('The problem started at 2026-11-18 09:00 (log time): POST failed: ECONNRESET');
    expect(html).toContain('problem started 09:00');
  });

  it('says a tampered bundle is not to be trusted', () => {
    const r = base();
    r.verification = {
      ok: false,
      checked: 9,
      modified: [{ name: 'logs/a.log', expected: 'x', actual: 'y' }],
      missing: [],
      unexpected: [],
    };
    expect(renderInspectHtml(r, 6)).toContain(
      'Integrity: FAILED: 1 modified, 0 missing, 0 not in the manifest. Do not trust what follows.',
    );
  });
});

describe('--open', () => {
  it('writes the page, prints its absolute path and opens it through the Context seam', async () => {
    const opened: string[] = [];
    const ctx = createTestContext({ open: async (t) => void opened.push(t) });
    const file = path.join(tempDir(), 'r.html');
    await emitReport(ctx, '<!doctype html>', file, { format: 'html', name: 'report' });
    expect(readFileSync(file, 'utf8')).toBe('<!doctype html>');
    expect(opened).toEqual([path.resolve(file)]);
    expect(ctx.out.join('')).toBe(`Report written to ${path.resolve(file)}\n`);
  });

  it('picks a file in the temp folder without --output, and still prints the path when opening fails', async () => {
    const ctx = createTestContext({
      open: async () => {
        throw new Error('no display');
      },
    });
    await emitReport(ctx, '<p>x</p>', undefined, { format: 'html', name: 'inspect' });
    const printed = /Report written to (.+)\n/.exec(ctx.out.join(''))?.[1];
    expect(printed).toMatch(/upwork-doctor-inspect-\d+\.html$/);
    expect(existsSync(printed!)).toBe(true);
    rmSync(printed!);
    expect(ctx.err.join('')).toContain(`open ${printed} yourself`);
  });

  it('refuses --open for a format that is not HTML', async () => {
    await expect(
      emitReport(createTestContext(), 'x', undefined, { format: 'json', name: 'r' }),
    ).rejects.toThrow(UserError);
  });
});
