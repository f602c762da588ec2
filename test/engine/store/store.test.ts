import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  FakeClock,
  decodeFrameAt,
  encodeFrame,
  inspectCache,
  openStore,
  scanFrames,
  type JournalStore,
} from '../../../src/engine/index.js';
import { testSegment } from '../../helpers/segments.js';

const T0 = Date.UTC(2025, 0, 6, 9);
const SLOT0 = T0 / 600_000;
let root: string;
let cache: string;
const open: JournalStore[] = [];

beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'uwd-store-'));
  cache = path.join(root, 'Cache');
});
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
  await rm(root, { recursive: true, force: true });
});

async function openIt(capacityMinutes = 1440, extra: { snapshotEveryRecords?: number } = {}) {
  const s = await openStore({ cacheDir: cache, capacityMinutes, clock: new FakeClock(T0), ...extra });
  open.push(s);
  return s;
}

async function close(s: JournalStore) {
  await s.close();
  open.splice(open.indexOf(s), 1);
}

const seg = (i: number, contractId = 'c-1') =>
  testSegment(SLOT0, i, { contractId, minute: (m) => [m % 3, 1, 0] });

async function journalFiles() {
  return (await readdir(path.join(cache, 'journal'))).sort();
}

describe('framing', () => {
  it('round-trips and rejects truncation or a flipped byte', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.nat(), (value, cut) => {
        const f = encodeFrame(value);
        const r = decodeFrameAt(f, 0);
        expect(r.ok).toBe(true);
        const short = f.subarray(0, cut % f.length);
        expect(decodeFrameAt(short, 0).ok).toBe(false);
      }),
    );
    const f = Buffer.from(encodeFrame({ a: 1, b: 'hello' }));
    f[f.length - 4]! ^= 0x01;
    expect(decodeFrameAt(f, 0)).toMatchObject({ ok: false, why: 'crc mismatch' });
    expect(f.toString('latin1').startsWith('J1 ')).toBe(true);
  });
});

describe('journal store', () => {
  it('seals, reads blobs, acks oldest-first and survives reopen', async () => {
    const s = await openIt();
    const items = await Promise.all([2, 0, 1].map((i) => seg(i)));
    await s.sealMany(items);
    expect(s.pendingSegments().map((x) => x.slot)).toEqual([SLOT0, SLOT0 + 1, SLOT0 + 2]);
    expect(s.pendingMinutes()).toBe(30);
    const first = s.pendingSegments()[0]!;
    expect(await s.readBlob(first.screenshot!.sha256)).toEqual(items[1]!.png);
    await s.ack(first, { receiptId: 'r', result: 'accepted', serverTime: T0 });
    await s.reject(s.pendingSegments()[0]!, { code: 'WEEK_LOCKED', serverTime: T0 });
    const digest = s.digest();
    await close(s);
    const again = await openIt();
    expect(again.digest()).toBe(digest);
    expect(again.pendingSegments()).toHaveLength(1);
    expect(again.rejected().map((r) => r.rejection?.code)).toEqual(['WEEK_LOCKED']);
    await expect(again.seal((await seg(2)).segment, null)).rejects.toMatchObject({ code: 'duplicate-slot' });
  });

  it('never exceeds capacity; frees room only when the server acknowledges', async () => {
    const s = await openIt(30);
    await s.sealMany([await seg(0), await seg(1), await seg(2)]);
    await expect(s.seal((await seg(3)).segment, (await seg(3)).png)).rejects.toMatchObject({
      code: 'cache-full',
    });
    expect(s.pendingMinutes()).toBe(30);
    await s.ack(s.pendingSegments()[0]!, { receiptId: 'r', result: 'accepted', serverTime: T0 });
    const four = await seg(3);
    await s.seal(four.segment, four.png);
    expect(s.pendingMinutes()).toBe(30);
  });

  it('takes one LOCK: a second open fails while the first holds it, a stale LOCK is taken over', async () => {
    await openIt();
    await expect(
      openStore({ cacheDir: cache, capacityMinutes: 10, clock: new FakeClock(T0) }),
    ).rejects.toMatchObject({ code: 'locked' });
    await close(open[0]!);
    await writeFile(
      path.join(cache, 'LOCK'),
      JSON.stringify({ pid: 2 ** 22 + 12345, startedAt: 0, host: os.hostname() }),
    );
    await openIt();
  });

  it('trims only a torn final record, journals REPAIR, and recovers the same way twice', async () => {
    const s = await openIt();
    await s.sealMany([await seg(0), await seg(1)]);
    await close(s);
    const [file] = await journalFiles();
    const p = path.join(cache, 'journal', file!);
    await writeFile(p, Buffer.concat([await readFile(p), Buffer.from('J1 12345678 300 {"t":"SEAL"')]));
    const r1 = await openIt();
    expect(r1.recovery.repairs).toHaveLength(1);
    expect(r1.stats()).toMatchObject({ repairs: 1, pendingSegments: 2, degraded: false });
    const d1 = r1.digest();
    await close(r1);
    const r2 = await openIt();
    expect(r2.recovery.repairs).toHaveLength(0);
    expect(r2.digest()).toBe(d1);
  });

  it('quarantines (never deletes) a file with damage followed by good records and refuses tracking', async () => {
    const s = await openIt();
    await s.sealMany([await seg(0)]);
    await s.sealMany([await seg(1)]);
    await s.sealMany([await seg(2)]);
    await close(s);
    const [file] = await journalFiles();
    const p = path.join(cache, 'journal', file!);
    const buf = await readFile(p);
    const second = buf.indexOf('\nJ1 ') + 1;
    buf[second + 40]! ^= 0x20;
    await writeFile(p, buf);
    const view = await inspectCache(cache, T0);
    expect(await readFile(p)).toEqual(buf);
    expect(view.degraded).toBe(true);
    const r1 = await openIt();
    expect(r1.degraded).toBe(true);
    expect(r1.recovery.quarantinedNow).toHaveLength(1);
    const q = await readdir(path.join(cache, 'quarantine'));
    expect(q).toHaveLength(1);
    expect(await readFile(path.join(cache, 'quarantine', q[0]!))).toEqual(buf);
    // The good records on both sides of the damage are still there (nothing silently dropped).
    expect(r1.pendingSegments().map((x) => x.slot)).toEqual([SLOT0, SLOT0 + 2]);
    await expect(r1.seal((await seg(5)).segment, (await seg(5)).png)).rejects.toMatchObject({
      code: 'degraded',
    });
    const d1 = r1.digest();
    await close(r1);
    const r2 = await openIt();
    expect(r2.digest()).toBe(d1);
    expect(r2.degraded).toBe(true);
    expect(view.digest).toBe(d1);
  });

  it('compacts into a snapshot without losing a pending segment', async () => {
    const s = await openIt(1440, { snapshotEveryRecords: 10 });
    for (let i = 0; i < 30; i++) await s.seal((await seg(i)).segment, (await seg(i)).png);
    for (const p of s.pendingSegments().slice(0, 10))
      await s.ack(p, { receiptId: `r${p.slot}`, result: 'accepted', serverTime: T0 });
    await s.flush();
    await s.compact();
    const d = s.digest();
    await close(s);
    // Two generations are kept: the newest snapshot and the one before it, with its journal files.
    const snaps = (await readdir(path.join(cache, 'state'))).filter((n) => n.startsWith('snap-'));
    expect(snaps).toHaveLength(2);
    expect((await journalFiles()).length).toBeGreaterThan(1);
    const r = await openIt();
    expect(r.digest()).toBe(d);
    expect(r.pendingSegments()).toHaveLength(20);
    await close(r);
    // Losing the newest snapshot loses nothing: the older one and the journal still hold it all.
    await rm(path.join(cache, 'state', snaps.at(-1)!));
    const older = await inspectCache(cache, T0);
    expect(older.digest).toBe(d);
    expect(older.report.damage.map((x) => [x.kind, x.minutesAtRisk])).toEqual([['bad-snapshot', 0]]);
    const again = await openIt();
    expect(again.digest()).toBe(d);
    expect(again.degraded).toBe(false);
  });

  it('a deleted state/ folder after compactions: never silently 0 waiting, and tracking is refused', async () => {
    const s = await openIt(1440, { snapshotEveryRecords: 8 });
    for (let i = 0; i < 40; i++) await s.seal((await seg(i)).segment, (await seg(i)).png);
    await s.flush();
    await s.compact();
    const pending = s.pendingMinutes();
    await close(s);
    await rm(path.join(cache, 'state'), { recursive: true, force: true });
    const view = await inspectCache(cache, T0);
    expect(view.pendingMinutes).toBeLessThan(pending);
    const missing = view.report.damage.filter((x) => x.kind === 'missing-records');
    expect(missing).toHaveLength(1);
    // The screenshots of the lost segments are still there and say how much may be gone.
    const orphans = view.report.damage.find((x) => x.kind === 'orphan-screenshots');
    expect(orphans?.minutesAtRisk ?? 0).toBeGreaterThanOrEqual(pending - view.pendingMinutes);
    const r = await openIt();
    expect(r.degraded).toBe(true);
    await expect(r.seal((await seg(100)).segment, (await seg(100)).png)).rejects.toMatchObject({
      code: 'degraded',
    });
    await close(r);
  });

  it('a journal file replaced by a folder: inspect reports it, open refuses with one clear error', async () => {
    const s = await openIt();
    for (let i = 0; i < 3; i++) await s.seal((await seg(i)).segment, (await seg(i)).png);
    await close(s);
    const [file] = await journalFiles();
    await rm(path.join(cache, 'journal', file!));
    await mkdir(path.join(cache, 'journal', file!));
    const view = await inspectCache(cache, T0);
    expect(view.report.damage.map((x) => x.kind)).toContain('unreadable');
    await expect(openIt()).rejects.toMatchObject({ code: 'unreadable' });
  });

  it('builds 24 h of cached time (144 segments) well under a few seconds', async () => {
    const s = await openIt(1440);
    const items = await Promise.all(Array.from({ length: 144 }, (_, i) => seg(i)));
    const t = performance.now();
    await s.sealMany(items);
    const ms = performance.now() - t;
    expect(s.pendingMinutes()).toBe(1440);
    expect(ms).toBeLessThan(3000);
  });

  it('property: any single flipped byte or truncation recovers deterministically and keeps every record before it', async () => {
    const s = await openIt();
    for (let i = 0; i < 6; i++) await s.seal((await seg(i)).segment, (await seg(i)).png);
    await close(s);
    const [file] = await journalFiles();
    const p = path.join(cache, 'journal', file!);
    const pristine = await readFile(p);
    await fc.assert(
      fc.asyncProperty(fc.nat(pristine.length - 1), fc.boolean(), async (offset, truncate) => {
        await rm(path.join(cache, 'quarantine'), { recursive: true, force: true });
        const img = Buffer.from(pristine);
        if (!truncate) img[offset]! ^= 0x5a;
        await writeFile(p, truncate ? img.subarray(0, offset) : img);
        const intact = scanFrames(img.subarray(0, offset)).records.length;
        const a = await inspectCache(cache, T0);
        const st = await openIt();
        const d1 = st.digest();
        expect(st.pendingSegments().length).toBeGreaterThanOrEqual(Math.min(intact, 6) - 0);
        await close(st);
        const st2 = await openIt();
        expect(st2.digest()).toBe(d1);
        await close(st2);
        if (a.report.repairs.length === 0) expect(a.digest).toBe(d1);
        // Restore the file (it may have been trimmed or quarantined).
        await rm(path.join(cache, 'journal'), { recursive: true, force: true });
        await rm(path.join(cache, 'state'), { recursive: true, force: true });
        await (await import('node:fs/promises')).mkdir(path.join(cache, 'journal'));
        await writeFile(p, pristine);
      }),
      { numRuns: 25, seed: 99 },
    );
  });
});
