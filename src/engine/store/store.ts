/**
 * The tracker's offline time cache: an append-only, checksummed journal under <data>/Upwork/Cache
 * with content-addressed screenshots, atomic snapshots and a recovery that trims only a torn final
 * record and quarantines (moves, never deletes) any other damaged file. This is the un-uploaded
 * time a freelancer gets paid for, so nothing is acknowledged before it is fsynced.
 */
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { Clock } from '../clock.js';
import { creditedMinutes, keyOf, localKey, validateSegment, type Segment } from '../rules/segments.js';
import { decodeFrameAt, encodeFrame, scanFrames } from './frame.js';
import { fsyncDir, renameDurable, writeFileAtomic, type DurableStep, type StepHook } from './fsutil.js';
import { acquireLock, type LockOptions } from './lock.js';
import {
  applyRecord,
  emptyState,
  isJournalRecord,
  pendingAutoMinutes,
  pendingOf,
  stateDigest,
  type CacheState,
  type ClockEventKind,
  type JournalRecord,
  type RecordInput,
} from './state.js';
import {
  StoreError,
  type AckReceipt,
  type Rejection,
  type SegmentRef,
  type Settlement,
  type Store,
  type StoreStats,
  type StoredSegment,
} from './types.js';

export const FORMAT_LINE = 'tracker-engine 1';
const JOURNAL_RE = /^(\d{12})\.jrnl$/;
const QUARANTINED_JOURNAL_RE = /^(\d{12})\.jrnl\.corrupt-/;
const SNAP_RE = /^snap-(\d{12})\.json$/;

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

export function blobPath(cacheDir: string, sha256: string): string {
  if (!/^[0-9a-f]{64}$/.test(sha256)) throw new StoreError('invalid', `not a sha256: ${sha256}`);
  return path.join(cacheLayout(cacheDir).blobsDir, sha256.slice(0, 2), `${sha256}.png`);
}

const fileName = (index: number): string => `${String(index).padStart(12, '0')}.jrnl`;

interface Manifest {
  format: 1;
  snapshot: string;
  seq: number;
  journalFrom: number;
  crc: string;
}

interface SnapshotBody {
  format: 1;
  seq: number;
  journalFrom: number;
  state: CacheState;
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
}

interface Loaded {
  state: CacheState;
  report: RecoveryReport;
  /** Index of the journal file to append to, and whether it must be created. */
  activeIndex: number;
  activeExists: boolean;
  journalFrom: number;
}

async function listDir(dir: string): Promise<string[]> {
  try {
    return (await fsp.readdir(dir)).sort();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
}

async function readIfExists(file: string): Promise<Buffer | undefined> {
  try {
    return await fsp.readFile(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

function stamp(t: number): string {
  return new Date(t)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

/**
 * Read the cache as recovery would. With `mutate` false it only reads (what the doctor and tests
 * use to look without touching); with `mutate` true it trims a torn tail and quarantines damage.
 */
async function loadCache(l: CacheLayout, opts: { mutate: boolean; now: number }): Promise<Loaded> {
  const report: RecoveryReport = {
    repairs: [],
    quarantinedNow: [],
    quarantined: [],
    snapshot: null,
    journalFiles: [],
    warnings: [],
  };
  const quarantine = async (file: string, why: string): Promise<void> => {
    const base = path.basename(file);
    const to = path.join(l.quarantineDir, `${base}.corrupt-${stamp(opts.now)}`);
    report.quarantinedNow.push({ file: base, to: path.basename(to), why });
    if (opts.mutate) {
      await fsp.mkdir(l.quarantineDir, { recursive: true });
      await renameDurable(file, to);
      await fsyncDir(l.quarantineDir);
      await fsyncDir(path.dirname(file));
    }
  };

  // 1. The newest trustworthy snapshot: the MANIFEST's, else the newest self-consistent snap file.
  let state = emptyState();
  let journalFrom = 0;
  const trySnapshot = async (name: string, crc?: string): Promise<SnapshotBody | undefined> => {
    const buf = await readIfExists(path.join(l.stateDir, name));
    if (!buf) return undefined;
    const r = decodeFrameAt<SnapshotBody>(buf, 0);
    if (
      !r.ok ||
      r.end !== buf.length ||
      (crc !== undefined && crc !== buf.subarray(3, 11).toString('latin1'))
    ) {
      report.warnings.push(`snapshot ${name} is damaged`);
      await quarantine(path.join(l.stateDir, name), 'damaged snapshot');
      return undefined;
    }
    return r.value;
  };
  let snap: SnapshotBody | undefined;
  const manifestBuf = await readIfExists(l.manifestFile);
  if (manifestBuf) {
    const m = decodeFrameAt<Manifest>(manifestBuf, 0);
    if (m.ok && m.end === manifestBuf.length && SNAP_RE.test(m.value.snapshot)) {
      snap = await trySnapshot(m.value.snapshot, m.value.crc);
      if (snap) report.snapshot = m.value.snapshot;
    } else {
      report.warnings.push('MANIFEST is damaged');
      await quarantine(l.manifestFile, 'damaged manifest');
    }
  }
  if (!snap) {
    const snaps = (await listDir(l.stateDir)).filter((n) => SNAP_RE.test(n)).reverse();
    for (const name of snaps) {
      snap = await trySnapshot(name);
      if (snap) {
        report.snapshot = name;
        break;
      }
    }
  }
  if (snap) {
    state = snap.state;
    journalFrom = snap.journalFrom;
  }

  // 2. Journal files from journalFrom on, with quarantined ones replayed read-only in index order.
  const journals = (await listDir(l.journalDir))
    .map((n) => ({ n, m: JOURNAL_RE.exec(n) }))
    .filter((x) => x.m)
    .map((x) => ({
      name: x.n,
      index: Number(x.m![1]),
      quarantined: false,
      file: path.join(l.journalDir, x.n),
    }));
  const quarantinedNames = await listDir(l.quarantineDir);
  const qJournals = quarantinedNames
    .map((n) => ({ n, m: QUARANTINED_JOURNAL_RE.exec(n) }))
    .filter((x) => x.m)
    .map((x) => ({
      name: x.n,
      index: Number(x.m![1]),
      quarantined: true,
      file: path.join(l.quarantineDir, x.n),
    }));
  const all = [...journals, ...qJournals]
    .filter((f) => f.index >= journalFrom)
    .sort((a, b) => a.index - b.index || (a.quarantined === b.quarantined ? 0 : a.quarantined ? -1 : 1));
  const lastLive = journals.filter((f) => f.index >= journalFrom).at(-1);
  let maxIndex = Math.max(journalFrom, ...journals.map((f) => f.index), ...qJournals.map((f) => f.index));
  let activeIndex = lastLive?.index ?? journalFrom;
  let activeExists = lastLive !== undefined;

  const apply = (recs: unknown[]): void => {
    for (const r of recs) if (isJournalRecord(r)) applyRecord(state, r as JournalRecord);
  };
  for (const f of all) {
    const buf = await fsp.readFile(f.file);
    const scan = scanFrames<unknown>(buf);
    if (f.quarantined || !scan.bad) {
      apply(scan.records);
      apply(scan.after);
      if (!f.quarantined) report.journalFiles.push(f.name);
      continue;
    }
    if (f === lastLive && !scan.goodAfterBad) {
      // A torn final record: the write never completed, so it was never acknowledged. Cut it off.
      apply(scan.records);
      report.journalFiles.push(f.name);
      report.repairs.push({
        file: f.name,
        offset: scan.goodEnd,
        bytesDropped: buf.length - scan.goodEnd,
        why: scan.bad.why,
      });
      if (opts.mutate) {
        const fh = await fsp.open(f.file, 'r+');
        try {
          await fh.truncate(scan.goodEnd);
          await fh.sync();
        } finally {
          await fh.close();
        }
      }
      continue;
    }
    // Damage followed by good records, or in an older file: never skip silently. Keep every valid
    // record, move the file aside for repair and refuse tracking (degraded).
    apply(scan.records);
    apply(scan.after);
    await quarantine(f.file, `${scan.bad.why} at offset ${scan.bad.offset}`);
    if (f === lastLive) {
      maxIndex = Math.max(maxIndex, f.index);
      activeIndex = maxIndex + 1;
      activeExists = false;
    }
  }
  if (!activeExists)
    activeIndex = Math.max(activeIndex, maxIndex + (qJournals.some((q) => q.index >= activeIndex) ? 1 : 0));
  report.quarantined = (await listDir(l.quarantineDir)).filter((n) => !n.startsWith('.'));
  if (!opts.mutate) {
    for (const q of report.quarantinedNow)
      if (!report.quarantined.includes(q.to)) report.quarantined.push(q.to);
  }
  return { state, report, activeIndex, activeExists, journalFrom };
}

export interface OpenStoreOptions {
  /** <data>/Upwork/Cache */
  cacheDir: string;
  capacityMinutes: number;
  clock: Clock;
  onStep?: StepHook;
  snapshotEveryRecords?: number;
  journalMaxBytes?: number;
  lock?: LockOptions;
}

export interface InspectResult {
  state: CacheState;
  report: RecoveryReport;
  digest: string;
  pendingMinutes: number;
  degraded: boolean;
}

/** Read a cache without changing a byte (no lock, no trim, no quarantine). */
export async function inspectCache(cacheDir: string, now = 0): Promise<InspectResult> {
  const l = cacheLayout(cacheDir);
  const loaded = await loadCache(l, { mutate: false, now });
  return {
    state: loaded.state,
    report: loaded.report,
    digest: stateDigest(loaded.state),
    pendingMinutes: pendingAutoMinutes(loaded.state),
    degraded: loaded.report.quarantined.length > 0,
  };
}

interface QueueItem {
  buf: Buffer;
  resolve: () => void;
  reject: (e: unknown) => void;
}

export class JournalStore implements Store {
  readonly cacheDir: string;
  readonly capacityMinutes: number;
  readonly layout: CacheLayout;
  private state: CacheState;
  private fh: FileHandle | null = null;
  private activeIndex: number;
  private activeSize = 0;
  private queue: QueueItem[] = [];
  private flushing: Promise<void> | null = null;
  private compacting: Promise<void> | null = null;
  private recordsSinceSnapshot = 0;
  private tmpSeq = 0;
  private broken: unknown = null;
  private closed = false;
  private readonly clock: Clock;
  private readonly onStep: StepHook | undefined;
  private readonly snapshotEvery: number;
  private readonly journalMaxBytes: number;
  private quarantinedFiles: string[];
  private releaseLock: (() => Promise<void>) | null = null;
  readonly recovery: RecoveryReport;

  private constructor(opts: OpenStoreOptions, loaded: Loaded) {
    this.cacheDir = opts.cacheDir;
    this.layout = cacheLayout(opts.cacheDir);
    this.capacityMinutes = opts.capacityMinutes;
    this.clock = opts.clock;
    this.onStep = opts.onStep;
    this.snapshotEvery = opts.snapshotEveryRecords ?? 500;
    this.journalMaxBytes = opts.journalMaxBytes ?? 4 * 1024 * 1024;
    this.state = loaded.state;
    this.activeIndex = loaded.activeIndex;
    this.recovery = loaded.report;
    this.quarantinedFiles = loaded.report.quarantined;
  }

  /** Open (creating if needed) and recover the cache. Only one process may hold it. */
  static async open(opts: OpenStoreOptions): Promise<JournalStore> {
    const l = cacheLayout(opts.cacheDir);
    for (const d of [l.root, l.journalDir, l.stateDir, l.blobsDir, l.blobsTmpDir, l.quarantineDir]) {
      await fsp.mkdir(d, { recursive: true });
    }
    const fmt = await readIfExists(l.formatFile);
    if (fmt === undefined) {
      await writeFileAtomic(l.formatFile, `${FORMAT_LINE}\n`);
    } else if (fmt.toString('utf8').trim() !== FORMAT_LINE) {
      throw new StoreError(
        'format',
        `${l.formatFile}: unsupported cache format "${fmt.toString('utf8').trim()}"`,
      );
    }
    const release = await acquireLock(l.lockFile, opts.clock.now(), opts.lock);
    try {
      // Staging leftovers are never referenced by a record (the record is written after the rename).
      for (const n of await listDir(l.blobsTmpDir))
        await fsp.rm(path.join(l.blobsTmpDir, n), { force: true });
      for (const n of await listDir(l.stateDir)) {
        if (n.endsWith('.tmp')) await fsp.rm(path.join(l.stateDir, n), { force: true });
      }
      const loaded = await loadCache(l, { mutate: true, now: opts.clock.now() });
      const store = new JournalStore(opts, loaded);
      store.releaseLock = release;
      await store.openActive(loaded.activeExists);
      if (loaded.report.repairs.length > 0) {
        store.step('recovery.afterTrim');
        await store.append(
          loaded.report.repairs.map((r) => ({
            t: 'REPAIR',
            file: r.file,
            offset: r.offset,
            bytesDropped: r.bytesDropped,
            why: r.why,
          })),
        );
      }
      return store;
    } catch (e) {
      await release();
      throw e;
    }
  }

  private step(s: DurableStep): void {
    this.onStep?.(s);
  }

  private async openActive(exists: boolean): Promise<void> {
    const file = path.join(this.layout.journalDir, fileName(this.activeIndex));
    this.fh = await fsp.open(file, 'a');
    this.activeSize = (await this.fh.stat()).size;
    if (!exists) {
      await fsyncDir(this.layout.journalDir);
      this.step('journal.rotate.afterCreate');
    }
  }

  get degraded(): boolean {
    return this.quarantinedFiles.length > 0;
  }

  private ensureUsable(): void {
    if (this.closed) throw new StoreError('closed', 'The time cache is closed.');
    if (this.broken)
      throw new StoreError('invalid', `The time cache failed to write: ${String(this.broken)}`);
  }

  /** Apply records now and resolve once they are on disk (group commit: one write, one fdatasync). */
  private append(inputs: RecordInput[]): Promise<void> {
    this.ensureUsable();
    if (inputs.length === 0) return Promise.resolve();
    const at = this.clock.now();
    const frames: Buffer[] = [];
    for (const input of inputs) {
      const rec = { ...input, seq: this.state.seq + 1, at } as JournalRecord;
      applyRecord(this.state, rec);
      frames.push(encodeFrame(rec));
    }
    this.recordsSinceSnapshot += inputs.length;
    const buf = Buffer.concat(frames);
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ buf, resolve, reject });
      this.kick();
    });
  }

  private kick(): void {
    if (this.flushing || this.compacting || this.queue.length === 0) return;
    this.flushing = this.flushLoop().finally(() => {
      this.flushing = null;
      this.afterFlush();
    });
  }

  private async flushLoop(): Promise<void> {
    while (this.queue.length > 0 && !this.compacting) {
      const batch = this.queue.splice(0);
      const buf = Buffer.concat(batch.map((b) => b.buf));
      try {
        this.step('journal.beforeWrite');
        let off = 0;
        while (off < buf.length) {
          const { bytesWritten } = await this.fh!.write(buf, off, buf.length - off);
          off += bytesWritten;
        }
        this.step('journal.afterWriteBeforeFsync');
        await this.fh!.datasync();
        this.step('journal.afterFsync');
        this.activeSize += buf.length;
        for (const b of batch) b.resolve();
      } catch (e) {
        this.broken = e;
        for (const b of batch) b.reject(e);
        for (const b of this.queue.splice(0)) b.reject(e);
      }
    }
  }

  private afterFlush(): void {
    if (this.broken || this.closed) return;
    if (this.recordsSinceSnapshot >= this.snapshotEvery || this.activeSize >= this.journalMaxBytes) {
      void this.compact().catch((e: unknown) => {
        this.broken = e;
      });
    } else {
      this.kick();
    }
  }

  /** Wait until every queued record is on disk and no compaction runs. */
  async flush(): Promise<void> {
    for (;;) {
      if (this.compacting) await this.compacting;
      else if (this.flushing) await this.flushing;
      else if (this.queue.length > 0) this.kick();
      else return;
    }
  }

  /**
   * Snapshot the state, start a new journal file and delete the files the snapshot covers. Taken
   * only when every applied record is on disk, so the snapshot never holds an unacknowledged one.
   */
  async compact(): Promise<void> {
    this.ensureUsable();
    while (this.flushing || this.compacting) await (this.compacting ?? this.flushing);
    if (this.queue.length > 0) {
      this.kick();
      return this.compact();
    }
    let done!: () => void;
    this.compacting = new Promise<void>((r) => (done = r));
    try {
      const body: SnapshotBody = {
        format: 1,
        seq: this.state.seq,
        journalFrom: this.activeIndex + 1,
        state: structuredClone(this.state),
      };
      this.recordsSinceSnapshot = 0;
      await this.fh!.close();
      this.activeIndex += 1;
      await this.openActive(false);
      const snapName = `snap-${String(body.seq).padStart(12, '0')}.json`;
      const snapBytes = encodeFrame(body);
      await writeFileAtomic(path.join(this.layout.stateDir, snapName), snapBytes, {
        afterTmpFsync: () => this.step('snapshot.afterTmpFsync'),
        afterRename: () => this.step('snapshot.afterRename'),
      });
      const manifest: Manifest = {
        format: 1,
        snapshot: snapName,
        seq: body.seq,
        journalFrom: body.journalFrom,
        crc: snapBytes.subarray(3, 11).toString('latin1'),
      };
      await writeFileAtomic(this.layout.manifestFile, encodeFrame(manifest), {
        afterRename: () => this.step('manifest.afterRename'),
      });
      this.step('compaction.afterManifestBeforeDelete');
      for (const n of await listDir(this.layout.journalDir)) {
        const m = JOURNAL_RE.exec(n);
        if (m && Number(m[1]) < body.journalFrom)
          await fsp.rm(path.join(this.layout.journalDir, n), { force: true });
      }
      for (const n of await listDir(this.layout.stateDir)) {
        if (SNAP_RE.test(n) && n !== snapName)
          await fsp.rm(path.join(this.layout.stateDir, n), { force: true });
      }
      await fsyncDir(this.layout.journalDir);
    } finally {
      this.compacting = null;
      done();
      this.kick();
    }
  }

  // ------------------------------------------------------------------ blobs

  /** Store a screenshot by content: tmp → fsync → rename → dir fsync. Returns its sha256. */
  async putBlob(bytes: Uint8Array): Promise<string> {
    this.ensureUsable();
    const sha = createHash('sha256').update(bytes).digest('hex');
    const final = blobPath(this.cacheDir, sha);
    if (await this.hasBlob(sha)) return sha;
    const tmp = path.join(this.layout.blobsTmpDir, `${sha}.${process.pid}.${++this.tmpSeq}.tmp`);
    const fh = await fsp.open(tmp, 'w');
    try {
      await fh.writeFile(bytes);
      await fh.sync();
    } finally {
      await fh.close();
    }
    this.step('blob.afterTmpWrite');
    const dir = path.dirname(final);
    await fsp.mkdir(dir, { recursive: true });
    await renameDurable(tmp, final);
    this.step('blob.afterRename');
    await fsyncDir(dir);
    return sha;
  }

  async hasBlob(sha256: string): Promise<boolean> {
    try {
      await fsp.access(blobPath(this.cacheDir, sha256));
      return true;
    } catch {
      return false;
    }
  }

  async readBlob(sha256: string): Promise<Buffer> {
    try {
      const buf = await fsp.readFile(blobPath(this.cacheDir, sha256));
      if (createHash('sha256').update(buf).digest('hex') !== sha256) {
        throw new StoreError('invalid', `screenshot ${sha256} does not match its hash`);
      }
      return buf;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT')
        throw new StoreError('not-found', `no screenshot ${sha256}`);
      throw e;
    }
  }

  // ------------------------------------------------------------------ tracker side

  /**
   * Seal segments into the cache: screenshots first (a record never references a missing blob),
   * then one SEAL record each, one fsync. Resolves only when they are durable.
   */
  async sealMany(items: readonly { segment: Segment; png: Uint8Array | null }[]): Promise<void> {
    this.ensureUsable();
    if (this.degraded)
      throw new StoreError('degraded', 'The time cache is degraded (a damaged file was quarantined).');
    let minutes = this.pendingMinutes();
    const keys = new Set<string>();
    for (const { segment, png } of items) {
      const problems = validateSegment(segment);
      if (problems.length > 0)
        throw new StoreError('invalid', `segment ${keyOf(segment)}: ${problems.join('; ')}`);
      const key = keyOf(segment);
      if (this.state.segments[key] || keys.has(key)) {
        throw new StoreError('duplicate-slot', `segment ${key} is already in the cache`);
      }
      keys.add(key);
      if (segment.kind === 'auto') minutes += creditedMinutes(segment);
      if (minutes > this.capacityMinutes) {
        throw new StoreError('cache-full', `the time cache is full (${this.capacityMinutes} minutes)`);
      }
      if (segment.screenshot && png) {
        const sha = createHash('sha256').update(png).digest('hex');
        if (sha !== segment.screenshot.sha256)
          throw new StoreError('invalid', `segment ${key}: screenshot hash mismatch`);
      }
    }
    // Blobs in parallel (their fsyncs overlap); every one is durable before any SEAL is written.
    await Promise.all(
      items.map(async ({ segment, png }) => {
        if (!segment.screenshot) return;
        if (png) await this.putBlob(png);
        else if (!(await this.hasBlob(segment.screenshot.sha256))) {
          throw new StoreError('invalid', `segment ${keyOf(segment)}: screenshot blob missing`);
        }
      }),
    );
    await this.append(items.map(({ segment }) => ({ t: 'SEAL', seg: segment })));
  }

  seal(segment: Segment, png: Uint8Array | null): Promise<void> {
    return this.sealMany([{ segment, png }]);
  }

  /** Delete a segment (deleting its screenshot deletes its time and activity). */
  async deleteSegment(ref: SegmentRef, reason: string): Promise<StoredSegment> {
    const key = localKey(ref.contractId, ref.slot);
    const s = this.state.segments[key];
    if (!s) throw new StoreError('not-found', `no segment ${key}`);
    await this.append([{ t: 'DELETE', key, reason }]);
    return this.state.segments[key]!;
  }

  async recordSessionStart(contractId: string, memo: string, activity: string | null): Promise<void> {
    await this.append([{ t: 'SESSION_START', contractId, memo, activity }]);
  }

  async recordSessionStop(contractId: string, reason: string): Promise<void> {
    await this.append([{ t: 'SESSION_STOP', contractId, reason }]);
  }

  async recordClockEvent(e: {
    kind: ClockEventKind;
    contractId: string;
    wallDeltaMs: number;
    monoDeltaMs: number;
  }): Promise<void> {
    await this.append([{ t: 'CLOCK_EVENT', ...e }]);
  }

  // ------------------------------------------------------------------ uploader side

  async settle(items: readonly Settlement[]): Promise<void> {
    const recs: RecordInput[] = [];
    for (const it of items) {
      const key = localKey(it.contractId, it.slot);
      if (!this.state.segments[key]) throw new StoreError('not-found', `no segment ${key}`);
      recs.push(
        it.outcome === 'ack'
          ? { t: 'ACK', key, receipt: it.receipt }
          : { t: 'REJECT', key, rejection: it.rejection },
      );
    }
    await this.append(recs);
  }

  ack(ref: SegmentRef, receipt: AckReceipt): Promise<void> {
    return this.settle([{ outcome: 'ack', receipt, ...ref }]);
  }

  reject(ref: SegmentRef, rejection: Rejection): Promise<void> {
    return this.settle([{ outcome: 'reject', rejection, ...ref }]);
  }

  async ackRemoteDelete(ref: SegmentRef): Promise<void> {
    await this.append([{ t: 'REMOTE_DELETE_ACK', key: localKey(ref.contractId, ref.slot) }]);
  }

  // ------------------------------------------------------------------ reads

  pendingSegments(): Segment[] {
    return pendingOf(this.state).map((s) => s.segment);
  }

  pendingMinutes(): number {
    return pendingAutoMinutes(this.state);
  }

  get(ref: SegmentRef): StoredSegment | undefined {
    return this.state.segments[localKey(ref.contractId, ref.slot)];
  }

  all(): StoredSegment[] {
    return Object.values(this.state.segments).sort((a, b) => a.segment.slot - b.segment.slot);
  }

  rejected(): StoredSegment[] {
    return this.all().filter((s) => s.state === 'rejected');
  }

  pendingRemoteDeletes(): Segment[] {
    return this.all()
      .filter((s) => s.state === 'deleted' && s.remoteDeletePending)
      .map((s) => s.segment);
  }

  lastSession(): CacheState['lastSession'] {
    return this.state.lastSession;
  }

  digest(): string {
    return stateDigest(this.state);
  }

  stats(): StoreStats {
    const all = Object.values(this.state.segments);
    const pending = pendingOf(this.state);
    return {
      pendingSegments: pending.length,
      pendingMinutes: this.pendingMinutes(),
      pendingManualMinutes: pending
        .filter((s) => s.segment.kind === 'manual')
        .reduce((n, s) => n + creditedMinutes(s.segment), 0),
      capacityMinutes: this.capacityMinutes,
      ackedSegments: all.filter((s) => s.state === 'acked').length,
      rejectedSegments: all.filter((s) => s.state === 'rejected').length,
      deletedSegments: all.filter((s) => s.state === 'deleted').length,
      oldestPendingSlot: pending[0]?.segment.slot ?? null,
      newestPendingSlot: pending.at(-1)?.segment.slot ?? null,
      degraded: this.degraded,
      quarantined: [...this.quarantinedFiles],
      repairs: this.state.repairs,
      seq: this.state.seq,
    };
  }

  /** Flush, close the journal and release the LOCK. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.flush().catch(() => undefined);
    this.closed = true;
    await this.fh?.close().catch(() => undefined);
    this.fh = null;
    await this.releaseLock?.();
  }
}

export function openStore(opts: OpenStoreOptions): Promise<JournalStore> {
  return JournalStore.open(opts);
}
