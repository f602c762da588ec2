/**
 * cache-fullness on the installed app, whose cache format is not public: what the tracker's logs
 * say instead (issue 11 item 2). Kept apart from cache-fullness.ts (a small hook there) so the
 * engine-side logic and this installed-app evidence evolve separately.
 * Failing uploads with no success for over an hour mean time waits in the cache: a warning quoted
 * from the logs, since how full the cache is still cannot be read. Otherwise the log lines are
 * added to the "not checked" finding as what is known, and what the person said about the status
 * line, when they were asked (_cache-status-report.ts), gives the verdict.
 */
import { factValue } from '../core/facts.js';
import type { Facts } from '../core/facts.js';
import type { CheckOutcome } from '../core/finding.js';
import { youSaid } from '../facts/status-report.js';
import { withStatusReport } from './_cache-status-report.js';
import { logQuoteLine, uploadProblem } from './tracker-logs.js';

export function withLogEvidence(skip: CheckOutcome, facts: Facts): CheckOutcome {
  const logs = factValue(facts, 'logEvidence');
  if (!logs) return withStatusReport(skip, facts);
  const evidence = {
    ...skip.evidence,
    logs: {
      source: 'logs',
      uploadAttempts: logs.uploadAttempts,
      uploadFailures: logs.uploadFailures,
      uploadSuccesses: logs.uploadSuccesses,
    },
  };
  const problem = uploadProblem(logs, logs.now ?? facts.collectedAt);
  const said = factValue(facts, 'statusReport');
  if (problem)
    // The logs settle it; an answer given as well is shown beside them, not judged.
    return {
      status: 'warn',
      code: 'UWD-CACHE-011',
      summary: `${problem.summary} How much is waiting cannot be read from the installed app.`,
      details: [logQuoteLine(problem.quote), ...(said ? [youSaid(said)] : []), ...(skip.details ?? [])],
      evidence,
      remediation: { text: problem.fix, docsUrl: 'docs/checks/cache-fullness.md' },
    };
  const last = logs.uploadSuccesses.last;
  const known = {
    ...skip,
    details: [...(skip.details ?? []), ...(last ? [logQuoteLine(last)] : [])],
    evidence,
  };
  return withStatusReport(known, facts);
}
