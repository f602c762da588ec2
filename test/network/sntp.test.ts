/** The SNTP client (src/network/clock.ts) and the clock collector's SNTP path, against a real loopback UDP server. */
import { describe, expect, it } from 'vitest';
import { clockSkew } from '../../src/checks/clock-skew.js';
import type { Platform } from '../../src/core/check.js';
import { createTestContext } from '../../src/core/context.js';
import { clockCollector } from '../../src/facts/clock.js';
import { readNtpTime, sntpQuery } from '../../src/network/clock.js';
import { parseTimeServer } from '../../src/network/time-server.js';
import { collect } from '../facts/os-helpers.js';
import { makeFacts } from '../helpers/facts.js';
import { closedPort } from './helpers/servers.js';
import { sntpServer, writeNtpTime } from './sntp-server.js';

const realCtx = () => createTestContext({ now: () => Date.now() });
const query = (url: string, timeoutMs = 2_000, signal?: AbortSignal) =>
  sntpQuery(url, { timeoutMs, now: () => Date.now(), ...(signal ? { signal } : {}) });
/** Date.now() has 1 ms steps on both ends: allow that on top of the RFC's ± delay/2. */
const within = (r: { offsetMs: number; delayMs: number }, expected: number) =>
  expect(Math.abs(r.offsetMs - expected)).toBeLessThanOrEqual(r.delayMs / 2 + 2);

describe('sntpQuery against a loopback SNTP server', () => {
  it('an honest server: offset near 0, stratum 2, one well-formed v4 client request', async () => {
    const s = await sntpServer();
    const r = await query(s.url);
    expect(r).toMatchObject({ server: s.url, stratum: 2 });
    within(r, 0);
    expect(r.delayMs).toBeGreaterThanOrEqual(0);
    expect(r.delayMs).toBeLessThan(500);
    expect(s.requests).toHaveLength(1);
    const req = s.requests[0]!;
    expect(req).toHaveLength(48);
    expect(req[0]! & 7).toBe(3);
    expect((req[0]! >> 3) & 7).toBe(4);
    // The transmit field is a nonce, not this machine's clock.
    expect(req.subarray(40, 48).equals(Buffer.alloc(8))).toBe(false);
  });

  it.each([
    ['90 s ahead', 90_000],
    ['7 min behind', -7 * 60_000],
    ['3 h ahead', 3 * 3_600_000],
  ])('a server %s: the offset (local − server) is minus its skew', async (_n, skew) => {
    const s = await sntpServer({ skewMs: skew });
    const r = await query(s.url);
    within(r, -skew);
  });

  it('two requests carry different nonces', async () => {
    const s = await sntpServer();
    await query(s.url);
    await query(s.url);
    expect(s.requests[0]!.subarray(40, 48).equals(s.requests[1]!.subarray(40, 48))).toBe(false);
  });

  it('reads NTP era 1 (after the 2036 rollover) and fractions', () => {
    const b = Buffer.alloc(8);
    const t = Date.UTC(2040, 0, 1, 12, 0, 0, 250);
    writeNtpTime(b, 0, t);
    expect(b.readUInt32BE(0) & 0x80000000).toBe(0);
    expect(Math.abs(readNtpTime(b, 0) - t)).toBeLessThan(0.001);
    const now = Date.UTC(2026, 10, 18, 10, 0, 0, 500);
    writeNtpTime(b, 0, now);
    expect(Math.abs(readNtpTime(b, 0) - now)).toBeLessThan(0.001);
  });
});

describe('a server that never answers', () => {
  it('times out within the query timeout and closes its socket', async () => {
    const s = await sntpServer({ silent: true });
    const t0 = performance.now();
    await expect(query(s.url, 300)).rejects.toMatchObject({
      code: 'TIMEOUT',
      message: expect.stringMatching(/SNTP query to 127\.0\.0\.1:\d+ did not finish within 0\.3 s/),
    });
    expect(performance.now() - t0).toBeLessThan(1_500);
    expect(s.requests).toHaveLength(1);
  });

  it('the run deadline cuts it short', async () => {
    const s = await sntpServer({ silent: true });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    await expect(query(s.url, 10_000, ac.signal)).rejects.toMatchObject({ code: 'DEADLINE' });
  });

  it('the collector finishes within its own timeout and clock-skew is not a pass', async () => {
    const s = await sntpServer({ silent: true });
    const port = await closedPort();
    const t0 = performance.now();
    const { value, sources } = await collect(clockCollector, realCtx(), {
      options: { serviceUrl: `https://127.0.0.1:${port}/`, timeServer: s.url },
    });
    const took = performance.now() - t0;
    expect(took).toBeLessThan(clockCollector.timeoutMs);
    expect(took).toBeGreaterThanOrEqual(2_900);
    expect(value.sntp).toBeUndefined();
    expect(value.sntpError).toMatch(/did not finish within 3 s.*UDP 123 is often blocked/);
    expect(sources).toContainEqual({ kind: 'url', ref: s.url });
    const f = await clockSkew.run(makeFacts({ clock: value }));
    expect(f).toMatchObject({ status: 'skip', code: 'UWD-CLOCK-005' });
    expect(f.details!.join(' ')).toMatch(/SNTP: SNTP query .* did not finish/);
  });
});

describe('malformed replies are rejected with a clear reason', () => {
  const cases: [string, (b: Buffer) => Buffer, string, RegExp][] = [
    ['a short packet', (b) => b.subarray(0, 20), 'BAD_NTP', /20 bytes, shorter than the 48/],
    ['mode 3 (a client echo)', (b) => ((b[0] = (b[0]! & ~7) | 3), b), 'BAD_NTP', /mode 3, not 4/],
    ['mode 5 (broadcast)', (b) => ((b[0] = (b[0]! & ~7) | 5), b), 'BAD_NTP', /mode 5, not 4/],
    ['a zero transmit timestamp', (b) => b.fill(0, 40, 48), 'BAD_NTP', /transmit timestamp is zero/],
    [
      "a Kiss-o'-Death (stratum 0, RATE)",
      (b) => ((b[1] = 0), b.write('RATE', 12, 'latin1'), b),
      'NTP_KOD',
      /refused to answer \(Kiss-o'-Death RATE, stratum 0\)/,
    ],
    [
      'an originate that is not our nonce',
      (b) => b.fill(7, 24, 32),
      'BAD_NTP',
      /originate timestamp does not match/,
    ],
    ['stratum 16 (unsynchronised)', (b) => ((b[1] = 16), b), 'BAD_NTP', /stratum 16: .*not synchronised/],
    ['leap indicator 3', (b) => ((b[0] = b[0]! | 0xc0), b), 'BAD_NTP', /leap indicator 3/],
    ['version 0', (b) => ((b[0] = b[0]! & ~0x38), b), 'BAD_NTP', /unknown NTP version 0/],
  ];

  it.each(cases)('%s', async (_n, tamper, code, why) => {
    const s = await sntpServer({ tamper });
    await expect(query(s.url)).rejects.toMatchObject({ code, message: expect.stringMatching(why) });
  });

  it('through the collector: the reason lands in sntpError (no firewall hint) and the check skips', async () => {
    const s = await sntpServer({ tamper: (b) => ((b[1] = 0), b.write('DENY', 12, 'latin1'), b) });
    const port = await closedPort();
    const { value } = await collect(clockCollector, realCtx(), {
      options: { serviceUrl: `https://127.0.0.1:${port}/`, timeServer: s.url },
    });
    expect(value.sntpError).toMatch(/Kiss-o'-Death DENY/);
    expect(value.sntpError).not.toMatch(/UDP 123/);
    expect((await clockSkew.run(makeFacts({ clock: value }))).status).toBe('skip');
  });
});

describe('clock-skew on the SNTP source alone (the HTTPS service unreachable)', () => {
  const platforms: Platform[] = ['linux', 'win32', 'darwin'];
  it.each([
    ['in sync', 0, 'pass', 'UWD-CLOCK-001', /matches the time server/],
    [
      '90 s ahead',
      90_000,
      'warn',
      'UWD-CLOCK-002',
      /1 min 30 s behind the time server|behind the time server/,
    ],
    ['7 min behind', -7 * 60_000, 'fail', 'UWD-CLOCK-003', /ahead of the time server/],
    ['2 h ahead', 2 * 3_600_000, 'fail', 'UWD-CLOCK-004', /behind the time server.*time zone is wrong/],
  ])('a time server %s → %s (%s)', async (_n, skew, status, code, summary) => {
    const s = await sntpServer({ skewMs: skew });
    const port = await closedPort();
    const { value } = await collect(clockCollector, realCtx(), {
      options: { serviceUrl: `https://127.0.0.1:${port}/`, timeServer: s.url },
    });
    expect(value.service).toBeUndefined();
    expect(value.serviceError).toBeTruthy();
    within(value.sntp!, -skew);
    for (const platform of platforms) {
      const f = await clockSkew.run(makeFacts({ clock: value }, { platform }));
      expect(f).toMatchObject({ status, code });
      expect(f.summary).toMatch(summary);
      expect(f.details![0]).toMatch(new RegExp(`measured against ntp://127\\.0\\.0\\.1:${s.port}\\.`));
      expect(f.evidence).toMatchObject({
        reference: { kind: 'sntp', name: s.url, offsetMs: value.sntp!.offsetMs },
        sntp: { server: s.url, stratum: 2 },
      });
    }
  });
});

describe('parseTimeServer', () => {
  it.each([
    ['ntp://127.0.0.1:1123', '127.0.0.1', 1123],
    ['ntp://time.example.org', 'time.example.org', 123],
    ['ntp://[::1]:5123', '::1', 5123],
    ['pool.ntp.org:10123', 'pool.ntp.org', 10123],
  ])('%s', (s, host, port) => expect(parseTimeServer(s)).toEqual({ host, port }));

  it.each([
    ['', /empty/],
    ['http://time.example.org', /scheme is http, not ntp/],
    ['ntp://', /host is missing|not a valid URL/],
    ['ntp://h:0', /port must be 1-65535/],
    ['ntp://h:99999', /not a valid URL or port/],
    ['ntp://h/path', /no path/],
    ['ntp://u:p@h', /no user name/],
  ])('rejects %j in one line', (s, why) => {
    expect(() => parseTimeServer(s)).toThrow(why);
    try {
      parseTimeServer(s);
    } catch (e) {
      expect((e as Error).message).not.toContain('\n');
      expect((e as Error).message).toMatch(/^time server must be ntp:\/\/HOST\[:PORT\]/);
    }
  });
});
