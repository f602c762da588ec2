/**
 * refresh-contracts (src/fixes/refresh-contracts.js): the plan by table (why each contract cannot be
 * tracked, from its status and its 00:00 UTC start), then the real refresh against the engine's
 * server: a contract the client resumed shows up, a second apply changes nothing, undo puts the
 * previous list back byte for byte.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Facts } from '../../src/core/facts.js';
import { UserError } from '../../src/core/errors.js';
import { WorkDiaryClient } from '../../src/engine/server/client.js';
import type { ContractInfo } from '../../src/facts/contracts.js';
import { OP_REFRESH_CONTRACTS, createEngineOps } from '../../src/fixes/engine-ops.js';
import { refreshContracts } from '../../src/fixes/refresh-contracts.js';
import { makeFacts } from '../helpers/facts.js';
import { engineEnv, scenarioDir, scenarioServer, treePrint } from './engine-ops-helpers.js';

const NOW = Date.parse('2026-11-18T10:00:00.000Z');
const DAY = 86_400_000;

function contract(over: Partial<ContractInfo> = {}): ContractInfo {
  return {
    id: 'c-1',
    title: 'Website maintenance',
    client: 'Acme',
    type: 'hourly',
    status: 'active',
    startDate: NOW - 30 * DAY,
    weeklyLimitHours: null,
    manualTimeAllowed: true,
    ...over,
  };
}
const list = (contracts: ContractInfo[]) => ({
  fetchedAt: NOW - 2 * DAY,
  contracts,
  file: '/data/engine/contracts.json',
});
const engineTarget = { kind: 'embedded' as const, dataDir: '/data', found: true, reason: 'test' };

describe('refresh-contracts plan (src/fixes/refresh-contracts.js)', () => {
  const rows: { name: string; facts: Facts; kinds: string[]; text?: RegExp; not?: RegExp }[] = [
    {
      name: 'paused: why (the client, or Upwork on billing), then refresh',
      facts: makeFacts({ contracts: list([contract({ status: 'paused' })]) }, { target: engineTarget }),
      kinds: ['manual', 'engine'],
      text: /paused: the client \(or Upwork, on a billing problem\)/,
    },
    {
      name: 'ended',
      facts: makeFacts({ contracts: list([contract({ status: 'ended' })]) }, { target: engineTarget }),
      kinds: ['manual', 'engine'],
      text: /has ended/,
    },
    {
      name: 'starts tomorrow at 00:00 UTC',
      facts: makeFacts(
        { contracts: list([contract({ startDate: Date.parse('2026-11-19T00:00:00Z') })]) },
        { target: engineTarget },
      ),
      kinds: ['manual', 'engine'],
      text: /starts on 2026-11-19 at 00:00 UTC \(not midnight your time\)/,
    },
    {
      name: 'all trackable, list stale: only the refresh',
      facts: makeFacts({ contracts: list([contract()]) }, { target: engineTarget }),
      kinds: ['engine'],
    },
    {
      name: 'installed app (list not readable): how to make the app refresh',
      facts: makeFacts({}, { platform: 'darwin' }),
      kinds: ['manual'],
      text: /Quit the Upwork app and open it again/,
      not: /paused/,
    },
  ];
  it.each(rows)('$name', ({ facts, kinds, text, not }) => {
    const steps = refreshContracts.plan(facts);
    expect(steps.map((s) => s.action.kind)).toEqual(kinds);
    const engine = steps.find((s) => s.action.kind === 'engine');
    if (engine)
      expect(engine.action).toEqual({ kind: 'engine', op: OP_REFRESH_CONTRACTS, args: { dataDir: '/data' } });
    if (text) expect(JSON.stringify(steps)).toMatch(text);
    if (not) expect(JSON.stringify(steps)).not.toMatch(not);
    expect(refreshContracts.plan(facts)).toEqual(steps);
  });
});

describe('refresh-contracts on the engine', () => {
  it('a contract the client resumed shows up; twice is a no-op; undo restores the old list exactly', async () => {
    const dir = await scenarioDir('contract-paused');
    const server = await scenarioServer(dir);
    const file = path.join(dir, 'engine', 'contracts.json');
    const before = readFileSync(file, 'utf8');
    expect(JSON.parse(before).contracts[0]).toMatchObject({ id: 'c-2001', status: 'paused' });
    // The client resumes the contract on the service; the tracker's list does not know yet.
    const admin = new WorkDiaryClient({ url: server.url, ca: server.caPem, adminSecret: server.adminSecret });
    await admin.adminContract('c-2001', { status: 'active', at: server.now() });

    const ops = createEngineOps();
    const env = { ...engineEnv(dir), engine: ops };
    const prior = await ops.capture!(OP_REFRESH_CONTRACTS, { dataDir: dir }, env);
    expect(prior).toMatchObject({ file, priorText: before });
    const r = await ops.run(OP_REFRESH_CONTRACTS, { dataDir: dir }, env);
    expect(r.changed).toBe(true);
    expect(r.message).toMatch(/c-2001 paused → active/);
    expect(JSON.parse(readFileSync(file, 'utf8')).contracts[0]).toMatchObject({
      id: 'c-2001',
      status: 'active',
    });

    const refreshed = readFileSync(file, 'utf8');
    const again = await ops.run(OP_REFRESH_CONTRACTS, { dataDir: dir }, env);
    expect(again.changed).toBe(false);
    expect(readFileSync(file, 'utf8')).toBe(refreshed);

    await ops.undo!(OP_REFRESH_CONTRACTS, r.state, env);
    expect(readFileSync(file, 'utf8')).toBe(before);
    await ops.undo!(OP_REFRESH_CONTRACTS, r.state, env);
    expect(readFileSync(file, 'utf8')).toBe(before);
  });

  it('still paused on the service: refreshes, and says why it cannot be tracked', async () => {
    const dir = await scenarioDir('contract-paused');
    await scenarioServer(dir);
    const r = await createEngineOps().run(OP_REFRESH_CONTRACTS, { dataDir: dir }, engineEnv(dir));
    expect(r.message).toMatch(/Mobile app QA.*is paused.*only the client can resume it/);
  });

  it('service unreachable: the stage, and the list is left as it was', async () => {
    const dir = await scenarioDir('cache-75');
    await scenarioServer(dir);
    const bytes = treePrint(dir);
    const err = await createEngineOps({ requestTimeoutMs: 3_000 })
      .run(OP_REFRESH_CONTRACTS, { dataDir: dir }, engineEnv(dir))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(/Cannot refresh the contract list.*TCP stage failed/);
    expect(treePrint(dir)).toEqual(bytes);
  });
});
