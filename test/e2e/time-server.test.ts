/** `upwork-doctor --only clock-skew --time-server ntp://…` end to end (needs `npm run build`). */
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { sntpServer } from '../network/sntp-server.js';

interface Finding {
  id: string;
  status: string;
  code: string;
  evidence: {
    reference?: { kind: string };
    sntp?: { server: string; offsetMs: number; delayMs: number; stratum: number };
    sntpError?: string;
  };
}

function clockFinding(stdout: string): Finding {
  const j = JSON.parse(stdout) as { findings: Finding[] };
  const f = j.findings.find((x) => x.id === 'clock-skew');
  expect(f).toBeDefined();
  return f!;
}

const run = (timeServer: string) =>
  runCli(['--only', 'clock-skew', '--time-server', timeServer, '--target', 'embedded', '--json'], {
    timeoutMs: 30_000,
  });

describe('upwork-doctor --time-server', () => {
  it('with Upwork unreachable the SNTP server is the reference, never the engine (a server 10 min ahead)', async () => {
    const s = await sntpServer({ skewMs: 10 * 60_000 });
    const r = await run(s.url);
    // --target embedded starts the engine's server, but the clock is a world fact: it is measured
    // against Upwork (unreachable here) and the time server, so the 10 minutes show.
    expect(r.code, r.stderr).toBe(1);
    const f = clockFinding(r.stdout);
    expect(f).toMatchObject({
      status: 'fail',
      code: 'UWD-CLOCK-003',
      evidence: { reference: { kind: 'sntp' } },
    });
    expect(f.evidence.sntp).toMatchObject({ server: s.url, stratum: 2 });
    const { offsetMs, delayMs } = f.evidence.sntp!;
    expect(Math.abs(offsetMs + 10 * 60_000)).toBeLessThanOrEqual(delayMs / 2 + 2);
    expect(s.requests).toHaveLength(1);
  });

  it('a time server that never answers: the run ends, with the timeout in the evidence', async () => {
    const s = await sntpServer({ silent: true });
    const t0 = performance.now();
    const r = await run(s.url);
    expect(performance.now() - t0).toBeLessThan(20_000);
    expect(r.code, r.stderr).toBe(0);
    const f = clockFinding(r.stdout);
    expect(f.evidence.sntp).toBeUndefined();
    expect(f.evidence.sntpError).toMatch(/did not finish within 3 s/);
  });

  it.each([
    ['http://time.example.org', /the scheme is http, not ntp/],
    ['ntp://127.0.0.1:99999', /not a valid URL or port/],
    ['ntp://127.0.0.1:0', /port must be 1-65535/],
    ['ntp://time.example.org/x', /no path/],
  ])('%s → one-line usage error, exit 2', async (bad, why) => {
    const r = await run(bad);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/--time-server/);
    expect(lines[0]).toMatch(why);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
