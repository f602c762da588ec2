/**
 * The offline time cache: how much tracked time waits to be uploaded, against the cache's capacity
 * and the weekly lock of its oldest segment; rejected segments; damage; the tracker's connection
 * status. Why it matters: a full cache stops time logging on every contract, and cached time that
 * misses the Monday 12:00 UTC lock can never be uploaded.
 *
 * The reference engine's cache is read with the engine's own codec and recovery (`inspectCache`),
 * READ-ONLY: never locked, trimmed, quarantined or written. Whatever could not be read or trusted
 * (a cut or damaged journal, a lost snapshot, an unreadable file or folder, a wrong FORMAT) comes
 * back as `damage` with the minutes at risk, so it can never read as an empty, healthy cache. The
 * installed app's cache format is not public, so for it only folder sizes and file ages are
 * reported, with format "unknown".
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import https from 'node:https';
import path from 'node:path';
import { NotCollectedError, defineCollector } from '../core/collector.js';
import type { CollectorInput } from '../core/collector.js';
import { inspectCache, type InspectResult } from '../engine/store/store.js';
import { isChromiumCachePath } from '../core/chromium.js';
import type { StoredSegment } from '../engine/store/types.js';
import { pendingOf } from '../engine/store/state.js';
import { creditedMinutes } from '../engine/rules/segments.js';
import { trackerNow } from './engine-now.js';

export interface CacheSegmentRef {
  contractId: string;
  /** UTC ms of the start of its 10-minute slot. */
  slotStart: number;
  /** Credited minutes (tracked minutes of the slot). */
  minutes: number;
  /** When its week ends (Monday 00:00 UTC after it) and when its Work Diary locks (Monday 12:00 UTC). */
  weekEndAt: number;
  lockAt: number;
}

export interface CacheRejection {
  contractId: string;
  slotStart: number;
  minutes: number;
  /** The server's verdict: WEEK_LOCKED, CONTRACT_NOT_ACTIVE, DEVICE_CONFLICT, … */
  code: string;
  /** When it was rejected (server time), when known. */
  at: number | null;
}

export interface CacheStatus {
  /** ONLINE, ONLINE_UPLOADING, OFFLINE_CACHING, CACHE_FULL, CONNECTING, AUTH_REQUIRED. */
  state: string;
  /** What the app shows: "Online", "Online and uploading", "Offline (caching)", … */
  label: string;
  since: number | null;
  updatedAt: number | null;
  lastAttemptAt: number | null;
  lastSuccessAt: number | null;
  lastError: string | null;
  consecutiveFailures: number;
}

export interface CacheProbe {
  url: string;
  /** The work-diary service answered its health endpoint from this machine just now. */
  reachable: boolean;
  error?: string;
}

export interface CacheFolderInfo {
  path: string;
  files: number;
  bytes: number;
  oldestMtime: number | null;
  newestMtime: number | null;
}

export interface CacheFacts {
  /** engine: the reference engine's journal, read fully; unknown: the installed app's private format. */
  format: 'engine' | 'unknown';
  /** `<data>/Upwork/Cache` for the engine; the scanned folders for the installed app. */
  cacheDir: string;
  /** Contents of Upwork/Cache/FORMAT ("tracker-engine 1"). */
  formatVersion: string | null;
  /** What could not be read, in words (installed app: its cache format is not public). */
  note?: string;

  pendingSegments: number | null;
  pendingMinutes: number | null;
  /** From engine/config.json (capacityMinutes), else the engine default. */
  capacityMinutes: number | null;
  capacitySource: 'config' | 'default' | null;
  oldestPending: CacheSegmentRef | null;
  newestPending: CacheSegmentRef | null;
  rejected: CacheRejection[];

  /** Files moved to Upwork/Cache/quarantine/ (damaged, never deleted). */
  quarantined: { name: string; bytes: number }[];
  /** A torn final record the collector skipped (a crash mid-write); the engine trims it on start. */
  tornTail: { file: string; bytes: number } | null;
  /** A bad record followed by good ones: damage the engine will quarantine. */
  damaged: { file: string; offset: number; why: string }[];
  /**
   * Everything the engine's recovery could not read or trust, in words, with the tracked minutes
   * at risk (null: the cache does not show how many). Absent in facts recorded before it existed.
   */
  damage?: CacheDamageFact[];

  /** Last connection status written by the running tracker (engine/status.json), if any. */
  status: CacheStatus | null;
  /** A health probe of the work-diary service made by the doctor during this run, if it knew the URL. */
  probe: CacheProbe | null;
  /**
   * Another computer of this freelancer is logging time: the server's last word on this computer's
   * cached time was DEVICE_CONFLICT (no upload accepted since). Read from the tracker's own record
   * of the server's answers; null when the cache cannot be read.
   */
  anotherDeviceLive: boolean | null;

  /**
   * The engine's clock (UTC ms) when the facts were collected. Scenarios simulate a moment (e.g.
   * Monday 08:00 UTC, four hours before the weekly lock) and record its offset from real time; a
   * real tracker has none, so this equals the collection time.
   */
  engineNow: number | null;

  files: {
    journalFiles: number;
    journalBytes: number;
    blobFiles: number;
    blobBytes: number;
    totalBytes: number;
  };
  /** Installed app: folders that look like its cache, with sizes and file ages. */
  folders: CacheFolderInfo[];
  /** The engine's segments of the last 8 days by state (newest 1200), for the report's week chart. */
  recent?: CacheTimelineEntry[];
}

export interface CacheTimelineEntry {
  slotStart: number;
  minutes: number;
  state: 'pending' | 'acked' | 'rejected';
  /** Minutes of the 10 with any input (the activity level); null when the journal does not say. */
  activeMinutes: number | null;
}

export interface CacheDamageFact {
  kind: string;
  /** Relative to the cache folder. */
  file: string;
  detail: string;
  minutesAtRisk: number | null;
}

declare module '../core/facts.js' {
  interface FactMap {
    cache: CacheFacts;
  }
}

const SLOT_MS = 600_000;
const DAY_MS = 86_400_000;
const WEEK_MS = 7 * DAY_MS;
/** 1970-01-05T00:00Z, a Monday: weeks are counted from it (the engine's rule, UTC only). */
const MONDAY0_MS = 4 * DAY_MS;
const DEFAULT_CAPACITY = 1440;
const MAX_WALK_FILES = 20_000;

function weekEndOf(t: number): number {
  return MONDAY0_MS + (Math.floor((t - MONDAY0_MS) / WEEK_MS) + 1) * WEEK_MS;
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

// ---- Small read-only file helpers. -------------------------------------------------------------

async function readJsonFile(file: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as unknown;
  } catch {
    return undefined;
  }
}

async function listDir(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort();
  } catch {
    return [];
  }
}

interface WalkTotals {
  files: number;
  bytes: number;
  oldest: number | null;
  newest: number | null;
}

async function walk(dir: string, totals: WalkTotals, depth = 0): Promise<void> {
  if (depth > 6 || totals.files >= MAX_WALK_FILES) return;
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  for (const n of names) {
    if (totals.files >= MAX_WALK_FILES) return;
    const p = path.join(dir, n);
    let st;
    try {
      st = await stat(p);
    } catch {
      continue;
    }
    if (st.isDirectory()) await walk(p, totals, depth + 1);
    else if (st.isFile()) {
      totals.files++;
      totals.bytes += st.size;
      const m = st.mtimeMs;
      totals.oldest = totals.oldest === null ? m : Math.min(totals.oldest, m);
      totals.newest = totals.newest === null ? m : Math.max(totals.newest, m);
    }
  }
}

function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

function str(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}

/** GET <url>/v1/health over HTTPS trusting the engine's CA, 2 s at most. */
function probeHealth(baseUrl: string, caPem: string | undefined, signal: AbortSignal): Promise<CacheProbe> {
  const url = new URL('/v1/health', baseUrl).toString();
  return new Promise((resolve) => {
    const req = https.get(url, { ...(caPem ? { ca: caPem } : {}), timeout: 2000, signal }, (res) => {
      res.resume();
      const ok = (res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 300;
      resolve({ url, reachable: ok, ...(ok ? {} : { error: `HTTP ${res.statusCode}` }) });
    });
    req.on('timeout', () => req.destroy(new Error('timed out after 2 s')));
    req.on('error', (e) => resolve({ url, reachable: false, error: e.message }));
  });
}

const EMPTY_FILES = { journalFiles: 0, journalBytes: 0, blobFiles: 0, blobBytes: 0, totalBytes: 0 };

async function collectUnknown(input: CollectorInput): Promise<CacheFacts> {
  const { target, source } = input;
  // The real app keeps its cache in a private format; report where cache-like folders are and how old and big they are.
  const candidates: string[] = [];
  const look = async (dir: string, depth: number): Promise<void> => {
    if (depth > 3) return;
    for (const n of await listDir(dir)) {
      const p = path.join(dir, n);
      let st;
      try {
        st = await stat(p);
      } catch {
        continue;
      }
      if (!st.isDirectory()) continue;
      // Chromium's caches (UserData/**/Cache, Code Cache, GPUCache) are never the offline cache.
      if (isChromiumCachePath(path.relative(target.dataDir, p))) continue;
      if (/cache|offline|tracker|screensnaps?/i.test(n)) candidates.push(p);
      else await look(p, depth + 1);
    }
  };
  await look(target.dataDir, 0);
  const folders: CacheFolderInfo[] = [];
  for (const dir of candidates.slice(0, 20)) {
    source('file', dir);
    const t: WalkTotals = { files: 0, bytes: 0, oldest: null, newest: null };
    await walk(dir, t);
    folders.push({ path: dir, files: t.files, bytes: t.bytes, oldestMtime: t.oldest, newestMtime: t.newest });
  }
  const totalBytes = folders.reduce((a, f) => a + f.bytes, 0);
  return {
    format: 'unknown',
    cacheDir: candidates[0] ?? target.dataDir,
    formatVersion: null,
    note: "The Upwork app's offline cache is stored in a private format: the doctor can measure its folders but not count the time waiting in them.",
    pendingSegments: null,
    pendingMinutes: null,
    capacityMinutes: null,
    capacitySource: null,
    oldestPending: null,
    newestPending: null,
    rejected: [],
    quarantined: [],
    tornTail: null,
    damaged: [],
    status: null,
    probe: null,
    anotherDeviceLive: null,
    engineNow: null,
    files: { ...EMPTY_FILES, totalBytes },
    folders,
  };
}

/** Capacity: the engine's setting, else its documented default. */
async function engineCapacity(input: CollectorInput, engineDir: string) {
  const configFile = path.join(engineDir, 'config.json');
  const config = await readJsonFile(configFile);
  if (config !== undefined) input.source('file', configFile);
  const fromConfig = isObj(config) ? num(config.capacityMinutes) : null;
  return {
    capacityMinutes: fromConfig ?? DEFAULT_CAPACITY,
    capacitySource: fromConfig !== null ? ('config' as const) : ('default' as const),
  };
}

/** The running tracker's own view of its connection (engine/status.json). */
async function engineStatus(input: CollectorInput, engineDir: string) {
  const statusFile = path.join(engineDir, 'status.json');
  const st = await readJsonFile(statusFile);
  if (!isObj(st) || typeof st.state !== 'string') return { status: null, reportedMinutes: null };
  input.source('file', statusFile);
  const status: CacheStatus = {
    state: st.state,
    label: str(st.label) ?? st.state,
    since: num(st.since),
    updatedAt: num(st.updatedAt),
    lastAttemptAt: num(st.lastAttemptAt),
    lastSuccessAt: num(st.lastSuccessAt),
    lastError: str(st.lastError),
    consecutiveFailures: num(st.consecutiveFailures) ?? 0,
  };
  return { status, reportedMinutes: num(st.pendingMinutes) };
}

/** Is the service reachable from here right now (tells "stuck" from "offline")? */
async function engineService(input: CollectorInput, engineDir: string) {
  const { options, signal, waitingOn, source } = input;
  const server = await readJsonFile(path.join(engineDir, 'server.json'));
  const url = options.serviceUrl ?? (isObj(server) ? str(server.url) : null);
  let caPem = options.extraCaPem;
  if (!caPem && isObj(server) && typeof server.caPem === 'string') {
    caPem = await readFile(server.caPem, 'utf8').catch(() => undefined);
  }
  let probe: CacheProbe | null = null;
  if (url) {
    waitingOn(`GET ${url}/v1/health`);
    probe = await probeHealth(url, caPem, signal);
    source('url', probe.url);
  }
  return { probe };
}

/**
 * Another computer logs time on this account when the server's answer to this computer's upload
 * was DEVICE_CONFLICT and nothing it sent has been accepted since: what the tracker itself heard,
 * so the same reading works wherever the tracker's answers are recorded.
 */
function conflictHeard(segments: readonly StoredSegment[]): boolean {
  let lastConflict = -Infinity;
  let lastAccepted = -Infinity;
  for (const s of segments) {
    if (s.state === 'rejected' && s.rejection?.code === 'DEVICE_CONFLICT')
      lastConflict = Math.max(lastConflict, s.rejection.serverTime);
    if (s.receipt) lastAccepted = Math.max(lastAccepted, s.receipt.serverTime);
  }
  return lastConflict !== -Infinity && lastConflict >= lastAccepted;
}

function segmentRef(s: StoredSegment): CacheSegmentRef {
  const slotStart = s.segment.slot * SLOT_MS;
  const weekEndAt = weekEndOf(slotStart);
  return {
    contractId: s.segment.contractId,
    slotStart,
    minutes: creditedMinutes(s.segment),
    weekEndAt,
    lockAt: weekEndAt + 12 * 3600_000,
  };
}

/** What the engine's recovery found: waiting and refused segments, and everything it could not trust. */
function cacheContents(insp: InspectResult, reportedMinutes: number | null, status: CacheStatus | null) {
  const segments = Object.values(insp.state.segments);
  const pending = pendingOf(insp.state);
  const rejected: CacheRejection[] = segments
    .filter((s) => s.state === 'rejected')
    .sort((a, b) => a.segment.slot - b.segment.slot)
    .map((s) => ({
      contractId: s.segment.contractId,
      slotStart: s.segment.slot * SLOT_MS,
      minutes: creditedMinutes(s.segment),
      code: s.rejection?.code ?? 'UNKNOWN',
      at: s.rejection?.serverTime ?? null,
    }));
  const damage: CacheDamageFact[] = insp.report.damage.map((d) => ({ ...d }));
  // The tracker said more was waiting than the cache now holds: records were lost since.
  if (reportedMinutes !== null && reportedMinutes > insp.pendingMinutes && status?.state !== 'ONLINE') {
    damage.push({
      kind: 'less-than-reported',
      file: '../engine/status.json',
      detail: `the tracker last reported ${reportedMinutes} min waiting${status?.updatedAt ? ` (${new Date(status.updatedAt).toISOString()})` : ''}, but the cache now holds ${insp.pendingMinutes} min`,
      minutesAtRisk: reportedMinutes - insp.pendingMinutes,
    });
  }
  const torn = insp.report.repairs[0];
  return {
    pending,
    rejected,
    damage,
    tornTail: torn ? { file: torn.file, bytes: torn.bytesDropped } : null,
    damaged: insp.report.damage
      .filter((d) => d.kind === 'bad-record')
      .map((d) => ({ file: d.file, offset: d.offset ?? 0, why: d.why ?? d.detail })),
  };
}

async function quarantineList(cacheDir: string): Promise<CacheFacts['quarantined']> {
  const out: CacheFacts['quarantined'] = [];
  for (const n of await listDir(path.join(cacheDir, 'quarantine'))) {
    const st = await stat(path.join(cacheDir, 'quarantine', n)).catch(() => undefined);
    if (st?.isFile()) out.push({ name: n, bytes: st.size });
  }
  return out;
}

async function cacheFiles(cacheDir: string, insp: InspectResult): Promise<CacheFacts['files']> {
  let journalBytes = 0;
  for (const n of insp.report.journalFiles) {
    const st = await stat(path.join(cacheDir, 'journal', n)).catch(() => undefined);
    journalBytes += st?.size ?? 0;
  }
  const blobs: WalkTotals = { files: 0, bytes: 0, oldest: null, newest: null };
  await walk(path.join(cacheDir, 'blobs'), blobs);
  const all: WalkTotals = { files: 0, bytes: 0, oldest: null, newest: null };
  await walk(cacheDir, all);
  return {
    journalFiles: insp.report.journalFiles.length,
    journalBytes,
    blobFiles: blobs.files,
    blobBytes: blobs.bytes,
    totalBytes: all.bytes,
  };
}

async function collectEngine(
  input: CollectorInput,
  cacheDir: string,
  formatVersion: string | null,
): Promise<CacheFacts> {
  const { ctx, target, source, waitingOn } = input;
  const engineDir = path.join(target.dataDir, 'engine');
  waitingOn('reading the cache journal');
  // The engine's own recovery, read-only: the same codec and the same answer as the tracker's.
  const insp = await inspectCache(cacheDir, ctx.now());
  for (const f of insp.report.journalFiles) source('file', path.join(cacheDir, 'journal', f));
  if (insp.report.snapshot) source('file', path.join(cacheDir, 'state', insp.report.snapshot));
  const capacity = await engineCapacity(input, engineDir);
  const { status, reportedMinutes } = await engineStatus(input, engineDir);
  const contents = cacheContents(insp, reportedMinutes, status);
  const service = await engineService(input, engineDir);
  const now = await trackerNow(target.dataDir, ctx.now());
  const { pending } = contents;
  return {
    format: 'engine',
    cacheDir,
    formatVersion,
    pendingSegments: pending.length,
    pendingMinutes: insp.pendingMinutes,
    ...capacity,
    oldestPending: pending.length > 0 ? segmentRef(pending[0]!) : null,
    newestPending: pending.length > 0 ? segmentRef(pending.at(-1)!) : null,
    rejected: contents.rejected,
    quarantined: await quarantineList(cacheDir),
    tornTail: contents.tornTail,
    damaged: contents.damaged,
    damage: contents.damage,
    status,
    ...service,
    anotherDeviceLive: conflictHeard(Object.values(insp.state.segments)),
    engineNow: now,
    files: await cacheFiles(cacheDir, insp),
    folders: [],
    recent: recentTimeline(Object.values(insp.state.segments), now),
  };
}

/** Acked, pending and refused segments of the 8 days before `now`, newest 1200, oldest first. */
function recentTimeline(segments: StoredSegment[], now: number): CacheTimelineEntry[] {
  const from = now - 8 * DAY_MS;
  return segments
    .filter((s) => s.state !== 'deleted' && s.segment.slot * SLOT_MS >= from)
    .sort((a, b) => a.segment.slot - b.segment.slot)
    .slice(-1200)
    .map((s) => ({
      slotStart: s.segment.slot * SLOT_MS,
      minutes: creditedMinutes(s.segment),
      state: s.state as CacheTimelineEntry['state'],
      activeMinutes: typeof s.segment.activeMinutes === 'number' ? s.segment.activeMinutes : null,
    }));
}

/** The engine's FORMAT file, or null when it is missing or cannot be read (recovery reports why). */
async function readFormat(file: string): Promise<string | null | undefined> {
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT' ? undefined : null;
  }
}

/** An engine cache: a FORMAT file (even a damaged one) or a journal folder. */
async function isEngineCache(cacheDir: string, format: string | null | undefined): Promise<boolean> {
  if (format !== undefined) return true;
  return (await stat(path.join(cacheDir, 'journal')).catch(() => undefined)) !== undefined;
}

export const cacheCollector = defineCollector({
  key: 'cache',
  scope: 'tracker',
  title: 'offline time cache',
  timeoutMs: 8_000,
  async collect(input) {
    const cacheDir = path.join(input.target.dataDir, 'Upwork', 'Cache');
    const formatFile = path.join(cacheDir, 'FORMAT');
    const format = await readFormat(formatFile);
    if (await isEngineCache(cacheDir, format)) {
      if (format) input.source('file', formatFile);
      return collectEngine(input, cacheDir, format ?? null);
    }
    const dataStat = await stat(input.target.dataDir).catch(() => undefined);
    if (!dataStat?.isDirectory()) {
      throw new NotCollectedError(
        'not-applicable',
        `there is no tracker data folder at ${input.target.dataDir}`,
        [{ kind: 'file', ref: input.target.dataDir }],
      );
    }
    return collectUnknown(input);
  },
});
