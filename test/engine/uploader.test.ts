import { promises as fsp } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { FakeClock, seededRng } from '../../src/engine/clock.js';
import { PATHS, SLOT_MS, weekStartOf, type StatusFile, type WireSegment } from '../../src/engine/protocol.js';
import type { HookAction } from '../../src/engine/server/index.js';
import { cacheLevelOf, StatusTracker, statusFilePath } from '../../src/engine/status.js';
import { openStore, type JournalStore } from '../../src/engine/store/store.js';
import { backoffDelay, DEFAULT_BACKOFF, Uploader } from '../../src/engine/uploader.js';
import {
  DAY,
  freshDataDir,
  makeSegment,
  removeTmpDirs,
  SLOT0,
  startTestServer,
  T0,
  type TestServer,
} from './server/fixtures.js';

interface Rig {
  t: TestServer;
  store: JournalStore;
  status: StatusTracker;
  uploader: Uploader;
  sleeps: number[];
  clientClock: FakeClock;
  sealed: WireSegment[];
  newUploader(): Uploader;
}

const open: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.close();
});
afterAll(removeTmpDirs);

async function rig(
  opts: {
    capacityMinutes?: number;
    serverClock?: FakeClock;
    seed?: number;
    faults?: Parameters<typeof startTestServer>[0];
  } = {},
): Promise<Rig> {
  const dataDir = await freshDataDir();
  const t = await startTestServer({
    dataDir,
    ...(opts.serverClock ? { clock: opts.serverClock } : {}),
    ...opts.faults,
  });
  open.push(t.server);
  const clientClock = new FakeClock(T0);
  const store = await openStore({
    cacheDir: path.join(dataDir, 'Upwork', 'Cache'),
    capacityMinutes: opts.capacityMinutes ?? 1440,
    clock: clientClock,
  });
  open.push(store);
  const status = new StatusTracker({
    dataDir,
    clock: clientClock,
    cache: () => cacheLevelOf(store.stats()),
    serverUrl: t.server.url,
  });
  const sleeps: number[] = [];
  const rng = seededRng(opts.seed ?? 7);
  const newUploader = () =>
    new Uploader({
      store,
      client: t.client,
      deviceId: 'device-a',
      clock: clientClock,
      rng,
      status,
      sleep: async (ms) => {
        sleeps.push(ms);
        clientClock.advance(ms);
      },
    });
  return { t, store, status, uploader: newUploader(), sleeps, clientClock, sealed: [], newUploader };
}

async function seal(r: Rig, specs: Parameters<typeof makeSegment>[0][]): Promise<void> {
  for (const spec of specs) {
    const { segment, png } = makeSegment(spec);
    await r.store.seal(segment, png);
    r.sealed.push(segment);
  }
}

async function readStatus(r: Rig): Promise<StatusFile> {
  return JSON.parse(await fsp.readFile(statusFilePath(r.t.dataDir), 'utf8')) as StatusFile;
}

/** What the server bills: key → fingerprint of every live accepted segment. */
function billed(r: Rig): Map<string, string> {
  return new Map(
    [...r.t.server.state.segments.values()]
      .filter((s) => !s.deleted)
      .map((s) => [`${s.seg.contractId}#${s.seg.slot}`, s.seg.fingerprint]),
  );
}

async function acceptRecords(r: Rig): Promise<number> {
  const text = await fsp.readFile(path.join(r.t.dataDir, 'server', 'server.jrnl'), 'utf8');
  return text.split('\n').filter((l) => l.includes('"t":"ACCEPT"')).length;
}

describe('uploader against the real HTTPS server and the real cache store', () => {
  it('uploads oldest first, blobs before the batch that needs them, at most 25 per batch', async () => {
    const r = await rig();
    // Sealed out of order on purpose: the store hands them back oldest first.
    const slots = Array.from({ length: 60 }, (_, i) => SLOT0 - 100 + ((i * 37) % 60));
    await seal(
      r,
      slots.map((slot) => ({ slot })),
    );
    const seen: string[] = [];
    r.t.server.hooks!.setPlan((req) => {
      seen.push(`${req.method} ${req.path}`);
      return 'pass';
    });
    const res = await r.uploader.uploadOnce();
    expect(res).toMatchObject({
      outcome: 'drained',
      accepted: 60,
      duplicates: 0,
      rejected: 0,
      blobs: 60,
      batches: 3,
    });
    const shape = seen.map((s) => (s.startsWith('PUT') ? 'B' : 'S')).join('');
    expect(shape).toBe(`${'B'.repeat(25)}S${'B'.repeat(25)}S${'B'.repeat(10)}S`);
    const bySlot = [...r.t.server.state.segments.values()].sort((a, b) => a.seg.slot - b.seg.slot);
    const receipts = bySlot.map((s) => s.receiptId);
    expect(receipts).toEqual([...receipts].sort());
    expect(r.store.pendingSegments()).toHaveLength(0);
    expect(r.store.stats().ackedSegments).toBe(60);
    const st = await readStatus(r);
    expect(st).toMatchObject({ state: 'ONLINE', label: 'Online', pendingSegments: 0, cacheLevelPercent: 0 });
    expect(st.counters).toMatchObject({ accepted: 60, blobsUploaded: 60 });
  });

  it('ends with exactly the ideal set of billed segments under random dropped requests and responses', async () => {
    const seen = { droppedRequests: 0, droppedResponses: 0, duplicates: 0 };
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 40 }),
        fc.array(fc.constantFrom<HookAction>('pass', 'pass', 'drop-request', 'drop-response'), {
          maxLength: 30,
        }),
        fc.integer({ min: 1, max: 25 }),
        fc.boolean(),
        async (offsets, drops, batchSize, restartUploader) => {
          const r = await rig({ seed: offsets.length });
          try {
            await seal(
              r,
              offsets.map((o, i) => ({ slot: SLOT0 - o, screenshot: i % 3 !== 0 })),
            );
            r.t.server.hooks!.setPlan((req) => drops[req.index - 1] ?? 'pass');
            let uploader = new Uploader({
              store: r.store,
              client: r.t.client,
              deviceId: 'device-a',
              clock: r.clientClock,
              rng: seededRng(1),
              batchSize,
              sleep: async (ms) => r.clientClock.advance(ms),
            });
            // Passes are bounded: every drop costs at most one pass.
            for (let pass = 0; pass < drops.length + 5 && r.store.pendingSegments().length > 0; pass++) {
              seen.duplicates += (await uploader.uploadOnce()).duplicates;
              if (restartUploader) uploader = r.newUploader();
            }
            const stats = r.t.server.hooks!.stats();
            seen.droppedRequests += stats.droppedRequests;
            seen.droppedResponses += stats.droppedResponses;
            expect(r.store.pendingSegments()).toHaveLength(0);
            const ideal = new Map(r.sealed.map((s) => [`${s.contractId}#${s.slot}`, s.fingerprint]));
            expect(billed(r)).toEqual(ideal);
            // Each segment was committed exactly once on the server, whatever was retried.
            expect(await acceptRecords(r)).toBe(r.sealed.length);
            expect(r.store.stats().ackedSegments).toBe(r.sealed.length);
          } finally {
            await r.store.close();
            await r.t.server.close();
          }
        },
      ),
      { numRuns: 12, seed: 20250108 },
    );
    // The runs did exercise both kinds of loss, and lost responses were answered as duplicates.
    expect(seen.droppedRequests).toBeGreaterThan(0);
    expect(seen.droppedResponses).toBeGreaterThan(0);
    expect(seen.duplicates).toBeGreaterThan(0);
  });

  it('keeps a week-locked rejection, visible in the store and in status.json, and never resends it', async () => {
    const lastWeekSlot = (weekStartOf(T0) - 2 * DAY) / SLOT_MS;
    const r = await rig();
    await seal(r, [{ slot: lastWeekSlot }, { slot: SLOT0 - 1 }]);
    const res = await r.uploader.uploadOnce();
    expect(res).toMatchObject({ outcome: 'drained', accepted: 1, rejected: 1 });
    const rejected = r.store.rejected();
    expect(rejected).toHaveLength(1);
    expect(rejected[0]?.segment.slot).toBe(lastWeekSlot);
    expect(rejected[0]?.rejection?.code).toBe('WEEK_LOCKED');
    expect(r.store.all()).toHaveLength(2);
    const st = await readStatus(r);
    expect(st.rejections).toEqual([expect.objectContaining({ slot: lastWeekSlot, code: 'WEEK_LOCKED' })]);
    expect(st.counters.rejected).toBe(1);
    const seen: string[] = [];
    r.t.server.hooks!.setPlan((req) => (seen.push(req.path), 'pass'));
    await r.uploader.uploadOnce();
    expect(seen).not.toContain(PATHS.segmentsBatch);
  });

  it('marks cached time refused because another computer logged meanwhile as DEVICE_CONFLICT', async () => {
    const r = await rig({ faults: { faults: { deviceConflict: true } } });
    await seal(r, [{ slot: SLOT0 - 30 }, { slot: SLOT0 - 29 }]);
    const res = await r.uploader.uploadOnce();
    expect(res.rejected).toBe(2);
    expect(r.store.rejected().map((s) => s.rejection?.code)).toEqual(['DEVICE_CONFLICT', 'DEVICE_CONFLICT']);
    expect((await readStatus(r)).rejections.map((x) => x.code)).toEqual([
      'DEVICE_CONFLICT',
      'DEVICE_CONFLICT',
    ]);
  });

  it('goes "Offline (caching)" when the server is unreachable, and drains when it returns', async () => {
    const r = await rig({ faults: { faults: { offline: true } } });
    await seal(r, [{ slot: SLOT0 - 3 }, { slot: SLOT0 - 2 }]);
    const res = await r.uploader.uploadOnce();
    expect(res.outcome).toBe('offline');
    let st = await readStatus(r);
    expect(st).toMatchObject({
      state: 'OFFLINE_CACHING',
      label: 'Offline (caching)',
      pendingSegments: 2,
      pendingMinutes: 20,
    });
    expect(st.lastError).toMatch(/refused/);
    await r.t.server.setFaults({ offline: false });
    const drained = await r.uploader.drain({ maxPasses: 5 });
    expect(drained.outcome).toBe('drained');
    st = await readStatus(r);
    expect(st.label).toBe('Online');
  });

  it('shows "Cache full" when offline at capacity, "Online and uploading" while it drains', async () => {
    const r = await rig({ capacityMinutes: 30, faults: { faults: { offline: true } } });
    await seal(r, [{ slot: SLOT0 - 4 }, { slot: SLOT0 - 3 }, { slot: SLOT0 - 2 }]);
    await r.uploader.uploadOnce();
    expect((await readStatus(r)).label).toBe('Cache full');
    await r.t.server.setFaults({ offline: false });
    const labels: string[] = [];
    r.t.server.hooks!.setPlan((req) => {
      if (req.path === PATHS.segmentsBatch) labels.push(r.status.snapshot().label);
      return 'pass';
    });
    const uploader = new Uploader({
      store: r.store,
      client: r.t.client,
      deviceId: 'device-a',
      clock: r.clientClock,
      rng: seededRng(3),
      status: r.status,
      batchSize: 1,
    });
    await uploader.uploadOnce();
    expect(labels).toEqual(['Online and uploading', 'Online and uploading', 'Online and uploading']);
    expect((await readStatus(r)).label).toBe('Online');
  });

  it('backs off on maintenance, honours Retry-After, and counts three failures as offline', async () => {
    const r = await rig({ faults: { faults: { maintenance: true, maintenanceRetryAfterSec: 90 } } });
    await seal(r, [{ slot: SLOT0 - 2 }]);
    const res = await r.uploader.drain({ maxPasses: 4 });
    expect(res).toMatchObject({ outcome: 'transient', passes: 4 });
    expect(r.sleeps).toHaveLength(3);
    for (const s of r.sleeps) expect(s).toBeGreaterThanOrEqual(90_000);
    expect((await readStatus(r)).state).toBe('OFFLINE_CACHING');
    expect(r.store.pendingSegments()).toHaveLength(1);
    await r.t.server.setFaults({ maintenance: false });
    expect((await r.uploader.drain({ maxPasses: 3 })).outcome).toBe('drained');
    expect(r.uploader.consecutiveFailures).toBe(0);
  });

  it('a server that only speaks old TLS leaves the tracker caching (the "TLS disabled" cause)', async () => {
    const r = await rig({ faults: { faults: { oldTls: true } } });
    await seal(r, [{ slot: SLOT0 - 2 }]);
    const res = await r.uploader.uploadOnce();
    expect(res.outcome).toBe('offline');
    expect(res.error).toMatch(/TLS/);
    expect((await readStatus(r)).state).toBe('OFFLINE_CACHING');
  });

  it('stops on a sign-in problem and says so', async () => {
    const r = await rig({ faults: { faults: { signedOut: true } } });
    await seal(r, [{ slot: SLOT0 - 2 }]);
    const res = await r.uploader.drain({ maxPasses: 10 });
    expect(res).toMatchObject({ outcome: 'auth', passes: 1 });
    expect((await readStatus(r)).label).toBe('Sign in required');
  });

  it('a screenshot missing from the local cache is reported, keeps the segment, and does not fake an outage', async () => {
    const r = await rig();
    await seal(r, [{ slot: SLOT0 - 2 }]);
    await r.uploader.probe();
    const broken = {
      pendingSegments: () => r.store.pendingSegments(),
      readBlob: () => Promise.reject(new Error('ENOENT: screenshot blob missing')),
      settle: (items: Parameters<JournalStore['settle']>[0]) => r.store.settle(items),
      pendingRemoteDeletes: () => r.store.pendingRemoteDeletes(),
      ackRemoteDelete: (ref: Parameters<JournalStore['ackRemoteDelete']>[0]) => r.store.ackRemoteDelete(ref),
    };
    const uploader = new Uploader({
      store: broken,
      client: r.t.client,
      deviceId: 'device-a',
      clock: r.clientClock,
      rng: seededRng(1),
      status: r.status,
    });
    for (let i = 0; i < 4; i++) expect((await uploader.uploadOnce()).outcome).toBe('local');
    expect(r.store.pendingSegments()).toHaveLength(1);
    const st = await readStatus(r);
    expect(st.label).toBe('Online and uploading');
    expect(st.lastError).toMatch(/screenshot blob missing/);
  });

  it('reaches the server through a resolver, and reports "no server" as offline', async () => {
    const r = await rig();
    await seal(r, [{ slot: SLOT0 - 2 }]);
    let present = false;
    const uploader = new Uploader({
      store: r.store,
      client: () => (present ? r.t.client : undefined),
      deviceId: 'device-a',
      clock: r.clientClock,
      rng: seededRng(1),
      status: r.status,
    });
    expect((await uploader.uploadOnce()).outcome).toBe('offline');
    present = true;
    expect((await uploader.uploadOnce()).accepted).toBe(1);
  });
});

describe('background loop', () => {
  it('uploads what is pending, then keeps probing, until aborted', async () => {
    const r = await rig();
    await seal(r, [{ slot: SLOT0 - 3 }, { slot: SLOT0 - 2 }]);
    const abort = new AbortController();
    const waits: number[] = [];
    const uploader = new Uploader({
      store: r.store,
      client: r.t.client,
      deviceId: 'device-a',
      clock: r.clientClock,
      rng: seededRng(2),
      status: r.status,
      sleep: async (ms) => {
        waits.push(ms);
        r.clientClock.advance(ms);
        if (waits.length === 2) await r.t.server.setFaults({ offline: true });
        if (waits.length === 4) abort.abort();
      },
    });
    await uploader.run(abort.signal, 30_000);
    expect(r.store.pendingSegments()).toHaveLength(0);
    expect(waits.slice(0, 2)).toEqual([30_000, 30_000]);
    // The server went away while idle: the probe noticed, and the status says so.
    expect((await readStatus(r)).label).toBe('Offline (caching)');
  });
});

describe('backoff', () => {
  it('is full jitter, bounded by min(cap, base·2^(n−1))', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 200 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (n, u) => {
          const d = backoffDelay(n, { next: () => u });
          const ceiling = Math.min(DEFAULT_BACKOFF.capMs, DEFAULT_BACKOFF.baseMs * 2 ** (n - 1));
          expect(d).toBeGreaterThanOrEqual(0);
          expect(d).toBeLessThanOrEqual(ceiling);
          expect(d).toBeLessThanOrEqual(300_000);
        },
      ),
    );
    expect(backoffDelay(0, { next: () => 0.5 })).toBe(0);
    expect(backoffDelay(3, { next: () => 0.5 })).toBe(2_000);
  });

  it('never waits longer than the cap while a server stays down', async () => {
    const r = await rig({ faults: { faults: { offline: true } } });
    await seal(r, [{ slot: SLOT0 - 2 }]);
    await r.uploader.drain({ maxPasses: 30 });
    expect(r.sleeps).toHaveLength(29);
    expect(Math.max(...r.sleeps)).toBeLessThanOrEqual(300_000);
    // Later waits may be long: the ceiling grows until the cap.
    expect(Math.max(...r.sleeps.slice(15))).toBeGreaterThan(1_000);
  });
});
