/** `upwork-doctor network` as a user runs it: formats, exit codes, deadline, PAC, no secrets printed. */
import { describe, expect, it } from 'vitest';
import { XMLParser } from 'fast-xml-parser';
import { runCli } from '../helpers/cli.js';
import { makeCa, makeLeaf, writeTemp } from '../network/helpers/pki.js';
import { blackhole, closedPort, httpsServer, portOf, textServer } from '../network/helpers/servers.js';

const ca = makeCa('/CN=E2E Test Root/O=upwork-doctor tests');
const leaf = makeLeaf(ca);

describe('upwork-doctor network', () => {
  it('json: a reachable and a closed endpoint → exit 1, versioned schema, verdict per endpoint', async () => {
    const s = await httpsServer(leaf);
    const closed = await closedPort();
    const r = await runCli([
      'network',
      '--endpoint',
      `https://localhost:${portOf(s)}/`,
      '--endpoint',
      `https://127.0.0.1:${closed}/`,
      '--ca',
      ca.certFile,
      '--format',
      'json',
      '--timeout',
      '2',
    ]);
    expect(r.code, r.stderr).toBe(1);
    const j = JSON.parse(r.stdout) as {
      schemaVersion: number;
      endpoints: { verdict: string; failedStage?: string }[];
      summary: unknown;
    };
    expect(j.schemaVersion).toBe(1);
    expect(j.endpoints.map((e) => [e.verdict, e.failedStage])).toEqual([
      ['pass', undefined],
      ['fail', 'tcp'],
    ]);
    expect(j.summary).toEqual({ total: 2, pass: 1, fail: 1, timeout: 0 });
    expect(r.stdout).not.toContain('\u001b[');
  });

  it('junit: one testcase per endpoint and stage', async () => {
    const closed = await closedPort();
    const r = await runCli([
      'network',
      '--endpoint',
      `https://127.0.0.1:${closed}/`,
      '--format',
      'junit',
      '--timeout',
      '2',
    ]);
    expect(r.code).toBe(1);
    const x = new XMLParser({ ignoreAttributes: false }).parse(r.stdout) as {
      testsuites: { testsuite: { testcase: { '@_name': string; failure?: unknown }[] } };
    };
    const cases = x.testsuites.testsuite.testcase;
    expect(cases).toHaveLength(6);
    expect(cases.filter((c) => c.failure).map((c) => c['@_name'])).toEqual([
      `tcp https://127.0.0.1:${closed}/`,
    ]);
  });

  it('the deadline ends the command with exit 3 even when stages would wait longer', async () => {
    const s = await blackhole();
    const t0 = Date.now();
    const r = await runCli([
      'network',
      '--endpoint',
      `https://127.0.0.1:${portOf(s)}/`,
      '--timeout',
      '20',
      '--deadline',
      '1',
    ]);
    expect(r.code).toBe(3);
    expect(Date.now() - t0).toBeLessThan(8_000);
    expect(r.stdout).toMatch(/cut short/);
  });

  it('a PAC file from a URL sends one host through a (dead) proxy and the other direct', async () => {
    const s = await httpsServer(leaf);
    const deadProxy = await closedPort();
    const pac = await textServer(
      `function FindProxyForURL(url, host) { return host === "localhost" ? "PROXY 127.0.0.1:${deadProxy}" : "DIRECT"; }`,
    );
    const r = await runCli([
      'network',
      '--endpoint',
      `https://localhost:${portOf(s)}/`,
      '--endpoint',
      `https://127.0.0.1:${portOf(s)}/`,
      '--ca',
      ca.certFile,
      '--pac',
      `http://127.0.0.1:${portOf(pac)}/proxy.pac`,
      '--json',
    ]);
    const j = JSON.parse(r.stdout) as {
      endpoints: { verdict: string; failedStage?: string; proxy: { mode: string; pacResult?: string } }[];
    };
    expect(j.endpoints[0]).toMatchObject({
      verdict: 'fail',
      failedStage: 'proxy',
      proxy: { mode: 'proxy', pacResult: `PROXY 127.0.0.1:${deadProxy}` },
    });
    expect(j.endpoints[1]).toMatchObject({ verdict: 'pass', proxy: { mode: 'direct', pacResult: 'DIRECT' } });
  });

  it('proxy credentials are used but never printed; the shell-vs-app note is not shown with --proxy', async () => {
    const closed = await closedPort();
    const r = await runCli([
      'network',
      '--endpoint',
      'https://127.0.0.1:9/',
      '--proxy',
      `http://bob:hunter2-secret@127.0.0.1:${closed}`,
      '--json',
      '--timeout',
      '1',
    ]);
    expect(r.stdout + r.stderr).not.toContain('hunter2-secret');
    expect(r.stdout).toContain('***@127.0.0.1');
  });

  it('the environment proxy is reported, redacted; bad input gets one line and exit 2', async () => {
    const bad = await runCli(['network', '--endpoint', 'ftp://x/']);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    const file = writeTemp('eps.txt', '# nothing\n');
    const empty = await runCli(['network', '--endpoints', file]);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toMatch(/no endpoints in the file/);
    const closed = await closedPort();
    const r = await runCli(
      ['network', '--endpoint', `https://127.0.0.1:${closed}/`, '--json', '--timeout', '1'],
      { env: { HTTPS_PROXY: `http://u:pw-secret@127.0.0.1:${closed}`, NO_PROXY: '127.0.0.1' } },
    );
    const j = JSON.parse(r.stdout) as {
      proxy: { env: Record<string, string> };
      endpoints: { proxy: { bypassedBy?: string } }[];
    };
    expect(j.proxy.env.HTTPS_PROXY).toBe(`http://***@127.0.0.1:${closed}`);
    expect(j.endpoints[0]!.proxy.bypassedBy).toBe('127.0.0.1');
    expect(r.stdout).not.toContain('pw-secret');
  });
});
