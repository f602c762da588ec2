/**
 * cache-fullness from what the person said (issue 11 item 3): when the installed app's cache cannot
 * be read and its logs do not settle it, the person was asked what the app's status line says and
 * since when (facts/status-report.ts). That answer is judged like a measured fact, and every
 * finding says the verdict comes from it.
 * - "Offline (caching)" for more than 24 h: fail. The cache holds at most 24 h (HC-Cache
 *   214754938), so time older than that is at risk and new time may no longer be logged.
 * - "Offline (caching)" for less: warn, with how long until the 24 h limit and the weekly lock.
 * - "Online and uploading" for an hour or more (or for an unknown time): warn, the upload may be stuck.
 * - "Online" (or uploading for under an hour): pass, as the person said.
 * - Something else: warn, with what to look at.
 */
import { factValue } from '../core/facts.js';
import type { Facts } from '../core/facts.js';
import type { CheckOutcome } from '../core/finding.js';
import type { StatusReport } from '../facts/status-report.js';
import { SINCE_HOURS, sinceWords, statusWords, weekLockAt, youSaid } from '../facts/status-report.js';

const DOCS = 'docs/checks/cache-fullness.md';
const HOUR = 3_600_000;
/** The real app's cache holds at most this much time (HC-Cache 214754938, current versions). */
export const CACHE_LIMIT_HOURS = 24;

const UPLOAD_HELP: NonNullable<CheckOutcome['remediation']> = {
  text: 'Keep the Upwork app running and connected until the status line reads "Online"; run `upwork-doctor network` to see what blocks the connection. Never delete the cache folder: it is your unbilled time.',
  commands: ['upwork-doctor network'],
  docsUrl: DOCS,
};

function utc(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** A duration in hours as words: "18 h", "5.8 days". */
function hoursWords(h: number): string {
  return h >= 48 ? `${(h / 24).toFixed(1)} days` : `${Math.max(0, Math.round(h))} h`;
}

/** From `lo` to `hi` hours: "18–23 h", or "at most 18 h" when it may already be now. */
function span(lo: number, hi: number): string {
  if (lo <= 0) return `at most ${hoursWords(hi)}`;
  return Math.round(lo) === Math.round(hi) ? hoursWords(hi) : `${Math.round(lo)}–${hoursWords(hi)}`;
}

/**
 * The Work Diary lock that the oldest cached time may fall under: the person's "since" counts back
 * from when they were asked, and the earliest moment it allows decides.
 */
function lockLine(askedAt: number, hoursBack: number): string {
  const lock = weekLockAt(askedAt - hoursBack * HOUR);
  if (lock <= askedAt)
    return `If the app went offline before ${utc(lock - 12 * HOUR)}, that week's Work Diary locked at ${utc(lock)}: time cached from it can no longer be billed.`;
  return `Time cached since then must upload before its week's Work Diary locks at ${utc(lock)} (in ${hoursWords((lock - askedAt) / HOUR)}).`;
}

function caching(r: StatusReport, askedAt: number): CheckOutcome {
  const bounds = r.since ? SINCE_HOURS[r.since] : null;
  if (bounds && bounds[0] >= CACHE_LIMIT_HOURS) {
    return {
      status: 'fail',
      code: 'UWD-CACHE-012',
      summary: `You said the app has shown "Offline (caching)" for ${sinceWords(r)}: the cache holds at most ${CACHE_LIMIT_HOURS} h, so older tracked time is at risk and new time may not be logged.`,
      details: [lockLine(askedAt, CACHE_LIMIT_HOURS)],
      remediation: {
        ...UPLOAD_HELP,
        text: `Connect the app now (it must read "Online and uploading", then "Online"); if it cannot connect, create a support bundle (upwork-doctor bundle) before tracking more. ${UPLOAD_HELP.text}`,
        commands: ['upwork-doctor network', 'upwork-doctor bundle'],
      },
    };
  }
  const details = bounds
    ? [
        `The ${CACHE_LIMIT_HOURS} h cache limit is reached in ${span(CACHE_LIMIT_HOURS - bounds[1], CACHE_LIMIT_HOURS - bounds[0])}.`,
        lockLine(askedAt, bounds[1]),
      ]
    : [
        `How long it has been offline is not known: the cache holds at most ${CACHE_LIMIT_HOURS} h, and time cached for longer is at risk.`,
        lockLine(askedAt, CACHE_LIMIT_HOURS),
      ];
  return {
    status: 'warn',
    code: 'UWD-CACHE-013',
    summary: `You said the app shows "Offline (caching)"${bounds ? ` for ${sinceWords(r)}` : ''}: your time is waiting in its offline cache, not reaching your Work Diary.`,
    details,
    remediation: UPLOAD_HELP,
  };
}

function uploading(r: StatusReport): CheckOutcome {
  const bounds = r.since ? SINCE_HOURS[r.since] : null;
  if (bounds && bounds[1] <= 1) return online(r, 'it is catching up on cached time');
  return {
    status: 'warn',
    code: 'UWD-CACHE-014',
    summary: bounds
      ? `You said the app has shown "Online and uploading" for ${sinceWords(r)}: an upload that long may be stuck, and the cached time is not yet in your Work Diary.`
      : 'You said the app shows "Online and uploading", for an unknown time: if it does not turn to "Online" within an hour, the upload may be stuck.',
    remediation: {
      ...UPLOAD_HELP,
      text: `Leave the app running for a while; if it keeps "uploading", restart it, and check that no proxy or antivirus blocks it (upwork-doctor network). ${UPLOAD_HELP.text}`,
    },
  };
}

function online(r: StatusReport, why = 'nothing is waiting to upload'): CheckOutcome {
  return {
    status: 'pass',
    code: 'UWD-CACHE-015',
    summary: `You said the app shows "${statusWords(r)}"${r.since ? ` (for ${sinceWords(r)})` : ''}: by your account ${why}. The cache itself could not be read.`,
  };
}

function unclear(): CheckOutcome {
  return {
    status: 'warn',
    code: 'UWD-CACHE-016',
    summary:
      'You said the status line shows something other than "Online" or "Offline (caching)", so the doctor cannot tell whether time waits in the offline cache.',
    remediation: {
      text: 'Look at the status line at the top of the Upwork app: "Online" means time uploads; "Offline (caching)" means it waits in the cache (at most 24 h); "Online and uploading" should turn to "Online" within minutes. Re-run upwork-doctor and answer what it says, or create a support bundle (upwork-doctor bundle).',
      commands: ['upwork-doctor', 'upwork-doctor bundle'],
      docsUrl: DOCS,
    },
  };
}

/** The verdict of one answer (pure: the time counts from when the person was asked). */
export function judgeStatusReport(r: StatusReport): CheckOutcome {
  const askedAt = Date.parse(r.askedAt);
  const out =
    r.status === 'caching'
      ? caching(r, askedAt)
      : r.status === 'uploading'
        ? uploading(r)
        : r.status === 'online'
          ? online(r)
          : unclear();
  return {
    ...out,
    details: [youSaid(r), ...(out.details ?? [])],
    evidence: { source: 'person', statusReport: r },
  };
}

/**
 * The hook cache-fullness calls where it would skip: with an answer, the answer's verdict (the
 * skip's own lines kept as what the doctor could measure); without one, the skip unchanged.
 */
export function withStatusReport(skip: CheckOutcome, facts: Facts): CheckOutcome {
  const report = factValue(facts, 'statusReport');
  if (!report || skip.status !== 'skip') return skip;
  const judged = judgeStatusReport(report);
  return {
    ...judged,
    // The skip's lines stay as what the doctor could read, without its "Not checked" verdict.
    details: [
      ...(judged.details ?? []),
      skip.summary.replace(/^Not checked: /, 'What the doctor could read: '),
      ...(skip.details ?? []),
    ],
    evidence: { ...skip.evidence, ...judged.evidence },
  };
}
