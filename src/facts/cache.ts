/**
 * The offline time cache: how much tracked time waits to be uploaded, against the cache's capacity
 * and the weekly lock of its oldest segment; rejected segments; damage; the tracker's connection
 * status. Why it matters: a full cache stops time logging on every contract, and cached time that
 * misses the Monday 12:00 UTC lock can never be uploaded.
 *
 * The reference engine's journal is read READ-ONLY (never locked, written or repaired): frames are
 * parsed, a torn tail is skipped and reported. The installed app's cache format is not public, so
 * for it only folder sizes and file ages are reported, with format "unknown".
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import https from 'node:https';
import path from 'node:path';
import zlib from 'node:zlib';
import { NotCollectedError, defineCollector } from '../core/collector.js';
import type { CollectorInput } from '../core/collector.js';

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

  /** Last connection status written by the running tracker (engine/status.json), if any. */
  status: CacheStatus | null;
  /** A health probe of the work-diary service made by the doctor during this run, if it knew the URL. */
  probe: CacheProbe | null;
  /** Another computer of this freelancer is logging time now (from the engine's server state), if known. */
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

/** zlib.crc32 arrived in Node 20.15; older Node 20 releases get the table version. */
const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc32: (data: Uint8Array) => number =
  (zlib as { crc32?: (d: Uint8Array) => number }).crc32 ??
  ((data) => {
    let c = 0xffffffff;
    for (const b of data) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  });

// ---- Reading frames: `J1 <crc32 hex8> <len> <json>\n`, the engine's journal format. --------

interface Scan {
  records: unknown[];
  /** First bad frame: where, why, and whether good frames follow it (damage) or not (torn tail). */
  bad?: { offset: number; why: string; bytes: number; goodAfter: boolean };
}

function frameAt(
  buf: Buffer,
  o: number,
): { ok: true; value: unknown; end: number } | { ok: false; why: string } {
  const m = /^J1 ([0-9a-f]{8}) (\d{1,10}) /.exec(buf.toString('latin1', o, Math.min(buf.length, o + 24)));
  if (!m) return { ok: false, why: 'no frame header' };
  const start = o + m[0].length;
  const end = start + Number(m[2]);
  if (end >= buf.length) return { ok: false, why: 'truncated record' };
  if (buf[end] !== 0x0a) return { ok: false, why: 'missing newline' };
  const body = buf.subarray(start, end);
  if ((crc32(body) >>> 0).toString(16).padStart(8, '0') !== m[1])
    return { ok: false, why: 'checksum mismatch' };
  try {
    return { ok: true, value: JSON.parse(body.toString('utf8')) as unknown, end: end + 1 };
  } catch {
    return { ok: false, why: 'bad JSON' };
  }
}

export function scanFramesReadOnly(buf: Buffer): Scan {
  const records: unknown[] = [];
  let o = 0;
  while (o < buf.length) {
    const r = frameAt(buf, o);
    if (!r.ok) {
      let goodAfter = false;
      for (let q = buf.indexOf('\nJ1 ', o); q !== -1 && !goodAfter; q = buf.indexOf('\nJ1 ', q + 1)) {
        goodAfter = frameAt(buf, q + 1).ok;
      }
      return { records, bad: { offset: o, why: r.why, bytes: buf.length - o, goodAfter } };
    }
    records.push(r.value);
    o = r.end;
  }
  return { records };
}

// ---- Replaying the cache state (the subset the doctor needs). ---------------------------------

interface SegLike {
  contractId: string;
  slot: number;
  kind?: string;
  trackedFrom: number;
  trackedTo: number;
  activeMinutes?: number;
}

interface Entry {
  seg: SegLike;
  state: 'pending' | 'acked' | 'rejected' | 'deleted';
  code?: string;
  at?: number;
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function asSeg(v: unknown): SegLike | undefined {
  if (!isObj(v)) return undefined;
  const { contractId, slot, trackedFrom, trackedTo } = v;
  if (typeof contractId !== 'string' || typeof slot !== 'number') return undefined;
  if (typeof trackedFrom !== 'number' || typeof trackedTo !== 'number') return undefined;
  return {
    contractId,
    slot,
    trackedFrom,
    trackedTo,
    kind: typeof v.kind === 'string' ? v.kind : 'auto',
    ...(typeof v.activeMinutes === 'number' ? { activeMinutes: v.activeMinutes } : {}),
  };
}

function credited(s: SegLike): number {
  return Math.max(0, Math.min(10, Math.round((s.trackedTo - s.trackedFrom) / 60_000)));
}

const keyOf = (s: SegLike) => `${s.contractId}#${s.slot}`;

class Replay {
  seq = 0;
  readonly entries = new Map<string, Entry>();

  /** A snapshot holds `{seq, segments: {key: {segment, state, rejection?}}}` (possibly under `state`). */
  loadSnapshot(v: unknown): boolean {
    const st = isObj(v) && isObj(v.state) ? v.state : v;
    if (!isObj(st) || !isObj(st.segments)) return false;
    this.seq = typeof st.seq === 'number' ? st.seq : 0;
    for (const stored of Object.values(st.segments)) {
      if (!isObj(stored)) continue;
      const seg = asSeg(stored.segment);
      const state = stored.state;
      if (!seg || (state !== 'pending' && state !== 'acked' && state !== 'rejected' && state !== 'deleted'))
        continue;
      const rej = isObj(stored.rejection) ? stored.rejection : undefined;
      this.entries.set(keyOf(seg), {
        seg,
        state,
        ...(rej && typeof rej.code === 'string' ? { code: rej.code } : {}),
        ...(rej && typeof rej.serverTime === 'number' ? { at: rej.serverTime } : {}),
      });
    }
    return true;
  }

  apply(r: unknown): void {
    if (!isObj(r) || typeof r.t !== 'string') return;
    if (typeof r.seq === 'number') {
      if (r.seq <= this.seq) return;
      this.seq = r.seq;
    }
    const key = typeof r.key === 'string' ? r.key : undefined;
    const e = key ? this.entries.get(key) : undefined;
    switch (r.t) {
      case 'SEAL': {
        const seg = asSeg(r.seg);
        if (seg && !this.entries.has(keyOf(seg))) this.entries.set(keyOf(seg), { seg, state: 'pending' });
        return;
      }
      case 'ACK':
        if (e && e.state === 'pending') e.state = 'acked';
        return;
      case 'REJECT':
        if (e && e.state === 'pending') {
          e.state = 'rejected';
          const rej = isObj(r.rejection) ? r.rejection : {};
          e.code = typeof rej.code === 'string' ? rej.code : 'UNKNOWN';
          e.at =
            typeof rej.serverTime === 'number' ? rej.serverTime : typeof r.at === 'number' ? r.at : undefined;
        }
        return;
      case 'DELETE':
        if (e) e.state = 'deleted';
        return;
    }
  }
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

/** The last device that live-logged on the engine's server, from its journal (LIVE records). */
async function lastLiveDevice(serverDir: string): Promise<string | undefined> {
  let buf: Buffer;
  try {
    buf = await readFile(path.join(serverDir, 'server.jrnl'));
  } catch {
    return undefined;
  }
  let device: string | undefined;
  for (const r of scanFramesReadOnly(buf).records) {
    if (isObj(r) && r.t === 'LIVE' && isObj(r.cursor) && typeof r.cursor.deviceId === 'string')
      device = r.cursor.deviceId;
  }
  return device;
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
      if (
        /cache|offline|tracker|screensnaps?/i.test(n) &&
        !/^(gpucache|code cache|shadercache|dawncache|grshadercache)$/i.test(n)
      ) {
        candidates.push(p);
      } else await look(p, depth + 1);
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

async function collectEngine(
  input: CollectorInput,
  cacheDir: string,
  formatVersion: string,
): Promise<CacheFacts> {
  const { ctx, target, options, source, signal, waitingOn } = input;
  const engineDir = path.join(target.dataDir, 'engine');

  // Capacity: the engine's setting, else its documented default.
  const configFile = path.join(engineDir, 'config.json');
  const config = await readJsonFile(configFile);
  const capFromConfig = isObj(config) ? num(config.capacityMinutes) : null;
  if (config !== undefined) source('file', configFile);

  // Snapshot first (MANIFEST names it), then every journal record after it.
  const replay = new Replay();
  const stateDir = path.join(cacheDir, 'state');
  const manifestBuf = await readFile(path.join(stateDir, 'MANIFEST')).catch(() => undefined);
  const damaged: CacheFacts['damaged'] = [];
  if (manifestBuf) {
    source('file', path.join(stateDir, 'MANIFEST'));
    const m =
      scanFramesReadOnly(manifestBuf).records[0] ?? (await readJsonFile(path.join(stateDir, 'MANIFEST')));
    const snapName = isObj(m) ? str(m.snapshot) : null;
    if (snapName) {
      const snapFile = path.join(stateDir, path.basename(snapName));
      const buf = await readFile(snapFile).catch(() => undefined);
      const snap = buf ? (scanFramesReadOnly(buf).records[0] ?? (await readJsonFile(snapFile))) : undefined;
      if (!snap || !replay.loadSnapshot(snap)) {
        damaged.push({
          file: `state/${path.basename(snapName)}`,
          offset: 0,
          why: 'snapshot missing or unreadable',
        });
      } else source('file', snapFile);
    }
  }

  const journalDir = path.join(cacheDir, 'journal');
  const journals = (await listDir(journalDir)).filter((n) => n.endsWith('.jrnl'));
  let journalBytes = 0;
  let tornTail: CacheFacts['tornTail'] = null;
  for (const [i, name] of journals.entries()) {
    waitingOn(`reading journal/${name}`);
    const file = path.join(journalDir, name);
    const buf = await readFile(file).catch(() => undefined);
    if (!buf) continue;
    source('file', file);
    journalBytes += buf.length;
    const scan = scanFramesReadOnly(buf);
    for (const r of scan.records) replay.apply(r);
    if (scan.bad) {
      const last = i === journals.length - 1;
      if (last && !scan.bad.goodAfter) tornTail = { file: name, bytes: scan.bad.bytes };
      else damaged.push({ file: `journal/${name}`, offset: scan.bad.offset, why: scan.bad.why });
    }
  }

  const pending = [...replay.entries.values()]
    .filter((e) => e.state === 'pending')
    .sort((a, b) => a.seg.slot - b.seg.slot || (a.seg.contractId < b.seg.contractId ? -1 : 1));
  const ref = (e: Entry): CacheSegmentRef => {
    const slotStart = e.seg.slot * SLOT_MS;
    const weekEndAt = weekEndOf(slotStart);
    return {
      contractId: e.seg.contractId,
      slotStart,
      minutes: credited(e.seg),
      weekEndAt,
      lockAt: weekEndAt + 12 * 3600_000,
    };
  };
  const rejected: CacheRejection[] = [...replay.entries.values()]
    .filter((e) => e.state === 'rejected')
    .sort((a, b) => a.seg.slot - b.seg.slot)
    .map((e) => ({
      contractId: e.seg.contractId,
      slotStart: e.seg.slot * SLOT_MS,
      minutes: credited(e.seg),
      code: e.code ?? 'UNKNOWN',
      at: e.at ?? null,
    }));

  const quarantined: CacheFacts['quarantined'] = [];
  for (const n of await listDir(path.join(cacheDir, 'quarantine'))) {
    const st = await stat(path.join(cacheDir, 'quarantine', n)).catch(() => undefined);
    if (st?.isFile()) quarantined.push({ name: n, bytes: st.size });
  }
  const blobs: WalkTotals = { files: 0, bytes: 0, oldest: null, newest: null };
  await walk(path.join(cacheDir, 'blobs'), blobs);
  const all: WalkTotals = { files: 0, bytes: 0, oldest: null, newest: null };
  await walk(cacheDir, all);

  // The running tracker's own view of its connection.
  const statusFile = path.join(engineDir, 'status.json');
  const st = await readJsonFile(statusFile);
  let status: CacheStatus | null = null;
  if (isObj(st) && typeof st.state === 'string') {
    source('file', statusFile);
    status = {
      state: st.state,
      label: str(st.label) ?? st.state,
      since: num(st.since),
      updatedAt: num(st.updatedAt),
      lastAttemptAt: num(st.lastAttemptAt),
      lastSuccessAt: num(st.lastSuccessAt),
      lastError: str(st.lastError),
      consecutiveFailures: num(st.consecutiveFailures) ?? 0,
    };
  }

  // Is the service reachable from here right now? (tells "stuck" from "offline")
  const serverFile = path.join(engineDir, 'server.json');
  const server = await readJsonFile(serverFile);
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

  // Another computer live-logging: the engine's server knows (fault or LIVE cursor); the real app does not say.
  let anotherDeviceLive: boolean | null = null;
  const faults = isObj(server) && isObj(server.faults) ? server.faults : undefined;
  const device = await readJsonFile(path.join(engineDir, 'device.json'));
  const myDevice = isObj(device) ? str(device.deviceId) : null;
  const live = await lastLiveDevice(path.join(target.dataDir, 'server'));
  if (faults?.deviceConflict === true) anotherDeviceLive = true;
  else if (live !== undefined && myDevice) anotherDeviceLive = live !== myDevice;
  else if (faults) anotherDeviceLive = false;

  // Scenarios simulate a moment; their offset from real time is recorded beside the engine.
  const scenario = await readJsonFile(path.join(engineDir, 'scenario.json'));
  const offset = isObj(scenario) ? (num(scenario.clockOffsetMs) ?? 0) : 0;

  const pendingMinutes = pending
    .filter((e) => e.seg.kind !== 'manual')
    .reduce((a, e) => a + credited(e.seg), 0);
  return {
    format: 'engine',
    cacheDir,
    formatVersion,
    pendingSegments: pending.length,
    pendingMinutes,
    capacityMinutes: capFromConfig ?? DEFAULT_CAPACITY,
    capacitySource: capFromConfig !== null ? 'config' : 'default',
    oldestPending: pending.length > 0 ? ref(pending[0]!) : null,
    newestPending: pending.length > 0 ? ref(pending[pending.length - 1]!) : null,
    rejected,
    quarantined,
    tornTail,
    damaged,
    status,
    probe,
    anotherDeviceLive,
    engineNow: ctx.now() + offset,
    files: {
      journalFiles: journals.length,
      journalBytes,
      blobFiles: blobs.files,
      blobBytes: blobs.bytes,
      totalBytes: all.bytes,
    },
    folders: [],
    recent: recentTimeline(replay.entries.values(), ctx.now() + offset),
  };
}

/** Acked, pending and refused segments of the 8 days before `now`, newest 1200, oldest first. */
function recentTimeline(entries: Iterable<Entry>, now: number): CacheTimelineEntry[] {
  const from = now - 8 * DAY_MS;
  return [...entries]
    .filter((e) => e.state !== 'deleted' && e.seg.slot * SLOT_MS >= from)
    .sort((a, b) => a.seg.slot - b.seg.slot)
    .slice(-1200)
    .map((e) => ({
      slotStart: e.seg.slot * SLOT_MS,
      minutes: credited(e.seg),
      state: e.state as CacheTimelineEntry['state'],
      activeMinutes: e.seg.activeMinutes ?? null,
    }));
}

export const cacheCollector = defineCollector({
  key: 'cache',
  scope: 'tracker',
  title: 'offline time cache',
  timeoutMs: 8_000,
  async collect(input) {
    const cacheDir = path.join(input.target.dataDir, 'Upwork', 'Cache');
    const formatFile = path.join(cacheDir, 'FORMAT');
    const format = await readFile(formatFile, 'utf8').catch(() => undefined);
    if (format !== undefined) {
      input.source('file', formatFile);
      return collectEngine(input, cacheDir, format.trim());
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
