/**
 * The tracker's cached contract list: which contracts it offers and why others are missing.
 * For the embedded engine it is `<data>/engine/contracts.json`, read read-only; the installed app
 * keeps its list in a private format, so there it is not collected (never guessed).
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { NotCollectedError, defineCollector } from '../core/collector.js';
import { errorMessage } from '../core/errors.js';
import { scenarioClockOffset } from './engine-now.js';

export interface ContractInfo {
  id: string;
  title: string;
  client: string;
  type: 'hourly' | 'fixed';
  status: 'active' | 'paused' | 'ended';
  /** UTC midnight (ms) the contract opens. */
  startDate: number;
  weeklyLimitHours: number | null;
  manualTimeAllowed: boolean;
}

export interface ContractsFacts {
  /** When the tracker last fetched its list (epoch ms; 0 = never). */
  fetchedAt: number;
  contracts: ContractInfo[];
  file: string;
  /**
   * The engine's "now" when a scenario simulates another moment (engine/scenario.json
   * clockOffsetMs), else null: the check then measures ages and start dates from it.
   */
  engineNow?: number | null;
}

declare module '../core/facts.js' {
  interface FactMap {
    contracts: ContractsFacts;
  }
}

const STATUSES = new Set(['active', 'paused', 'ended']);

/** Parse the engine's contracts.json; anything malformed is a clear error, not a crash. */
export function parseContractsFile(text: string, file: string): ContractsFacts {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new NotCollectedError('error', `${file} is not valid JSON`);
  }
  const r = raw as { fetchedAt?: unknown; contracts?: unknown };
  if (!r || typeof r !== 'object' || !Array.isArray(r.contracts)) {
    throw new NotCollectedError('error', `${file} does not hold a contract list`);
  }
  const contracts: ContractInfo[] = [];
  for (const c of r.contracts as Record<string, unknown>[]) {
    if (!c || typeof c.id !== 'string' || !STATUSES.has(String(c.status))) continue;
    contracts.push({
      id: c.id,
      title: typeof c.title === 'string' ? c.title : c.id,
      client: typeof c.client === 'string' ? c.client : '',
      type: c.type === 'fixed' ? 'fixed' : 'hourly',
      status: c.status as ContractInfo['status'],
      startDate: typeof c.startDate === 'number' ? c.startDate : 0,
      weeklyLimitHours: typeof c.weeklyLimitHours === 'number' ? c.weeklyLimitHours : null,
      manualTimeAllowed: c.manualTimeAllowed === true,
    });
  }
  return { fetchedAt: typeof r.fetchedAt === 'number' ? r.fetchedAt : 0, contracts, file };
}

/** A scenario's simulated "now" (real time plus its recorded clock offset); null outside scenarios. */
async function scenarioNow(dataDir: string, now: number): Promise<number | null> {
  const offset = await scenarioClockOffset(dataDir);
  return offset === null ? null : now + offset;
}

export const contractsCollector = defineCollector({
  key: 'contracts',
  scope: 'tracker',
  title: "tracker's contract list",
  timeoutMs: 3_000,
  async collect({ ctx, target, source }) {
    const file = path.join(target.dataDir, 'engine', 'contracts.json');
    if (target.kind === 'installed') {
      throw new NotCollectedError(
        'not-applicable',
        "the installed app keeps its contract list in a private format; open the app's contract menu to see it",
      );
    }
    source('file', file);
    try {
      await stat(file);
    } catch {
      throw new NotCollectedError('not-applicable', 'the tracker has not fetched a contract list yet');
    }
    try {
      const facts = parseContractsFile(await readFile(file, 'utf8'), file);
      return {
        ...facts,
        engineNow: await scenarioNow(target.dataDir, ctx.now()),
      };
    } catch (e) {
      if (e instanceof NotCollectedError) throw e;
      throw new NotCollectedError('error', `cannot read ${file}: ${errorMessage(e)}`);
    }
  },
});
