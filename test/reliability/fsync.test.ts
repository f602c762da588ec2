/**
 * fsync that tests can see. SIGKILL keeps the page cache, so the kill -9 tests would pass with
 * every fsync removed; these tests watch the store's fsync seam (`DurableIo`) instead:
 * - a counting shim proves each durable step syncs, and in the right order (screenshot file and
 *   its folder before the SEAL record's fsync; the SEAL's fsync before `seal()` resolves; snapshot
 *   and MANIFEST files and folders synced before old journal files are deleted);
 * - a failing shim proves a failed fsync is never acknowledged: `seal()` rejects and the store
 *   refuses every later write, and a reopened store holds nothing unacknowledged as pending.
 * What it does not prove: that the OS or the disk honour fsync (a power cut is not simulated).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock, openStore } from '../../src/engine/index.js';
import { realIo, type DurableIo } from '../../src/engine/store/fsutil.js';
import { testSegment } from '../helpers/segments.js';

const T0 = Date.UTC(2025, 0, 6, 9);
const SLOT0 = T0 / 600_000;
let root: string;
let cache: string;
beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'uwd-fsync-'));
  cache = path.join(root, 'Cache');
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const seg = (i: number) => testSegment(SLOT0, i, { minute: () => [1, 0, 0], shotAfterMs: 1, memo: 'm' });

/** Records every sync as "file:<name>", "data:<name>" or "dir:<relative folder>", then really syncs. */
function counting(log: string[]): DurableIo {
  const rel = (p: string) => path.relative(cache, p) || '.';
  return {
    async syncFile(fh, file, dataOnly) {
      log.push(`${dataOnly ? 'data' : 'file'}:${path.basename(file).replace(/\.\d+\.\d+\.tmp$/, '.tmp')}`);
      await realIo.syncFile(fh, file, dataOnly);
    },
    async syncDir(dir) {
      log.push(`dir:${rel(dir)}`);
      await realIo.syncDir(dir);
    },
  };
}

describe('the store fsyncs every durable step', () => {
  it('a seal: screenshot file, its folder, then the journal, all before seal() resolves', async () => {
    const log: string[] = [];
    const store = await openStore({
      cacheDir: cache,
      capacityMinutes: 1440,
      clock: new FakeClock(T0),
      io: counting(log),
    });
    log.length = 0;
    const { segment, png } = await seg(0);
    await store.seal(segment, png);
    const blob = log.findIndex((l) => l.startsWith('file:') && l.includes(segment.screenshot!.sha256));
    const blobDir = log.findIndex((l) => l === `dir:blobs/sha256/${segment.screenshot!.sha256.slice(0, 2)}`);
    const journal = log.findIndex((l) => l === 'data:000000000000.jrnl');
    expect(blob).toBeGreaterThanOrEqual(0);
    expect(blobDir).toBeGreaterThan(blob);
    expect(journal).toBeGreaterThan(blobDir);
    // Acknowledgements (ack/reject/delete) are fsynced too, one datasync per group commit.
    log.length = 0;
    await store.ack(segment, { receiptId: 'r', result: 'accepted', serverTime: T0 });
    expect(log).toEqual(['data:000000000000.jrnl']);
    await store.close();
  });

  it('a compaction: new journal folder, snapshot and MANIFEST (file and folder) before old files go', async () => {
    const log: string[] = [];
    const store = await openStore({
      cacheDir: cache,
      capacityMinutes: 1440,
      clock: new FakeClock(T0),
      io: counting(log),
    });
    for (let i = 0; i < 3; i++) await store.seal((await seg(i)).segment, (await seg(i)).png);
    log.length = 0;
    await store.compact();
    expect(log).toEqual([
      'dir:journal',
      'file:.snap-000000000001.json.tmp',
      'dir:state',
      'file:.MANIFEST.tmp',
      'dir:state',
      'dir:journal',
    ]);
    await store.close();
  });

  it('a failed fsync is never acknowledged, and the store stops writing', async () => {
    let fail = false;
    const io: DurableIo = {
      syncFile: async (fh, file, dataOnly) => {
        if (fail && dataOnly) throw Object.assign(new Error('EIO: fsync failed'), { code: 'EIO' });
        await realIo.syncFile(fh, file, dataOnly);
      },
      syncDir: realIo.syncDir,
    };
    const store = await openStore({ cacheDir: cache, capacityMinutes: 1440, clock: new FakeClock(T0), io });
    await store.seal((await seg(0)).segment, (await seg(0)).png);
    fail = true;
    await expect(store.seal((await seg(1)).segment, (await seg(1)).png)).rejects.toThrow(/EIO/);
    fail = false;
    await expect(store.seal((await seg(2)).segment, (await seg(2)).png)).rejects.toThrow(/failed to write/);
    await store.close();
    // Removing the fsync makes the first expectation fail: nothing else tells a caller the write is not durable.
    const again = await openStore({ cacheDir: cache, capacityMinutes: 1440, clock: new FakeClock(T0) });
    expect(again.all().map((s) => s.segment.slot - SLOT0)).toContain(0);
    await again.close();
  });
});
