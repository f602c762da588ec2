/**
 * cache-fullness: how full the offline time cache is, and whether the time in it can still be
 * uploaded: nearly full (75 %), full, its oldest segment's week about to lock (or locked), stuck in
 * caching mode while the service is reachable, waiting while another computer logs time, and
 * segments the server refused.
 * Why: when the cache is full the tracker cannot log time on any contract, and cached time that is
 * not uploaded before the Work Diary locks (Monday 12:00 UTC) is lost for good.
 * A cache that could not be read or was damaged is the headline, with the minutes at risk: never a
 * pass and never a footnote, because the numbers below it are then a lower bound.
 *
 * Each problem is one named function of (facts, context) → Problem | undefined; `run` collects
 * them, so a new source of evidence is one more entry in PROBLEMS.
 */
import { defineCheck, missingFacts } from '../core/check.js';
import { factValue } from '../core/facts.js';
import type { CheckOutcome } from '../core/finding.js';
import { plural } from '../core/format.js';
import type { CacheFacts, CacheSegmentRef } from '../facts/cache.js';
import { withLogEvidence } from './_cache-log-evidence.js';
import { withStatusReport } from './_cache-status-report.js';

export const WARN_PERCENT = 75;
/** Fail when the oldest cached segment's week locks within this long. */
export const LOCK_WINDOW_MS = 24 * 60 * 60 * 1000;
/** Caching this long while the service answers is "stuck", not a passing blip. */
export const STUCK_AFTER_MS = 15 * 60 * 1000;
/** The engine's documented default when config.json does not say. */
export const DEFAULT_CAPACITY_MINUTES = 1440;

const DOCS = 'docs/checks/cache-fullness.md';
const HOUR = 60 * 60 * 1000;

function hours(minutes: number): string {
  const h = minutes / 60;
  return Number.isInteger(h) ? `${h} h` : `${h.toFixed(1)} h`;
}

function iso(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

function until(ms: number): string {
  if (ms < HOUR) return `${Math.max(0, Math.round(ms / 60000))} min`;
  // "4 h", not "4.0 h"; "3.5 h" stays.
  return `${Number((ms / HOUR).toFixed(ms < 10 * HOUR ? 1 : 0))} h`;
}

function segment(s: CacheSegmentRef): string {
  return `contract ${s.contractId}, segment ${iso(s.slotStart)} (${s.minutes} min)`;
}

interface Problem {
  rank: number;
  outcome: CheckOutcome;
}

interface Ctx {
  c: CacheFacts;
  now: number;
  capacity: number;
  pendingMin: number;
  pendingSeg: number;
  percent: number;
  /** "18.2 h of 24 h (75 %)" */
  level: string;
  /** "18.2 h of 24 h", for sentences that already give the percentage. */
  amount: string;
  full: boolean;
}

const UPLOAD = {
  text: 'Connect to the internet and let the app upload ("Online and uploading" turns to "Online"), or run the upload now. Never delete the cache folder: it is your unbilled time.',
  commands: ['upwork-doctor fix --only cache-upload'],
  docsUrl: DOCS,
  fixIds: ['cache-upload'],
};

function risk(minutes: number | null): string {
  if (minutes === null) return 'an unknown amount of tracked time';
  return minutes === 0 ? 'no time' : `about ${hours(minutes)} of tracked time`;
}

/** Damage first: what could not be read or trusted, and how much time it puts at risk. */
function damageProblem({ c }: Ctx): Problem | undefined {
  const damage = c.damage ?? [
    ...c.damaged.map((d) => ({
      kind: 'bad-record',
      file: d.file,
      detail: `bad record at byte ${d.offset} (${d.why})`,
      minutesAtRisk: null,
    })),
    ...(c.tornTail
      ? [
          {
            kind: 'torn-tail',
            file: c.tornTail.file,
            detail: `${c.tornTail.bytes} bytes of an unfinished last record (a crash mid-write, never confirmed as saved)`,
            minutesAtRisk: 0,
          },
        ]
      : []),
  ];
  const quarantined = c.quarantined.map(
    (q) => `quarantine/${q.name} (${q.bytes} bytes): set aside by the tracker, kept for repair.`,
  );
  if (damage.length === 0 && quarantined.length === 0) return undefined;
  const unknown =
    damage.some((d) => d.minutesAtRisk === null) || (damage.length === 0 && quarantined.length > 0);
  const total = unknown ? null : damage.reduce((a, d) => a + (d.minutesAtRisk ?? 0), 0);
  const serious = total === null || total > 0 || quarantined.length > 0;
  const what = damage.length > 0 ? damage.map((d) => d.file).join(', ') : 'quarantined files';
  return {
    rank: -1,
    outcome: {
      status: serious ? 'fail' : 'warn',
      code: 'UWD-CACHE-009',
      summary: `Part of the offline cache could not be read or is damaged (${what}): ${risk(total)} may not upload, so the numbers below are a lower bound.`,
      details: [
        ...damage.map(
          (d) =>
            `${d.file}: ${d.detail}${d.minutesAtRisk === null ? '; time at risk unknown' : d.minutesAtRisk > 0 ? `; about ${d.minutesAtRisk} min at risk` : ''}.`,
        ),
        ...quarantined,
      ],
      remediation: {
        text: 'Do not delete anything and do not track on this computer until it is repaired. Create a support bundle (upwork-doctor bundle) so support can recover the time.',
        commands: ['upwork-doctor bundle'],
        docsUrl: DOCS,
      },
    },
  };
}

function fullProblem({ full, amount }: Ctx): Problem | undefined {
  if (!full) return undefined;
  return {
    rank: 0,
    outcome: {
      status: 'fail',
      code: 'UWD-CACHE-003',
      summary: `The offline cache is full (${amount}): you can no longer log time on any contract until it uploads.`,
      remediation: UPLOAD,
    },
  };
}

function lockProblem({ c, now }: Ctx): Problem | undefined {
  const oldest = c.oldestPending;
  if (oldest && oldest.lockAt <= now) {
    return {
      rank: 1,
      outcome: {
        status: 'fail',
        code: 'UWD-CACHE-004',
        summary: `Cached time from the week of ${iso(oldest.lockAt - 7 * 24 * HOUR - 12 * HOUR).slice(0, 10)} was not uploaded before its Work Diary locked (${iso(oldest.lockAt)}), so it can no longer be billed.`,
        remediation: {
          text: 'Time can no longer be added to a locked week. Contact your client about a bonus or manual adjustment, and keep the cache folder (do not delete it) in case support asks for it.',
          docsUrl: DOCS,
        },
      },
    };
  }
  if (oldest && oldest.lockAt - now <= LOCK_WINDOW_MS) {
    return {
      rank: 2,
      outcome: {
        status: 'fail',
        code: 'UWD-CACHE-005',
        summary: `Cached time must upload within ${until(oldest.lockAt - now)}: its week's Work Diary locks at ${iso(oldest.lockAt)} and time not uploaded by then is lost.`,
        remediation: UPLOAD,
      },
    };
  }
  return undefined;
}

/** The server answered this computer's upload with DEVICE_CONFLICT, and more cached time waits to meet the same answer. */
function conflictProblem({ c, pendingSeg }: Ctx): Problem | undefined {
  if (pendingSeg === 0 || !c.anotherDeviceLive) return undefined;
  const refused = c.rejected.filter((r) => r.code === 'DEVICE_CONFLICT');
  const minutes = refused.reduce((a, r) => a + r.minutes, 0);
  return {
    rank: 3,
    outcome: {
      status: 'fail',
      code: 'UWD-CACHE-006',
      summary:
        'Another computer is logging time on your account while this one has cached time waiting, so the cached time will be refused.',
      details:
        refused.length > 0
          ? [
              `The server already refused ${plural(refused.length, 'cached segment')} (${minutes} min) from this computer with DEVICE_CONFLICT, the last at ${iso(Math.max(...refused.map((r) => r.at ?? 0)))}.`,
            ]
          : [],
      remediation: {
        text: 'Stop the tracker on the other computer, then upload the cache from this one before tracking again anywhere else.',
        commands: ['upwork-doctor fix --only cache-upload'],
        docsUrl: DOCS,
        fixIds: ['cache-upload'],
      },
    },
  };
}

function stuckProblem({ c, now, pendingSeg }: Ctx): Problem | undefined {
  const st = c.status;
  const caching = st && ['OFFLINE_CACHING', 'CONNECTING', 'CACHE_FULL'].includes(st.state);
  if (!st || !caching || pendingSeg === 0 || !c.probe?.reachable) return undefined;
  const since = st.lastSuccessAt ?? st.since;
  if (since !== null && now - since < STUCK_AFTER_MS) return undefined;
  return {
    rank: 4,
    outcome: {
      status: 'fail',
      code: 'UWD-CACHE-007',
      summary: `The tracker is stuck in caching mode ("${st.label}") although the work-diary service is reachable from this machine, so your time is not uploading.`,
      details: [
        since === null ? 'No upload has succeeded yet.' : `Last successful upload: ${iso(since)}.`,
        st.lastError ? `Last error: ${st.lastError}.` : 'No error recorded.',
      ],
      remediation: {
        text: 'Restart the Upwork app so it reconnects; if it stays in caching mode, check that TLS 1.2 is enabled and no proxy or antivirus blocks it, then upload the cache.',
        commands: ['upwork-doctor fix --only cache-upload'],
        docsUrl: DOCS,
        fixIds: ['cache-upload'],
      },
    },
  };
}

function rejectedProblem({ c }: Ctx): Problem | undefined {
  if (c.rejected.length === 0) return undefined;
  const codes = [...new Set(c.rejected.map((r) => r.code))];
  const minutes = c.rejected.reduce((a, r) => a + r.minutes, 0);
  return {
    rank: 5,
    outcome: {
      status: 'warn',
      code: 'UWD-CACHE-008',
      summary: `${plural(c.rejected.length, 'cached segment')} (${minutes} min) ${c.rejected.length === 1 ? 'was' : 'were'} refused by the server (${codes.join(', ')}) and will not be billed.`,
      details: c.rejected.slice(0, 10).map((r) => `contract ${r.contractId}, ${iso(r.slotStart)}: ${r.code}`),
      remediation: {
        text: 'Refused segments are kept, not retried. Ask your client to add the time manually or pay a bonus; for CONTRACT_NOT_ACTIVE check the contract is active, for DEVICE_CONFLICT track on one computer at a time.',
        docsUrl: DOCS,
      },
    },
  };
}

function nearlyFullProblem({ full, percent, amount }: Ctx): Problem | undefined {
  if (full || percent < WARN_PERCENT) return undefined;
  return {
    rank: 6,
    outcome: {
      status: 'warn',
      code: 'UWD-CACHE-002',
      summary: `The offline cache is ${percent} % full (${amount}): when it is full you cannot log time on any contract.`,
      remediation: UPLOAD,
    },
  };
}

/** Every problem the check knows, in no particular order (rank decides the headline). */
export const PROBLEMS: ReadonlyArray<(ctx: Ctx) => Problem | undefined> = [
  damageProblem,
  fullProblem,
  lockProblem,
  conflictProblem,
  stuckProblem,
  rejectedProblem,
  nearlyFullProblem,
];

function evidenceOf({ c, now, capacity, percent }: Ctx): Record<string, unknown> {
  return {
    format: c.format,
    cacheDir: c.cacheDir,
    pendingSegments: c.pendingSegments,
    pendingMinutes: c.pendingMinutes,
    capacityMinutes: capacity,
    capacitySource: c.capacitySource ?? 'default',
    percent,
    oldestPending: c.oldestPending,
    newestPending: c.newestPending,
    rejected: c.rejected,
    damage: c.damage ?? null,
    status: c.status,
    probe: c.probe,
    anotherDeviceLive: c.anotherDeviceLive,
    now: new Date(now).toISOString(),
    sources: 'Upwork/Cache journal, engine/config.json, engine/status.json',
  };
}

function unknownFormat(c: CacheFacts, evidence: Record<string, unknown>): CheckOutcome {
  const bytes = c.folders.reduce((a, f) => a + f.bytes, 0);
  const files = c.folders.reduce((a, f) => a + f.files, 0);
  return {
    status: 'skip',
    code: 'UWD-CACHE-010',
    summary:
      "Not checked: the installed app's cache format is not public, so how much time waits to upload cannot be read.",
    details: [
      c.note ?? 'The cache folder was measured only.',
      c.folders.length > 0
        ? `${plural(files, 'file')}, ${plural(bytes, 'byte')} in ${c.folders.map((f) => f.path).join(', ')}.`
        : 'No cache-like folder was found in the data folder.',
    ],
    evidence: { ...evidence, folders: c.folders },
  };
}

function contextOf(c: CacheFacts, collectedAt: string): Ctx {
  const now = c.engineNow ?? Date.parse(collectedAt);
  const capacity = c.capacityMinutes ?? DEFAULT_CAPACITY_MINUTES;
  const pendingMin = c.pendingMinutes ?? 0;
  const percent = capacity > 0 ? Math.floor((pendingMin / capacity) * 100) : 0;
  return {
    c,
    now,
    capacity,
    pendingMin,
    pendingSeg: c.pendingSegments ?? 0,
    percent,
    level: `${hours(pendingMin)} of ${hours(capacity)} (${percent} %)`,
    amount: `${hours(pendingMin)} of ${hours(capacity)}`,
    full: pendingMin >= capacity || c.status?.state === 'CACHE_FULL',
  };
}

function baseDetails({ c, now, pendingSeg, level }: Ctx): string[] {
  const oldest = c.oldestPending;
  // Beside damage the counts are only what could be read: say so, never a bare "0 h".
  const damaged = (c.damage?.length ?? 0) > 0 || c.damaged.length > 0;
  return [
    `${damaged ? 'Cache, as far as it could be read: at least' : 'Cache:'} ${plural(pendingSeg, 'segment')}, ${level}, capacity from ${c.capacitySource ?? 'default'}.`,
    ...(c.status
      ? [
          `Status: "${c.status.label}"${c.status.lastSuccessAt ? `, last upload ${iso(c.status.lastSuccessAt)}` : ''}.`,
        ]
      : []),
    ...(oldest
      ? [
          `Oldest waiting: ${segment(oldest)}; its week ${oldest.lockAt <= now ? 'locked' : 'locks'} ${iso(oldest.lockAt)}.`,
        ]
      : []),
  ];
}

export const cacheFullness = defineCheck({
  id: 'cache-fullness',
  title: 'Offline time cache',
  category: 'tracker',
  platforms: ['win32', 'darwin', 'linux'],
  needs: ['cache', 'logEvidence'],
  docs: DOCS,
  codePrefix: 'UWD-CACHE',
  run(facts) {
    // logEvidence is optional: only the installed app's unknown cache format uses it.
    const missing = missingFacts(this, facts, ['cache']);
    if (missing) return withStatusReport(missing, facts);
    const ctx = contextOf(factValue(facts, 'cache')!, facts.collectedAt);
    const evidence = evidenceOf(ctx);
    if (ctx.c.format === 'unknown') return withLogEvidence(unknownFormat(ctx.c, evidence), facts);
    const problems = PROBLEMS.map((p) => p(ctx)).filter((p): p is Problem => p !== undefined);
    const base = baseDetails(ctx);
    if (problems.length === 0) {
      return {
        status: 'pass',
        code: 'UWD-CACHE-001',
        summary:
          ctx.pendingSeg === 0
            ? `Nothing waits in the offline cache (capacity ${hours(ctx.capacity)}).`
            : `The offline cache holds ${ctx.level}, well within capacity, and can upload in time.`,
        details: base,
        evidence,
      };
    }
    problems.sort((a, b) => a.rank - b.rank);
    const [first, ...rest] = problems;
    return {
      ...first!.outcome,
      details: [
        ...(first!.outcome.details ?? []),
        ...base,
        ...rest.map((p) => `Also: ${p.outcome.summary} (${p.outcome.code})`),
      ],
      evidence: { ...evidence, codes: problems.map((p) => p.outcome.code) },
    };
  },
});
