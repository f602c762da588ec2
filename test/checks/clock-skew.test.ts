import { describe, expect, it } from 'vitest';
import { clockSkew, looksLikeTimeZone } from '../../src/checks/clock-skew.js';
import type { ClockFacts, ClockSync, W32tmJson } from '../../src/facts/clock.js';
import { parseSystemsetup, parseTimedatectl, parseW32tm } from '../../src/facts/clock.js';
import { fixture, winSection } from '../facts/os-helpers.js';
import { makeFacts, missing } from '../helpers/facts.js';

/** The Windows rows come through the one batched PowerShell call, as the collector reads them. */
const w32tm = async (name: string) =>
  parseW32tm((await winSection('timeService', { clock: name })) as W32tmJson);

const syncs = {
  linux: {
    on: parseTimedatectl(fixture('linux', 'timedatectl-show-synced.txt')),
    off: parseTimedatectl(fixture('linux', 'timedatectl-show-ntp-off.txt')),
  },
  win32: {
    on: await w32tm('clock-w32tm-synced.json'),
    off: await w32tm('clock-w32tm-nosync.json'),
  },
  darwin: {
    on: parseSystemsetup(fixture('darwin', 'systemsetup-networktime-on.txt')),
    off: parseSystemsetup(fixture('darwin', 'systemsetup-networktime-off.txt')),
  },
} as const;

const clock = (offsetMs: number | undefined, sync: ClockSync, uncertaintyMs = 600): ClockFacts => ({
  ...(offsetMs === undefined
    ? { serviceError: 'DNS: "www.upwork.com" does not resolve' }
    : { service: { url: 'https://127.0.0.1:4431/', offsetMs, uncertaintyMs, samples: [] } }),
  serviceUrl: 'https://127.0.0.1:4431/',
  sync,
  timeZone: 'UTC',
  utcOffsetMinutes: 0,
});

describe('clock-skew', () => {
  describe.each(['linux', 'win32', 'darwin'] as const)('on %s', (platform) => {
    it.each([
      ['in sync', 2_000, 'on', 'pass', 'UWD-CLOCK-001'],
      ['30.5 s ahead but within uncertainty', 30_500, 'on', 'pass', 'UWD-CLOCK-001'],
      ['45 s behind', -45_000, 'on', 'warn', 'UWD-CLOCK-002'],
      ['right but sync off', 1_000, 'off', 'warn', 'UWD-CLOCK-006'],
      ['7 min ahead', 7 * 60_000, 'on', 'fail', 'UWD-CLOCK-003'],
      ['3 h behind: a time zone', -3 * 3_600_000 + 20_000, 'off', 'fail', 'UWD-CLOCK-004'],
      ['5 h 30 min ahead: a time zone', 5.5 * 3_600_000, 'off', 'fail', 'UWD-CLOCK-004'],
      ['service unreachable', undefined, 'on', 'skip', 'UWD-CLOCK-005'],
    ] as const)('%s → %s', async (_n, offset, sync, status, code) => {
      const f = await clockSkew.run(makeFacts({ clock: clock(offset, syncs[platform][sync]) }, { platform }));
      expect(f.status).toBe(status);
      expect(f.code).toBe(code);
      expect(f.evidence).toMatchObject({
        serviceUrl: 'https://127.0.0.1:4431/',
        sync: { source: syncs[platform][sync].source },
      });
      if (status === 'warn' || status === 'fail') expect(f.remediation?.fixIds).toEqual(['clock-sync']);
      if (code === 'UWD-CLOCK-004') expect(f.details?.join(' ')).toMatch(/clock is UTC/);
    });

    it.each(['timeout', 'error'] as const)('not collected (%s) is never a pass', async (reason) => {
      const f = await clockSkew.run(makeFacts({ clock: missing(reason) }, { platform }));
      expect(['skip', 'timeout']).toContain(f.status);
    });
  });

  it('parses the OS sync status from recorded outputs', async () => {
    expect(syncs.linux.on).toMatchObject({ automatic: true, synchronized: true });
    expect(syncs.linux.off).toMatchObject({ automatic: false, synchronized: false });
    expect(syncs.win32.on).toMatchObject({ automatic: true, synchronized: true, server: 'time.windows.com' });
    expect(syncs.win32.off).toMatchObject({ automatic: false, synchronized: false });
    expect(await w32tm('clock-w32tm-stopped.json')).toMatchObject({
      automatic: false,
      note: 'the Windows Time service is not running',
    });
    expect(syncs.darwin.on.automatic).toBe(true);
    expect(parseSystemsetup(fixture('darwin', 'systemsetup-needs-admin.txt'))).toMatchObject({
      automatic: null,
      note: /administrator/,
    });
  });

  it('time-zone heuristic edges', () => {
    expect(looksLikeTimeZone(3_600_000 + 89_000)).toBe(true);
    expect(looksLikeTimeZone(3_600_000 + 120_000)).toBe(false);
    expect(looksLikeTimeZone(20 * 60_000)).toBe(false);
    expect(looksLikeTimeZone(-(5 * 3_600_000 + 45 * 60_000))).toBe(true);
  });
});
