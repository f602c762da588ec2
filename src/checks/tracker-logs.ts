/**
 * tracker-logs: what the tracker's own logs say about the problems people ask support about, for
 * when the installed app's private state cannot be read: uploads that keep failing (and how long
 * since the last one that worked), screenshot captures that fail, activity records with all-zero
 * keyboard and mouse counts (activity detection not working, typical on Wayland), the idle monitor
 * failing (`DBUS IdleTime … not activatable`) and update checks that fail (updates are forced, so
 * a blocked update host can stop the app). Each finding says it comes from the logs and quotes the
 * line (home folder and e-mail addresses masked) with its time.
 * Why: these are the app's own words about what went wrong, the next best thing to its state.
 */
import { defineCheck, missingFacts } from '../core/check.js';
import type { Facts } from '../core/facts.js';
import { factValue } from '../core/facts.js';
import type { CheckOutcome } from '../core/finding.js';
import { plural } from '../core/format.js';
import type { LogCount, LogEvidenceFacts, LogQuote } from '../facts/log-evidence.js';

const DOCS = 'docs/checks/tracker-logs.md';
/** No successful upload for this long, while attempts fail, is a problem. */
export const UPLOAD_GAP_HOURS = 1;

/** How a quoted log line reads in a finding. */
export const logQuoteLine = (q: LogQuote) => `From the logs (${q.file}, ${q.time}): ${q.line}`;
const newer = (a: LogQuote | null, b: LogQuote | null) => Boolean(a?.at && (!b?.at || a.at > b.at));

function hoursSince(at: string | null | undefined, now: string): number | null {
  return at ? (Date.parse(now) - Date.parse(at)) / 3_600_000 : null;
}

export interface Problem {
  status: 'fail' | 'warn';
  code: string;
  summary: string;
  quote: LogQuote;
  fix: string;
}

export function uploadProblem(l: LogEvidenceFacts, now: string): Problem | undefined {
  const fail = l.uploadFailures.last;
  if (!fail || !newer(fail, l.uploadSuccesses.last)) return undefined;
  const gap = hoursSince(l.uploadSuccesses.last?.at, now);
  if (gap !== null && gap < UPLOAD_GAP_HOURS) return undefined;
  const since = l.uploadSuccesses.last
    ? `since ${l.uploadSuccesses.last.time} (${Math.round(gap!)} h)`
    : 'in the logs read';
  return {
    status: 'fail',
    code: 'UWD-LOG-002',
    summary: `The tracker's logs show no successful upload ${since}; the last attempt, at ${fail.time}, failed, so your time waits in the offline cache.`,
    quote: fail,
    fix: 'Check the status line in the Upwork app (Online / Offline): run `upwork-doctor network` to see what blocks the connection, and keep the app running until it uploads.',
  };
}

function problems(l: LogEvidenceFacts, now: string): Problem[] {
  const out: Problem[] = [];
  const upload = uploadProblem(l, now);
  if (upload) out.push(upload);
  if (l.screenshotsFailed.last && newer(l.screenshotsFailed.last, l.screenshotsOk.last))
    out.push({
      status: 'fail',
      code: 'UWD-LOG-003',
      summary: `The tracker's logs show its last screenshot capture failed (${l.screenshotsFailed.last.time}); ${l.screenshotsFailed.count} failed and ${l.screenshotsOk.count} succeeded in the logs read.`,
      quote: l.screenshotsFailed.last,
      fix: 'See the screen-recording check: the app must be allowed to capture the screen (macOS permission; an Xorg session on Linux).',
    });
  const zero = l.zeroActivity.last ?? l.idleErrors.last;
  if (zero)
    out.push({
      status: 'warn',
      code: 'UWD-LOG-004',
      summary: l.zeroActivity.count
        ? `${l.zeroActivity.count} of ${l.activityRecords} activity records in the tracker's logs have zero keyboard and mouse counts: it is not seeing your activity.`
        : "The tracker's logs show its idle monitor failing, so it cannot tell when you are active.",
      quote: zero,
      fix: 'On Linux the app reads activity only in an Xorg session (see screen-recording). Check your activity level in the Work Diary.',
    });
  if (l.updateFailures.last)
    out.push({
      status: 'warn',
      code: 'UWD-LOG-006',
      summary: `The tracker's logs show update checks failing (${l.updateFailures.count}, last at ${l.updateFailures.last.time}); updates are forced, so a blocked update host can stop the app.`,
      quote: l.updateFailures.last,
      fix: 'Let the app reach upwork-usw2-desktopapp.upwork.com (run `upwork-doctor network`), or install the latest version from upwork.com.',
    });
  return out;
}

function summaryLines(l: LogEvidenceFacts): string[] {
  const line = (name: string, c: LogCount) => `${name}: ${c.count}${c.last ? `, last ${c.last.time}` : ''}`;
  return [
    `Read ${plural(l.filesRead.length, 'log file')} in ${l.logsDir}${l.from ? `, ${l.from} to ${l.to}` : ''}.`,
    [
      line('upload attempts', l.uploadAttempts),
      line('failed', l.uploadFailures),
      line('succeeded', l.uploadSuccesses),
      line('screenshots ok', l.screenshotsOk),
      line('failed', l.screenshotsFailed),
    ].join('; '),
  ];
}

function judge(facts: Facts, l: LogEvidenceFacts): CheckOutcome {
  const evidence = { source: 'logs', ...l };
  if (l.filesRead.length === 0 || !l.from)
    return {
      status: 'skip',
      code: 'UWD-LOG-005',
      summary: `Not checked: there are no tracker logs to read in ${l.logsDir}.`,
      details: [
        'In the Upwork app, look at the status line (Online, or Offline with time waiting) and at the latest screenshot and activity level in your Work Diary.',
      ],
      evidence,
    };
  const found = problems(l, l.now ?? facts.collectedAt);
  const worst = found.find((p) => p.status === 'fail') ?? found[0];
  if (worst)
    return {
      status: worst.status,
      code: worst.code,
      summary: worst.summary,
      details: [
        ...found.map((p) => logQuoteLine(p.quote)),
        ...found.filter((p) => p !== worst).map((p) => p.summary),
        ...summaryLines(l),
      ],
      evidence,
      remediation: { text: worst.fix, docsUrl: DOCS },
    };
  const last = l.uploadSuccesses.last;
  return {
    status: 'pass',
    code: 'UWD-LOG-001',
    summary: last
      ? `The tracker's logs show nothing wrong: the last upload succeeded at ${last.time}.`
      : "The tracker's logs show no failed upload, screenshot or activity record.",
    details: [...(last ? [logQuoteLine(last)] : []), ...summaryLines(l)],
    evidence,
  };
}

export const trackerLogs = defineCheck({
  id: 'tracker-logs',
  title: "What the tracker's logs show",
  category: 'tracker',
  platforms: ['win32', 'darwin', 'linux'],
  needs: ['logEvidence'],
  docs: DOCS,
  codePrefix: 'UWD-LOG',
  run(facts) {
    const missing = missingFacts(this, facts);
    if (missing) return missing;
    return judge(facts, factValue(facts, 'logEvidence')!);
  },
});
