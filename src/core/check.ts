import type { FactKey, Facts } from './facts.js';
import { getFact } from './facts.js';
import type { CheckOutcome } from './finding.js';

export type CheckCategory = 'system' | 'tracker' | 'network' | 'security';
export type Platform = 'win32' | 'darwin' | 'linux';

/**
 * A check: pure over Facts. It never touches the OS; collectors in src/facts/ do that.
 * `needs` lists the fact keys it reads, so the runner collects only what the selected checks need
 * and starts each check as soon as its facts are in.
 */
export interface Check {
  id: string;
  title: string;
  category: CheckCategory;
  platforms: readonly Platform[];
  needs: readonly FactKey[];
  /** Path of its docs page, relative to the repo root (docs/checks/<id>.md). */
  docs: string;
  /** Prefix of its finding codes, e.g. UWD-DISK. */
  codePrefix: string;
  /** Optional per-check timeout in ms (default: runner's). */
  timeoutMs?: number;
  run(facts: Facts): CheckOutcome | Promise<CheckOutcome>;
}

/** Identity helper for inference; use `satisfies`-like checking without casts. */
export function defineCheck<C extends Check>(check: C): C {
  return check;
}

/**
 * The common "a fact I need was not collected" outcome. Never a pass (DESIGN.md: Contracts).
 * Returns undefined when every needed fact was collected.
 */
export function missingFacts(
  check: Pick<Check, 'needs' | 'codePrefix'>,
  facts: Facts,
  keys: readonly FactKey[] = check.needs,
): CheckOutcome | undefined {
  for (const key of keys) {
    const f = getFact(facts, key);
    if (!f) {
      return {
        status: 'skip',
        code: `${check.codePrefix}-000`,
        summary: `Not checked: the "${key}" facts were not collected in this run.`,
        evidence: { fact: key },
      };
    }
    if (f.state === 'not-collected') {
      const why = f.reason === 'not-applicable' ? 'not applicable here' : `not collected (${f.reason})`;
      return {
        status: f.reason === 'timeout' ? 'timeout' : 'skip',
        code: `${check.codePrefix}-000`,
        summary: `Not checked: ${key} was ${why}: ${f.message}`,
        evidence: { fact: key, reason: f.reason, sources: f.sources },
      };
    }
  }
  return undefined;
}
