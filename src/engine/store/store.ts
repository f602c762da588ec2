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
import { encodeFrame } from './frame.js';
import {
  realIo,
  renameDurable,
  writeFileAtomic,
  type DurableIo,
  type DurableStep,
  type StepHook,
} from './fsutil.js';
import { acquireLock, type LockOptions } from './lock.js';
import {
  blockingDamage,
  cacheLayout,
  FORMAT_LINE,
  JOURNAL_RE,
  loadCache,
  SNAP_RE,
  type CacheLayout,
  type Loaded,
  type Manifest,
  type RecoveryReport,
  type SnapshotBody,
} from './recover.js';
import {
  applyRecord,
  pendingAutoMinutes,
  pendingOf,
  stateDigest,
  type CacheState,
  type ClockEventKind,
  type JournalRecord,
  type RecordInput,
} from './state.js';

export {
  cacheLayout,
  FORMAT_LINE,
  type CacheDamage,
  type CacheLayout,
  type RecoveryReport,
} from './recover.js';
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

export function blobPath(cacheDir: string, sha256: string): string {
  if (!/^[0-9a-f]{64}$/.test(sha256)) throw new StoreError('invalid', `not a sha256: ${sha256}`);
  return path.join(cacheLayout(cacheDir).blobsDir, sha256.slice(0, 2), `${sha256}.png`);
}

const fileName = (index: number): string => `${String(index).padStart(12, '0')}.jrnl`;

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

/** Snapshot generations kept: one damaged or deleted snapshot file must not lose time. */
const SNAPSHOT_GENERATIONS = 2;

export interface OpenStoreOptions {
  /** <data>/Upwork/Cache */
  cacheDir: string;
  capacityMinutes: number;
  clock: Clock;
  onStep?: StepHook;
  snapshotEveryRecords?: number;
  journalMaxBytes?: number;
  lock?: LockOptions;
  /** The fsync seam (tests count or fail syncs through it). */
  io?: DurableIo;
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
  private readonly io: DurableIo;
  private readonly snapshotEvery: number;
  private readonly journalMaxBytes: number;
  private quarantinedFiles: string[];
  /** Damage recovery could not repair (missing records, unreadable files): writing is refused. */
  private readonly blocking: string[];
  /** First journal file the current snapshot needs; files from here on are kept by the next compaction. */
  private journalFrom: number;
  private releaseLock: (() => Promise<void>) | null = null;
  readonly recovery: RecoveryReport;

  private constructor(opts: OpenStoreOptions, loaded: Loaded) {
    this.cacheDir = opts.cacheDir;
    this.layout = cacheLayout(opts.cacheDir);
    this.capacityMinutes = opts.capacityMinutes;
    this.clock = opts.clock;
    this.onStep = opts.onStep;
    this.io = opts.io ?? realIo;
    this.snapshotEvery = opts.snapshotEveryRecords ?? 500;
    this.journalMaxBytes = opts.journalMaxBytes ?? 4 * 1024 * 1024;
    this.state = loaded.state;
    this.activeIndex = loaded.activeIndex;
    this.recovery = loaded.report;
    this.quarantinedFiles = loaded.report.quarantined;
    this.blocking = blockingDamage(loaded.report).map((d) => `${d.file}: ${d.detail}`);
    this.journalFrom = loaded.journalFrom;
  }

  /** Open (creating if needed) and recover the cache. Only one process may hold it. */
  static async open(opts: OpenStoreOptions): Promise<JournalStore> {
    const l = cacheLayout(opts.cacheDir);
    for (const d of [l.root, l.journalDir, l.stateDir, l.blobsDir, l.blobsTmpDir, l.quarantineDir]) {
      await fsp.mkdir(d, { recursive: true });
    }
    const fmt = await readIfExists(l.formatFile);
    if (fmt === undefined) {
      await writeFileAtomic(l.formatFile, `${FORMAT_LINE}\n`, { io: opts.io ?? realIo });
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
      const unreadable = loaded.report.damage.filter((d) => d.kind === 'unreadable');
      if (unreadable.length > 0)
        throw new StoreError(
          'unreadable',
          `The time cache cannot be read: ${unreadable.map((d) => `${d.file} (${d.detail})`).join('; ')}. Nothing was changed.`,
        );
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
      await this.io.syncDir(this.layout.journalDir);
      this.step('journal.rotate.afterCreate');
    }
  }

  /** A damaged file was quarantined, or records are missing: tracking is refused until repaired. */
  get degraded(): boolean {
    return this.quarantinedFiles.length > 0 || this.blocking.length > 0;
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
        await this.io.syncFile(this.fh!, fileName(this.activeIndex), true);
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
    // A degraded cache is never compacted: compaction deletes the files that still show the damage.
    if (
      (!this.degraded && this.recordsSinceSnapshot >= this.snapshotEvery) ||
      this.activeSize >= this.journalMaxBytes
    ) {
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
      // Named by the journal file it starts from: unique per compaction, and in order.
      const snapName = `snap-${String(body.journalFrom).padStart(12, '0')}.json`;
      const snapBytes = encodeFrame(body);
      await writeFileAtomic(path.join(this.layout.stateDir, snapName), snapBytes, {
        afterTmpFsync: () => this.step('snapshot.afterTmpFsync'),
        afterRename: () => this.step('snapshot.afterRename'),
        io: this.io,
      });
      const manifest: Manifest = {
        format: 1,
        snapshot: snapName,
        seq: body.seq,
        journalFrom: body.journalFrom,
        crc: snapBytes.subarray(3, 11).toString('latin1'),
        pendingMinutes: pendingAutoMinutes(body.state),
        pendingSegments: pendingOf(body.state).length,
      };
      await writeFileAtomic(this.layout.manifestFile, encodeFrame(manifest), {
        afterRename: () => this.step('manifest.afterRename'),
        io: this.io,
      });
      this.step('compaction.afterManifestBeforeDelete');
      await this.dropOldGenerations(this.journalFrom);
      this.journalFrom = body.journalFrom;
    } finally {
      this.compacting = null;
      done();
      this.kick();
    }
  }

  /**
   * Keep the previous snapshot and every journal file from its start, so a damaged or deleted
   * newest snapshot still recovers everything; older generations go.
   */
  private async dropOldGenerations(previousJournalFrom: number): Promise<void> {
    for (const n of await listDir(this.layout.journalDir)) {
      const m = JOURNAL_RE.exec(n);
      if (m && Number(m[1]) < previousJournalFrom)
        await fsp.rm(path.join(this.layout.journalDir, n), { force: true });
    }
    const snaps = (await listDir(this.layout.stateDir)).filter((n) => SNAP_RE.test(n));
    for (const n of snaps.slice(0, Math.max(0, snaps.length - SNAPSHOT_GENERATIONS)))
      await fsp.rm(path.join(this.layout.stateDir, n), { force: true });
    await this.io.syncDir(this.layout.journalDir);
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
      await this.io.syncFile(fh, tmp, false);
    } finally {
      await fh.close();
    }
    this.step('blob.afterTmpWrite');
    const dir = path.dirname(final);
    await fsp.mkdir(dir, { recursive: true });
    await renameDurable(tmp, final);
    this.step('blob.afterRename');
    await this.io.syncDir(dir);
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
      throw new StoreError(
        'degraded',
        `The time cache is damaged (${[...this.blocking, ...this.quarantinedFiles.map((q) => `quarantine/${q}`)].join('; ')}): tracking is refused until it is repaired.`,
      );
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
