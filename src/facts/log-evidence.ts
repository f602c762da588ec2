/**
 * What the tracker's own logs show, for checks that cannot read the installed app's private state:
 * upload attempts and their outcome, the last successful upload, screenshot captures (`Electron
 * Screensnap succeeded.` and failures), activity records whose keyboard and mouse counts are all
 * zero (an activity-detection fault, typical on Wayland), idle-monitor errors (`DBUS IdleTime …
 * not activatable`) and update-check failures. Read with the one log reader (logs.ts), newest
 * daily files first, within a byte budget. Every item keeps the line it came from (home folder and
 * e-mail addresses masked), its time and its file.
 *
 * Which words mean what on the real app is partly verified (research/real-app-facts.md: the
 * Screensnap line, TRACKER_UPLOAD_STARTED, TRACKER_SAVE_USER_ACTIVITY, the DBUS line); the success
 * and failure wording of uploads and update checks, and the names of the activity counters, are
 * not verified: they are matched loosely (see the patterns below).
 */
import path from 'node:path';
import { defineCollector } from '../core/collector.js';
import { builtWorkerScript } from '../core/worker-script.js';
import { logsDir } from '../targets/paths.js';
import { listLogFiles, readLogFileBatches, type LogEvent } from './logs.js';
import { trackerNow } from './engine-now.js';

export interface LogQuote {
  /** As written in the log (local time). */
  time: string;
  /** ISO 8601 UTC, when the time could be read. */
  at: string | null;
  file: string;
  /** The line (home folder and e-mail addresses masked), with its payload type when it has one. */
  line: string;
}

export interface LogCount {
  count: number;
  last: LogQuote | null;
}

export interface LogEvidenceFacts {
  logsDir: string;
  filesRead: string[];
  /** Oldest and newest event times read (ISO). */
  from: string | null;
  to: string | null;
  uploadAttempts: LogCount;
  uploadFailures: LogCount;
  uploadSuccesses: LogCount;
  screenshotsOk: LogCount;
  screenshotsFailed: LogCount;
  zeroActivity: LogCount;
  /** Activity records seen at all (to say "3 of 12 were zero"). */
  activityRecords: number;
  idleErrors: LogCount;
  updateFailures: LogCount;
  /**
   * The tracker's clock when the logs were read (ISO): inside a scenario its simulated moment, in
   * which the logs were written; real time otherwise. Ages ("no upload for 3 h") are measured from it.
   */
  now?: string;
}

declare module '../core/facts.js' {
  interface FactMap {
    logEvidence: LogEvidenceFacts;
  }
}

/** Bytes read at most (newest files first): enough for days of normal logging. */
export const LOG_EVIDENCE_BUDGET = 32 * 1024 * 1024;

type Kind = Exclude<
  keyof LogEvidenceFacts,
  'logsDir' | 'filesRead' | 'from' | 'to' | 'activityRecords' | 'now'
>;

const isUpload = (e: LogEvent) =>
  e.payload?.type === 'TRACKER_UPLOAD_STARTED' || /\bupload/i.test(`${e.category} ${e.message}`);
const FAILED = /\bfail(ed|ure)?\b|\berror\b|ECONN|ETIMEDOUT|ENOTFOUND|\bHTTP [45]\d\d\b/i;

/** A word every kind below needs (no payload type): screensnap, DBUS, update, versions-, upload. */
const MAY_COUNT = /screensnap|dbus|updat|versions-|upload/i;

/** The kinds one event counts as (an event may be both an attempt and its outcome). */
export function classifyEvent(e: LogEvent): Kind[] {
  const kinds: Kind[] = [];
  // Most lines are none of these: one look for every word the tests below need first.
  if (!e.payload?.type && !MAY_COUNT.test(e.message) && !MAY_COUNT.test(e.category)) return kinds;
  const text = `${e.category} ${e.message}`;
  if (/screensnap/i.test(text))
    kinds.push(/succeeded/i.test(e.message) && e.level !== 'error' ? 'screenshotsOk' : 'screenshotsFailed');
  if (/DBUS IdleTime.*not activatable/i.test(e.message)) kinds.push('idleErrors');
  if (
    /\bupdat(e|es|er|ing)\b|versions-\w+\.json/i.test(text) &&
    (e.level === 'error' || FAILED.test(e.message))
  )
    kinds.push('updateFailures');
  if (e.payload?.type === 'TRACKER_SAVE_USER_ACTIVITY' && allZeroCounts(e.payload.json))
    kinds.push('zeroActivity');
  if (isUpload(e) && !kinds.includes('updateFailures')) {
    if (e.payload?.type === 'TRACKER_UPLOAD_STARTED' || /\b(POST|start(ed|ing)?|attempt)\b/i.test(e.message))
      kinds.push('uploadAttempts');
    if (e.level === 'error' || e.level === 'fatal' || FAILED.test(e.message)) kinds.push('uploadFailures');
    else if (/\b(done|succeeded|success|uploaded|accepted)\b|\bHTTP 2\d\d\b/i.test(e.message))
      kinds.push('uploadSuccesses');
  }
  return kinds;
}

/**
 * An activity record whose keyboard/mouse counters are all zero. The real app's field names are
 * not verified: every numeric field whose name says key, mouse, click, stroke or activ counts;
 * a record with no such field is not judged.
 */
export function allZeroCounts(json: unknown): boolean {
  if (!json || typeof json !== 'object') return false;
  const counters: number[] = [];
  const visit = (o: Record<string, unknown>, depth: number) => {
    for (const [k, v] of Object.entries(o)) {
      if (typeof v === 'number' && /key|mouse|click|stroke|activ/i.test(k)) counters.push(v);
      else if (v && typeof v === 'object' && depth < 3) visit(v as Record<string, unknown>, depth + 1);
    }
  };
  visit(json as Record<string, unknown>, 0);
  return counters.length > 0 && counters.every((n) => n === 0);
}

function mask(line: string, home: string): string {
  let s = line.length > 300 ? `${line.slice(0, 300)}…` : line;
  if (home.length > 1) s = s.split(home).join('~');
  return s.replace(/[\w.+-]+@[\w-]+(\.[\w-]+)+/g, '<email>');
}

function quote(e: LogEvent, file: string, home: string): LogQuote {
  const head = `[${e.time}] [${e.level.toUpperCase()}] ${e.category} - ${e.message}`;
  return {
    time: e.time,
    at: e.at === null ? null : new Date(e.at).toISOString(),
    file: path.basename(file),
    line: mask(e.payload?.type ? `${head} (payload ${e.payload.type})` : head, home),
  };
}

function emptyFacts(dir: string): LogEvidenceFacts {
  const c = (): LogCount => ({ count: 0, last: null });
  return {
    logsDir: dir,
    filesRead: [],
    from: null,
    to: null,
    uploadAttempts: c(),
    uploadFailures: c(),
    uploadSuccesses: c(),
    screenshotsOk: c(),
    screenshotsFailed: c(),
    zeroActivity: c(),
    activityRecords: 0,
    idleErrors: c(),
    updateFailures: c(),
  };
}

/** Oldest and newest event times read (epoch ms), turned into ISO once at the end. */
interface Span {
  from: number;
  to: number;
}

/** Count one event into the facts; `last` keeps the newest (by time, else by reading order). */
function record(out: LogEvidenceFacts, e: LogEvent, file: string, home: string, span: Span): void {
  if (e.payload?.type === 'TRACKER_SAVE_USER_ACTIVITY') out.activityRecords++;
  for (const k of classifyEvent(e)) {
    const slot = out[k];
    slot.count++;
    if (
      !slot.last ||
      (e.at !== null && (slot.last.at === null || new Date(e.at).toISOString() >= slot.last.at))
    )
      slot.last = quote(e, file, home);
  }
  if (e.at !== null) {
    if (e.at < span.from) span.from = e.at;
    if (e.at > span.to) span.to = e.at;
  }
}

/** Read a logs folder into evidence (exported for tests and `inspect`). */
export async function readLogEvidence(
  dir: string,
  home: string,
  budget = LOG_EVIDENCE_BUDGET,
): Promise<LogEvidenceFacts> {
  const out = emptyFacts(dir);
  const span: Span = { from: Infinity, to: -Infinity };
  const { files } = await listLogFiles(dir);
  let left = budget;
  for (const f of files) {
    if (left <= 0) break;
    // Past the budget, a large file is read from where its last `left` bytes start.
    const start = Math.max(0, f.size - left);
    left -= f.size - start;
    out.filesRead.push(f.name);
    try {
      for await (const batch of readLogFileBatches(f.path, { start }))
        for (const e of batch) if (e.kind === 'event') record(out, e, f.path, home, span);
    } catch {
      // A file that vanished or cannot be read adds nothing; the others still count.
    }
  }
  if (span.from <= span.to) {
    out.from = new Date(span.from).toISOString();
    out.to = new Date(span.to).toISOString();
  }
  return out;
}

/**
 * `readLogEvidence` in a worker thread (log-evidence-worker.ts): parsing megabytes of log lines
 * is the longest part of a doctor run, and on another core it overlaps the other collectors. On
 * this thread when no built worker script exists (running from the sources).
 */
export async function readLogEvidenceOffThread(
  dir: string,
  home: string,
  signal?: AbortSignal,
  budget = LOG_EVIDENCE_BUDGET,
): Promise<LogEvidenceFacts> {
  const script = builtWorkerScript('./log-evidence-worker.js', import.meta.url);
  if (!script) return readLogEvidence(dir, home, budget);
  const { Worker } = await import('node:worker_threads');
  const worker = new Worker(script, { workerData: { dir, home, budget } });
  const stop = () => void worker.terminate();
  signal?.addEventListener('abort', stop, { once: true });
  try {
    return await new Promise<LogEvidenceFacts>((resolve, reject) => {
      worker.once('message', (m: { evidence?: LogEvidenceFacts; error?: string }) =>
        m.evidence ? resolve(m.evidence) : reject(new Error(m.error ?? 'the log reader failed')),
      );
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`the log reader stopped (exit ${code})`)));
    });
  } finally {
    signal?.removeEventListener('abort', stop);
    void worker.terminate();
  }
}

export const logEvidenceCollector = defineCollector({
  key: 'logEvidence',
  title: "what the tracker's logs show",
  scope: 'tracker',
  timeoutMs: 20_000,
  async collect({ ctx, target, source, waitingOn, signal }) {
    const dir = logsDir(target.dataDir, ctx.platform);
    source('file', path.join(dir, 'upwork..YYYYMMDD.log (and the other daily logs)'));
    waitingOn(`reading ${dir}`);
    const evidence = await readLogEvidenceOffThread(dir, ctx.homedir, signal);
    return { ...evidence, now: new Date(await trackerNow(target.dataDir, ctx.now())).toISOString() };
  },
});
