/**
 * Wording of check findings (issue 12 item 16): counts and plurals that fit, no line said twice,
 * advice that fits what was just said (screen-recording's are in screen-recording.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { cacheFullness } from '../../src/checks/cache-fullness.js';
import { clockSkew } from '../../src/checks/clock-skew.js';
import { contracts as contractsCheck } from '../../src/checks/contracts.js';
import { upworkConnection } from '../../src/checks/upwork-connection.js';
import { classifyReachability } from '../../src/network/reachability.js';
import type { CacheFacts, CacheSegmentRef } from '../../src/facts/cache.js';
import type { CheckOutcome } from '../../src/core/finding.js';
import type { ClockFacts } from '../../src/facts/clock.js';
import type { ContractInfo, ContractsFacts } from '../../src/facts/contracts.js';
import { clockSync } from '../../src/fixes/clock-sync.js';
import { engineCacheFacts } from '../helpers/engine-facts.js';
import { makeFacts } from '../helpers/facts.js';

describe('cache-fullness words', () => {
  const H = 3600_000;
  const NOW = Date.UTC(2026, 10, 18, 10, 0);
  const seg = (slotStart: number, lockAt: number): CacheSegmentRef => ({
    contractId: 'c-1',
    slotStart,
    minutes: 10,
    weekEndAt: lockAt - 12 * H,
    lockAt,
  });
  const cache = (minutes: number, over: Partial<CacheFacts> = {}): CacheFacts =>
    engineCacheFacts({
      capacitySource: 'config',
      pendingSegments: minutes / 10,
      pendingMinutes: minutes,
      oldestPending: seg(NOW - minutes * 60_000, Date.UTC(2026, 10, 23, 12)),
      newestPending: seg(NOW - 10 * 60_000, Date.UTC(2026, 10, 23, 12)),
      anotherDeviceLive: false,
      ...over,
    });
  const run = (c: CacheFacts) => cacheFullness.run(makeFacts({ cache: c }));

  it('"Oldest waiting" is said once when the week is about to lock, and once when it has locked', async () => {
    const near = await run(
      cache(120, {
        engineNow: Date.UTC(2026, 10, 23, 8),
        oldestPending: seg(Date.UTC(2026, 10, 22, 20), Date.UTC(2026, 10, 23, 12)),
      }),
    );
    expect(near.code).toBe('UWD-CACHE-005');
    expect(near.summary).toMatch(/^Cached time must upload within 4 h: /);
    expect(near.details!.filter((d) => d.startsWith('Oldest waiting')).length).toBe(1);
    const locked = await run(
      cache(60, { oldestPending: seg(Date.UTC(2026, 10, 13, 20), Date.UTC(2026, 10, 16, 12)) }),
    );
    expect(locked.code).toBe('UWD-CACHE-004');
    const lines = locked.details!.filter((d) => d.startsWith('Oldest waiting'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/its week locked 2026-11-16 12:00 UTC/);
  });

  it('the percentage is given once, and segments are counted in words', async () => {
    const f = await run(cache(1080));
    expect(f.summary).toBe(
      'The offline cache is 75 % full (18 h of 24 h): when it is full you cannot log time on any contract.',
    );
    const one = await run(cache(10));
    expect(one.details![0]).toMatch(/^Cache: 1 segment, /);
    expect((await run(cache(20))).details![0]).toMatch(/^Cache: 2 segments, /);
  });
});

describe('clock-skew words', () => {
  const clock = (source: ClockFacts['sync']['source'], note?: string): ClockFacts => ({
    service: { url: 'https://s/', offsetMs: 15 * 60_000, uncertaintyMs: 500, samples: [] },
    serviceUrl: 'https://s/',
    sync: { source, automatic: null, synchronized: null, ...(note ? { note } : {}) },
    timeZone: 'UTC',
    utcOffsetMinutes: 0,
  });

  it('without timedatectl the advice offers what is there, never timedatectl or systemd', async () => {
    const facts = makeFacts({ clock: clock('none', 'timedatectl is not available (no systemd)') });
    const f = await clockSkew.run(facts);
    expect(f.details!.join('\n')).toContain(
      'Whether the OS syncs time automatically is unknown: timedatectl is not available (no systemd).',
    );
    expect(f.remediation!.commands!.join(' ')).not.toMatch(/timedatectl|systemctl/);
    expect(f.remediation!.commands).toEqual(['sudo chronyc makestep', 'sudo ntpdate pool.ntp.org']);
    expect(f.remediation!.text).toMatch(/chrony or ntpdate.*systemd-timesyncd.*date and time settings/);
    const plan = JSON.stringify(clockSync.plan(facts));
    expect(plan).not.toMatch(/systemctl|timedatectl set-ntp/);
    expect(plan).toMatch(/chronyc makestep/);
  });

  it('with timedatectl the advice is timedatectl, and no parentheses nest', async () => {
    const f = await clockSkew.run(makeFacts({ clock: clock('timedatectl') }));
    expect(f.remediation!.commands).toEqual(['sudo timedatectl set-ntp true']);
    expect(f.summary).toMatch(/^Your clock is 15 min 0 s ahead of the service, ±500 ms: /);
    expect(f.details).toContain('Time zone: UTC.');
  });
});

describe('upwork-connection words', () => {
  it('a refused connection: the firewall named once, one full stop before the next sentence', async () => {
    const message =
      'TCP to www.upwork.com:443 refused: a firewall is rejecting the connection, or nothing listens on that port.';
    const c = classifyReachability(
      [
        {
          name: 'upwork web',
          url: 'https://www.upwork.com/',
          host: 'www.upwork.com',
          verdict: 'fail',
          failedStage: 'tcp',
          errorCode: 'ECONNREFUSED',
          message,
        },
      ],
      { interfacesUp: 2, control: { host: 'example.com', resolves: true } },
    );
    const f = await upworkConnection.run(makeFacts({ connection: { ...c, simulated: false } }));
    expect(f.code).toBe('UWD-CONN-005');
    expect(f.summary).not.toMatch(/\.\./);
    expect(f.summary.match(/firewall/g)).toHaveLength(1);
    expect(f.summary).toMatch(/on that port\. The tracker keeps/);
  });
});

describe('contracts words', () => {
  const c = (id: string, status: ContractInfo['status']): ContractInfo => ({
    id,
    title: id,
    client: 'Acme',
    type: 'hourly',
    status,
    startDate: 0,
    weeklyLimitHours: null,
    manualTimeAllowed: false,
  });
  const list = (fetchedAt: number, contracts: ContractInfo[]): ContractsFacts => ({
    file: '/c.json',
    fetchedAt,
    contracts,
    engineNow: null,
  });
  const NOW = Date.parse('2026-11-18T10:00:00.000Z');

  it('the advice names what was found: a stale list is told to refresh, not to resume a paused contract', async () => {
    const stale: CheckOutcome = await contractsCheck.run(
      makeFacts({ contracts: list(NOW - 26 * 3600_000, [c('a', 'active')]) }),
    );
    expect(stale.code).toBe('UWD-CONTRACT-005');
    expect(stale.remediation!.text).toBe(
      'Nothing is wrong with the tracker: refresh the contract list so the tracker sees the latest.',
    );
    const paused: CheckOutcome = await contractsCheck.run(
      makeFacts({ contracts: list(NOW - 60_000, [c('p', 'paused')]) }),
    );
    expect(paused.remediation!.text).toBe(
      'Nothing is wrong with the tracker: ask the client to resume the paused contract; and refresh the contract list so the tracker sees the latest.',
    );
    expect(paused.remediation!.text).not.toMatch(/start date/);
  });
});
