/**
 * Reading a cache as recovery does: the newest trustworthy snapshot, then every later journal
 * record in order. The store runs it with `mutate` (trim a torn tail, quarantine damage); the
 * doctor, `engine status` and the bundle run it read-only (no lock, no trim, no quarantine). One
 * codec (frame.ts) and one recovery, so what the doctor reports is what the engine will find.
 *
 * Recovery never drops acknowledged time without saying so. Every file it could not read or
 * trust, and every gap in the record sequence (a deleted snapshot, a deleted or cut journal), is
 * a `CacheDamage` entry with the minutes at risk when the cache shows them: the cut-off bytes, the
 * MANIFEST's summary of its snapshot, screenshots no recorded segment owns.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { creditedMinutes } from '../rules/segments.js';
import { decodeFrameAt, scanFrames } from './frame.js';
import { fsyncDir, renameDurable } from './fsutil.js';
import {
  applyRecord,
  emptyState,
  isJournalRecord,
  pendingAutoMinutes,
  type CacheState,
  type JournalRecord,
} from './state.js';

export const FORMAT_LINE = 'tracker-engine 1';
export const JOURNAL_RE = /^(\d{12})\.jrnl$/;
export const SNAP_RE = /^snap-(\d{12})\.json$/;
const QUARANTINED_JOURNAL_RE = /^(\d{12})\.jrnl\.corrupt-/;

export interface CacheLayout {
  root: string;
  formatFile: string;
  lockFile: string;
  journalDir: string;
  stateDir: string;
  manifestFile: string;
  blobsDir: string;
  blobsTmpDir: string;
  quarantineDir: string;
}

export function cacheLayout(cacheDir: string): CacheLayout {
  return {
    root: cacheDir,
    formatFile: path.join(cacheDir, 'FORMAT'),
    lockFile: path.join(cacheDir, 'LOCK'),
    journalDir: path.join(cacheDir, 'journal'),
    stateDir: path.join(cacheDir, 'state'),
    manifestFile: path.join(cacheDir, 'state', 'MANIFEST'),
    blobsDir: path.join(cacheDir, 'blobs', 'sha256'),
    blobsTmpDir: path.join(cacheDir, 'blobs', 'tmp'),
    quarantineDir: path.join(cacheDir, 'quarantine'),
  };
}

export interface Manifest {
  format: 1;
  snapshot: string;
  seq: number;
  journalFrom: number;
  crc: string;
  /** What the snapshot holds, so its loss can be measured: pending auto minutes and segments. */
  pendingMinutes?: number;
  pendingSegments?: number;
}

export interface SnapshotBody {
  format: 1;
  seq: number;
  journalFrom: number;
  state: CacheState;
}

export type DamageKind =
  | 'unreadable'
  | 'bad-format'
  | 'bad-manifest'
  | 'bad-snapshot'
  | 'bad-record'
  | 'torn-tail'
  | 'missing-records'
  | 'orphan-screenshots';

/** Something in the cache that could not be read or trusted, in words, with the minutes at risk. */
export interface CacheDamage {
  kind: DamageKind;
  /** Path relative to the cache folder. */
  file: string;
  detail: string;
  /** Tracked minutes that may be lost; null when the cache does not show how many. */
  minutesAtRisk: number | null;
  /** For a bad or cut-off record: where in the file, and what the codec found wrong. */
  offset?: number;
  why?: string;
}

export interface RecoveryReport {
  /** Torn final records cut off the last journal file. */
  repairs: { file: string; offset: number; bytesDropped: number; why: string }[];
  /** Files moved to quarantine/ by this recovery. */
  quarantinedNow: { file: string; to: string; why: string }[];
  /** Every file in quarantine/ (the store is degraded while any is there). */
  quarantined: string[];
  snapshot: string | null;
  journalFiles: string[];
  warnings: string[];
  /** Everything that could not be read or trusted; a torn tail included (its time was never confirmed). */
  damage: CacheDamage[];
}

export interface Loaded {
  state: CacheState;
  report: RecoveryReport;
  /** Index of the journal file to append to, and whether it must be created. */
  activeIndex: number;
  activeExists: boolean;
  journalFrom: number;
  /** The snapshot generation before the loaded one (its journal files are kept), if known. */
  previousJournalFrom: number | null;
}

type Read<T> = { ok: true; value: T } | { ok: false; why: string };

function why(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'EISDIR') return 'it is a folder, not a file';
  if (code === 'ENOTDIR') return 'it is a file, not a folder';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  return code ?? (e instanceof Error ? e.message : String(e));
}

async function readMaybe(file: string): Promise<Read<Buffer | undefined>> {
  try {
    return { ok: true, value: await fsp.readFile(file) };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { ok: true, value: undefined };
    return { ok: false, why: why(e) };
  }
}

async function listMaybe(dir: string): Promise<Read<string[]>> {
  try {
    return { ok: true, value: (await fsp.readdir(dir)).sort() };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { ok: true, value: [] };
    return { ok: false, why: why(e) };
  }
}

function stamp(t: number): string {
  return new Date(t)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

/** Minutes the bytes of a damaged or cut-off region claim (SEAL bodies carry trackedFrom/trackedTo). */
export function minutesClaimedIn(bytes: Buffer): number {
  let n = 0;
  const re = /"trackedFrom":(\d+),"trackedTo":(\d+)/g;
  for (const m of bytes.toString('latin1').matchAll(re)) {
    n += Math.max(0, Math.min(10, Math.round((Number(m[2]) - Number(m[1])) / 60_000)));
  }
  return n;
}

/** One recovery run: the report and the side effects allowed (or not) by `mutate`. */
class Recovery {
  readonly report: RecoveryReport = {
    repairs: [],
    quarantinedNow: [],
    quarantined: [],
    snapshot: null,
    journalFiles: [],
    warnings: [],
    damage: [],
  };
  state: CacheState = emptyState();
  journalFrom = 0;
  previousJournalFrom: number | null = null;
  manifest: Manifest | undefined;
  /** Seq of the last record applied or skipped, to find gaps. */
  private lastSeq = 0;
  /** A gap was already reported (one missing stretch is one finding). */
  gapKnown = false;

  constructor(
    readonly l: CacheLayout,
    readonly mutate: boolean,
    readonly now: number,
  ) {}

  rel(file: string): string {
    return path.relative(this.l.root, file) || path.basename(file);
  }

  damage(
    kind: DamageKind,
    file: string,
    detail: string,
    minutesAtRisk: number | null,
    at?: { offset: number; why: string },
  ): void {
    const rel = this.rel(file);
    // A folder met twice (listed by two steps of the recovery) is one damage, said once.
    if (this.report.damage.some((d) => d.kind === kind && d.file === rel && d.detail === detail && !at))
      return;
    this.report.damage.push({ kind, file: rel, detail, minutesAtRisk, ...at });
  }

  async quarantine(file: string, reason: string): Promise<void> {
    const to = path.join(this.l.quarantineDir, `${path.basename(file)}.corrupt-${stamp(this.now)}`);
    this.report.quarantinedNow.push({ file: path.basename(file), to: path.basename(to), why: reason });
    if (!this.mutate) return;
    await fsp.mkdir(this.l.quarantineDir, { recursive: true });
    await renameDurable(file, to);
    await fsyncDir(this.l.quarantineDir);
    await fsyncDir(path.dirname(file));
  }

  async list(dir: string): Promise<string[]> {
    const r = await listMaybe(dir);
    if (r.ok) return r.value;
    this.damage('unreadable', dir, `the folder cannot be listed (${r.why})`, null);
    return [];
  }

  async read(file: string): Promise<Buffer | undefined> {
    const r = await readMaybe(file);
    if (r.ok) return r.value;
    this.damage('unreadable', file, `the file cannot be read (${r.why})`, null);
    return undefined;
  }

  apply(recs: unknown[]): void {
    for (const r of recs) {
      if (!isJournalRecord(r)) continue;
      if (r.seq > this.lastSeq + 1 && r.seq > this.state.seq + 1 && !this.gapKnown)
        this.gap(this.lastSeq + 1, r.seq - 1);
      this.lastSeq = Math.max(this.lastSeq, r.seq);
      applyRecord(this.state, r as JournalRecord);
    }
  }

  /** Records between two that survived are gone: a deleted snapshot or journal file, or a cut one. */
  private gap(from: number, to: number): void {
    this.gapKnown = true;
    const m = this.manifest;
    const atRisk = m && m.seq >= from && this.report.snapshot === null ? (m.pendingMinutes ?? null) : null;
    this.damage(
      'missing-records',
      this.l.journalDir,
      `records ${from}${to > from ? `-${to}` : ''} of the cache's history are missing (a deleted or damaged snapshot or journal file)`,
      atRisk,
    );
  }

  // ---- snapshot

  async trySnapshot(name: string, crc?: string): Promise<SnapshotBody | undefined> {
    const file = path.join(this.l.stateDir, name);
    const buf = await this.read(file);
    if (!buf) return undefined;
    const r = decodeFrameAt<SnapshotBody>(buf, 0);
    const good =
      r.ok && r.end === buf.length && (crc === undefined || crc === buf.subarray(3, 11).toString('latin1'));
    if (good && isSnapshot(r.value)) return r.value;
    this.report.warnings.push(`snapshot ${name} is damaged`);
    const pending = this.manifest?.snapshot === name ? (this.manifest.pendingMinutes ?? null) : null;
    this.damage(
      'bad-snapshot',
      file,
      'the snapshot is damaged; an older generation is used if there is one',
      pending,
    );
    await this.quarantine(file, 'damaged snapshot');
    return undefined;
  }

  async loadManifest(): Promise<void> {
    const buf = await this.read(this.l.manifestFile);
    if (!buf) return;
    const m = decodeFrameAt<Manifest>(buf, 0);
    if (
      m.ok &&
      m.end === buf.length &&
      typeof m.value.snapshot === 'string' &&
      SNAP_RE.test(m.value.snapshot)
    ) {
      this.manifest = m.value;
      return;
    }
    this.report.warnings.push('MANIFEST is damaged');
    this.damage(
      'bad-manifest',
      this.l.manifestFile,
      'the MANIFEST naming the current snapshot is damaged',
      null,
    );
    await this.quarantine(this.l.manifestFile, 'damaged manifest');
  }

  /** The MANIFEST's snapshot, else the newest intact one; the generation before it is remembered. */
  async loadSnapshot(): Promise<void> {
    await this.loadManifest();
    const names = (await this.list(this.l.stateDir)).filter((n) => SNAP_RE.test(n)).reverse();
    const order = this.manifest
      ? [this.manifest.snapshot, ...names.filter((n) => n !== this.manifest!.snapshot)]
      : names;
    if (this.manifest && !names.includes(this.manifest.snapshot)) {
      this.damage(
        'bad-snapshot',
        path.join(this.l.stateDir, this.manifest.snapshot),
        'the snapshot the MANIFEST names is missing',
        this.manifest.pendingMinutes ?? null,
      );
    }
    for (const name of order) {
      if (!names.includes(name)) continue;
      const snap = await this.trySnapshot(
        name,
        name === this.manifest?.snapshot ? this.manifest.crc : undefined,
      );
      if (!snap) continue;
      if (this.report.snapshot === null) {
        this.report.snapshot = name;
        this.state = snap.state;
        this.journalFrom = snap.journalFrom;
        this.lastSeq = snap.seq;
      } else {
        this.previousJournalFrom = snap.journalFrom;
        break;
      }
    }
  }
}

function isSnapshot(v: unknown): v is SnapshotBody {
  const s = v as Partial<SnapshotBody>;
  return (
    typeof s === 'object' &&
    s !== null &&
    Number.isSafeInteger(s.seq) &&
    Number.isSafeInteger(s.journalFrom) &&
    typeof s.state === 'object' &&
    s.state !== null &&
    typeof s.state.segments === 'object'
  );
}

interface JournalFile {
  name: string;
  index: number;
  quarantined: boolean;
  file: string;
}

async function journalFiles(
  rc: Recovery,
): Promise<{ live: JournalFile[]; all: JournalFile[]; maxIndex: number }> {
  const pick = (names: string[], re: RegExp, dir: string, quarantined: boolean): JournalFile[] =>
    names.flatMap((n) => {
      const m = re.exec(n);
      return m ? [{ name: n, index: Number(m[1]), quarantined, file: path.join(dir, n) }] : [];
    });
  const live = pick(await rc.list(rc.l.journalDir), JOURNAL_RE, rc.l.journalDir, false);
  const q = pick(await rc.list(rc.l.quarantineDir), QUARANTINED_JOURNAL_RE, rc.l.quarantineDir, true);
  const all = [...live, ...q]
    .filter((f) => f.index >= rc.journalFrom)
    .sort((a, b) => a.index - b.index || (a.quarantined === b.quarantined ? 0 : a.quarantined ? -1 : 1));
  const maxIndex = Math.max(rc.journalFrom, ...live.map((f) => f.index), ...q.map((f) => f.index));
  return { live: live.filter((f) => f.index >= rc.journalFrom), all, maxIndex };
}

async function trimTail(file: string, at: number): Promise<void> {
  const fh = await fsp.open(file, 'r+');
  try {
    await fh.truncate(at);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Replay one journal file; returns true when it was moved to quarantine. */
async function replayFile(rc: Recovery, f: JournalFile, isLastLive: boolean): Promise<boolean> {
  const buf = await rc.read(f.file);
  if (!buf) return false;
  const scan = scanFrames<unknown>(buf);
  rc.apply(scan.records);
  if (f.quarantined || !scan.bad) {
    rc.apply(scan.after);
    if (!f.quarantined) rc.report.journalFiles.push(f.name);
    return false;
  }
  const badBytes = buf.subarray(scan.goodEnd);
  if (isLastLive && !scan.goodAfterBad) {
    // A torn final record: the write never completed, so it was never acknowledged. Cut it off,
    // and say so: damage that looks the same (a cut file) would otherwise pass unseen.
    rc.report.journalFiles.push(f.name);
    const r = {
      file: f.name,
      offset: scan.goodEnd,
      bytesDropped: buf.length - scan.goodEnd,
      why: scan.bad.why,
    };
    rc.report.repairs.push(r);
    const claimed = minutesClaimedIn(badBytes);
    rc.damage(
      'torn-tail',
      f.file,
      `the journal ends in a cut-off record (${r.bytesDropped} bytes, ${r.why}) at byte ${r.offset}: a crash during a write, or a cut file`,
      claimed,
      { offset: r.offset, why: r.why },
    );
    if (rc.mutate) await trimTail(f.file, scan.goodEnd);
    return false;
  }
  // Damage followed by good records, or in an older file: keep every valid record, move the file
  // aside for repair and refuse tracking (degraded).
  rc.apply(scan.after);
  const claimed = minutesClaimedIn(
    badBytes.subarray(0, Math.max(0, badBytes.indexOf('\nJ1 ', 1)) || badBytes.length),
  );
  const at = { offset: scan.bad.offset, why: scan.bad.why };
  rc.damage('bad-record', f.file, `a damaged record at byte ${at.offset} (${at.why})`, claimed, at);
  await rc.quarantine(f.file, `${scan.bad.why} at offset ${scan.bad.offset}`);
  return true;
}

async function checkFormat(rc: Recovery): Promise<void> {
  const buf = await rc.read(rc.l.formatFile);
  if (buf === undefined) return;
  const text = buf.toString('utf8').trim();
  if (text !== FORMAT_LINE)
    rc.damage(
      'bad-format',
      rc.l.formatFile,
      `the FORMAT file says "${text.slice(0, 40).replace(/[^\x20-\x7e]/g, '?')}", not "${FORMAT_LINE}"`,
      null,
    );
}

/** Screenshots that no recorded segment owns: their segments' records are missing (up to 10 min each). */
async function orphanScreenshots(rc: Recovery): Promise<void> {
  const owned = new Set(
    Object.values(rc.state.segments).flatMap((s) =>
      s.segment.screenshot ? [s.segment.screenshot.sha256] : [],
    ),
  );
  let orphans = 0;
  for (const sub of await rc.list(rc.l.blobsDir)) {
    const r = await listMaybe(path.join(rc.l.blobsDir, sub));
    if (!r.ok) continue;
    for (const n of r.value) if (/^[0-9a-f]{64}\.png$/.test(n) && !owned.has(n.slice(0, 64))) orphans++;
  }
  // One orphan is what a crash between a screenshot and its seal leaves; more means lost records.
  if (orphans > 1)
    rc.damage(
      'orphan-screenshots',
      rc.l.blobsDir,
      `${orphans} screenshots belong to no segment the cache records`,
      orphans * 10,
    );
}

/**
 * Read the cache as recovery would. With `mutate` false it only reads (what the doctor and tests
 * use to look without touching); with `mutate` true it trims a torn tail and quarantines damage.
 */
export async function loadCache(l: CacheLayout, opts: { mutate: boolean; now: number }): Promise<Loaded> {
  const rc = new Recovery(l, opts.mutate, opts.now);
  if (!opts.mutate) await checkFormat(rc);
  await rc.loadSnapshot();
  const { live, all, maxIndex: max0 } = await journalFiles(rc);
  const lastLive = live.at(-1);
  const first = all[0];
  if (rc.report.snapshot === null && first && first.index > 0) {
    // Journal files are numbered from 0 and only a snapshot lets older ones go.
    rc.damage(
      'missing-records',
      rc.l.stateDir,
      `the journal starts at file ${first.name} but no snapshot holds what came before it`,
      rc.manifest?.pendingMinutes ?? null,
    );
    rc.gapKnown = true;
  }
  let maxIndex = max0;
  let activeIndex = lastLive?.index ?? rc.journalFrom;
  let activeExists = lastLive !== undefined;
  for (const f of all) {
    const moved = await replayFile(rc, f, f === lastLive);
    if (moved && f === lastLive) {
      maxIndex = Math.max(maxIndex, f.index);
      activeIndex = maxIndex + 1;
      activeExists = false;
    }
  }
  if (!activeExists)
    activeIndex = Math.max(
      activeIndex,
      maxIndex + (all.some((q) => q.quarantined && q.index >= activeIndex) ? 1 : 0),
    );
  await orphanScreenshots(rc);
  settleSnapshotRisk(rc.report);
  rc.report.quarantined = (await rc.list(l.quarantineDir)).filter((n) => !n.startsWith('.'));
  if (!opts.mutate) {
    for (const q of rc.report.quarantinedNow)
      if (!rc.report.quarantined.includes(q.to)) rc.report.quarantined.push(q.to);
  }
  return {
    state: rc.state,
    report: rc.report,
    activeIndex,
    activeExists,
    journalFrom: rc.journalFrom,
    previousJournalFrom: rc.previousJournalFrom,
  };
}

/**
 * A bad or missing snapshot loses nothing when an older generation and the journal still cover
 * its records (no gap was found); only then is its risk known to be zero.
 */
function settleSnapshotRisk(report: RecoveryReport): void {
  if (report.damage.some((d) => d.kind === 'missing-records')) return;
  for (const d of report.damage) {
    if (d.kind !== 'bad-snapshot' && d.kind !== 'bad-manifest') continue;
    d.minutesAtRisk = 0;
    d.detail += '; every record it held is still in the journal and an older snapshot';
  }
}

/** Damage that makes the store refuse to write: anything but a torn tail it has just trimmed. */
export function blockingDamage(report: RecoveryReport): CacheDamage[] {
  return report.damage.filter(
    (d) => d.kind !== 'torn-tail' && d.kind !== 'orphan-screenshots' && d.minutesAtRisk !== 0,
  );
}

export { creditedMinutes, pendingAutoMinutes };
