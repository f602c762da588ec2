/**
 * contracts: why a contract is missing from the tracker's list, or cannot be tracked.
 * Why it matters: "my contract is not in the tracker" is one of the commonest tickets. The answer
 * is almost always the contract's status: paused or ended by the client, or a start date that
 * opens at 00:00 UTC (which is not midnight where the freelancer lives), or a list not refreshed.
 */
import { defineCheck, missingFacts } from '../core/check.js';
import { factValue } from '../core/facts.js';
import { isoTime } from '../core/format.js';
import type { ContractInfo } from '../facts/contracts.js';

/** The tracker refreshes its list at least daily; older than this, a refresh is worth trying. */
export const STALE_AFTER_MS = 24 * 3600_000;

const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const name = (c: ContractInfo) => `“${c.title}”${c.client ? ` (${c.client})` : ''}`;

/** What to do for the problems found, and only those (not "resume a paused contract" when none is). */
const ADVICE: Record<string, string> = {
  'UWD-CONTRACT-002': 'ask the client to resume the paused contract',
  'UWD-CONTRACT-003':
    'an ended contract cannot be tracked again: ask the client for a new one if the work goes on',
  'UWD-CONTRACT-004': 'wait for the start date (00:00 UTC)',
};

function adviceFor(codes: readonly string[]): string {
  const steps = [...new Set(codes.flatMap((c) => (ADVICE[c] ? [ADVICE[c]] : [])))];
  steps.push('refresh the contract list so the tracker sees the latest');
  const last = steps.pop()!;
  return `Nothing is wrong with the tracker: ${steps.length ? `${steps.join('; ')}; and ${last}` : last}.`;
}

export const contracts = defineCheck({
  id: 'contracts',
  title: 'Contracts',
  category: 'tracker',
  platforms: ['win32', 'darwin', 'linux'],
  needs: ['contracts'],
  docs: 'docs/checks/contracts.md',
  codePrefix: 'UWD-CONTRACT',
  run(facts) {
    const missing = missingFacts(this, facts);
    if (missing) return missing;
    const v = factValue(facts, 'contracts')!;
    const now = v.engineNow ?? Date.parse(facts.collectedAt);
    const docsUrl = 'docs/checks/contracts.md';
    const evidence = {
      file: v.file,
      fetchedAt: v.fetchedAt ? isoTime(v.fetchedAt) : null,
      contracts: v.contracts,
    };
    const problems: { code: string; text: string }[] = [];
    for (const c of v.contracts) {
      if (c.status === 'paused')
        problems.push({
          code: 'UWD-CONTRACT-002',
          text: `${name(c)} is paused by the client: the tracker cannot log time on it until the client resumes it.`,
        });
      else if (c.status === 'ended')
        problems.push({
          code: 'UWD-CONTRACT-003',
          text: `${name(c)} has ended: time can no longer be tracked on it, so the tracker leaves it out.`,
        });
      else if (c.startDate > now)
        problems.push({
          code: 'UWD-CONTRACT-004',
          text: `${name(c)} starts on ${isoDay(c.startDate)} at 00:00 UTC: the tracker offers it from then, not from midnight your time.`,
        });
    }
    const trackable = v.contracts.filter((c) => c.status === 'active' && c.startDate <= now);
    const stale = v.fetchedAt > 0 && now - v.fetchedAt > STALE_AFTER_MS;
    if (stale) {
      const h = Math.round((now - v.fetchedAt) / 3600_000);
      problems.push({
        code: 'UWD-CONTRACT-005',
        text: `The tracker's contract list was last refreshed ${h} h ago: a new or resumed contract (or a raised weekly limit) may not show until it refreshes.`,
      });
    }
    if (v.contracts.length === 0) {
      problems.push({
        code: 'UWD-CONTRACT-006',
        text: 'The tracker has no contracts in its list: there is nothing to track time on yet.',
      });
    }
    if (problems.length === 0) {
      return {
        status: 'pass',
        code: 'UWD-CONTRACT-001',
        summary: `${trackable.length} contract${trackable.length === 1 ? '' : 's'} can be tracked: ${trackable.map(name).join(', ')}.`,
        evidence,
      };
    }
    return {
      status: 'warn',
      code: problems[0]!.code,
      summary: problems[0]!.text,
      details: [
        ...problems.slice(1).map((p) => p.text),
        trackable.length
          ? `Trackable now: ${trackable.map(name).join(', ')}.`
          : 'No contract can be tracked right now.',
      ],
      evidence: { ...evidence, codes: problems.map((p) => p.code) },
      remediation: {
        text: adviceFor(problems.map((p) => p.code)),
        docsUrl,
        fixIds: ['refresh-contracts'],
      },
    };
  },
});
