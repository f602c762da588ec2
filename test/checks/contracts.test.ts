import { describe, expect, it } from 'vitest';
import { contracts as contractsCheck } from '../../src/checks/contracts.js';
import type { CheckOutcome } from '../../src/core/finding.js';

const contracts = {
  run: (f: Parameters<typeof contractsCheck.run>[0]) => contractsCheck.run(f) as CheckOutcome,
};
import type { ContractInfo } from '../../src/facts/contracts.js';
import { contractsCollector, parseContractsFile } from '../../src/facts/contracts.js';
import { createTestContext } from '../../src/core/context.js';
import { makeFacts, missing } from '../helpers/facts.js';
import { mkdirSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const NOW = Date.parse('2026-11-18T10:00:00.000Z');
const day = 86_400_000;
const c = (over: Partial<ContractInfo>): ContractInfo => ({
  id: 'c-1',
  title: 'Website',
  client: 'Acme',
  type: 'hourly',
  status: 'active',
  startDate: Date.parse('2026-01-05T00:00:00Z'),
  weeklyLimitHours: 40,
  manualTimeAllowed: false,
  ...over,
});
const list = (cs: ContractInfo[], fetchedAt = NOW - 3600_000) => ({
  fetchedAt,
  contracts: cs,
  file: '/d/engine/contracts.json',
});

describe('contracts', () => {
  it.each([
    ['all active', [c({}), c({ id: 'c-2', title: 'Logo' })], NOW - 3600_000, 'pass', 'UWD-CONTRACT-001'],
    ['paused', [c({}), c({ id: 'c-2', status: 'paused' })], NOW - 3600_000, 'warn', 'UWD-CONTRACT-002'],
    ['ended', [c({ status: 'ended' })], NOW - 3600_000, 'warn', 'UWD-CONTRACT-003'],
    [
      'starts tomorrow at 00:00 UTC',
      [c({ startDate: Date.parse('2026-11-19T00:00:00Z') })],
      NOW - 3600_000,
      'warn',
      'UWD-CONTRACT-004',
    ],
    [
      'started today at 00:00 UTC',
      [c({ startDate: Date.parse('2026-11-18T00:00:00Z') })],
      NOW - 3600_000,
      'pass',
      'UWD-CONTRACT-001',
    ],
    ['list two days old', [c({})], NOW - 2 * day, 'warn', 'UWD-CONTRACT-005'],
    ['empty list', [], NOW - 60_000, 'warn', 'UWD-CONTRACT-006'],
  ] as const)('%s → %s %s', async (_n, cs, fetchedAt, status, code) => {
    const f = await contracts.run(makeFacts({ contracts: list([...cs], fetchedAt) }));
    expect(f.status).toBe(status);
    expect(f.code).toBe(code);
    if (status === 'warn') expect(f.remediation?.fixIds).toEqual(['refresh-contracts']);
  });

  it('names the start date and says 00:00 UTC, not local midnight', async () => {
    const f = await contracts.run(
      makeFacts({
        contracts: list([
          c({ title: 'Brand refresh', client: 'Umbrella', startDate: Date.parse('2026-11-19T00:00:00Z') }),
        ]),
      }),
    );
    expect(f.summary).toBe(
      '“Brand refresh” (Umbrella) starts on 2026-11-19 at 00:00 UTC: the tracker offers it from then, not from midnight your time.',
    );
    expect(f.details).toContain('No contract can be tracked right now.');
  });

  it('not collected (installed app, or unreadable) is never a pass', async () => {
    for (const reason of ['not-applicable', 'error'] as const) {
      const f = await contracts.run(makeFacts({ contracts: missing(reason) }));
      expect(f.status).toBe('skip');
    }
  });

  it('parses the engine file and rejects garbage with a clear message', () => {
    const parsed = parseContractsFile(
      JSON.stringify({
        fetchedAt: 5,
        contracts: [{ id: 'a', status: 'paused', title: 'A', startDate: 0 }, { bogus: true }],
      }),
      'f',
    );
    expect(parsed.contracts.map((x) => [x.id, x.status])).toEqual([['a', 'paused']]);
    expect(() => parseContractsFile('{', 'f.json')).toThrow(/f.json is not valid JSON/);
    expect(() => parseContractsFile('{"x":1}', 'f.json')).toThrow(/does not hold a contract list/);
  });

  it('the collector reads the engine folder read-only and skips the installed app', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'uwd-contracts-'));
    try {
      const input = (kind: 'embedded' | 'installed') => ({
        ctx: createTestContext(),
        target: { kind, dataDir: dir, found: true, reason: 't' },
        options: {},
        signal: new AbortController().signal,
        source: () => undefined,
        waitingOn: () => undefined,
      });
      await expect(contractsCollector.collect(input('installed'))).rejects.toMatchObject({
        reason: 'not-applicable',
      });
      await expect(contractsCollector.collect(input('embedded'))).rejects.toMatchObject({
        reason: 'not-applicable',
      });
      mkdirSync(path.join(dir, 'engine'));
      writeFileSync(
        path.join(dir, 'engine', 'contracts.json'),
        JSON.stringify({
          fetchedAt: NOW,
          contracts: [{ id: 'c-9', status: 'active', title: 'T', client: 'C', startDate: 0 }],
        }),
      );
      const v = await contractsCollector.collect(input('embedded'));
      expect(v.contracts[0]).toMatchObject({ id: 'c-9', status: 'active', type: 'hourly' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('contracts in a scenario that simulates another moment', () => {
  it('measures from the engine clock, not the wall clock', async () => {
    const simulated = NOW - 3 * day;
    const facts = makeFacts({ contracts: { ...list([c({})], simulated - 3600_000), engineNow: simulated } });
    const f = await contracts.run(facts);
    expect(f.status).toBe('pass');
  });
});
