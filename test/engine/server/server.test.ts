import { promises as fsp } from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import type { TLSSocket } from 'node:tls';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../../src/engine/clock.js';
import {
  PATHS,
  SLOT_MS,
  signSegment,
  weekIdOf,
  weekLockOf,
  weekStartOf,
  type ServerInfoFile,
  type WireSegment,
} from '../../../src/engine/protocol.js';
import { HttpStatusError, TransportError, WorkDiaryClient } from '../../../src/engine/server/client.js';
import { encodeFrame } from '../../../src/engine/store/frame.js';
import {
  DAY,
  freshDataDir,
  HOUR,
  makeSegment,
  removeTmpDirs,
  SLOT0,
  startTestServer,
  T0,
  type TestServer,
} from './fixtures.js';

const running: TestServer[] = [];
async function start(opts: Parameters<typeof startTestServer>[0] = {}): Promise<TestServer> {
  const t = await startTestServer(opts);
  running.push(t);
  return t;
}
afterEach(async () => {
  await Promise.all(running.splice(0).map((t) => t.server.close()));
});
afterAll(removeTmpDirs);

async function upload(t: TestServer, ...specs: Array<{ segment: WireSegment; png: Buffer | null }>) {
  for (const s of specs)
    if (s.png && s.segment.screenshot) await t.client.putBlob(s.segment.screenshot.sha256, s.png);
  return t.client.postBatch({
    freelancerId: 'freelancer-1',
    deviceId: specs[0]!.segment.deviceId,
    segments: specs.map((s) => s.segment),
  });
}

async function expectHttpError(p: Promise<unknown>, status: number, code?: string): Promise<HttpStatusError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(HttpStatusError);
  const h = e as HttpStatusError;
  expect(h.status).toBe(status);
  if (code) expect(h.code).toBe(code);
  return h;
}

describe('work-diary server: endpoints', () => {
  it('health and time stamp server time in the body and in the HTTP Date header', async () => {
    const t = await start();
    const h = await t.client.health();
    expect(h.body).toMatchObject({ status: 'ok', protocol: 1, serverTime: T0 });
    expect(h.date).toBe(T0);
    const tm = await t.client.time();
    expect(tm.body).toEqual({ serverTime: T0, iso: new Date(T0).toISOString() });
  });

  it('lists contracts with their current status and limit', async () => {
    const t = await start();
    const { body } = await t.client.contracts();
    expect(body.serverTime).toBe(T0);
    const byId = Object.fromEntries(body.contracts.map((c) => [c.id, c]));
    expect(byId['c-paused']?.status).toBe('paused');
    expect(byId['c-limit']?.weeklyLimitHours).toBe(1);
    expect(byId['c-tomorrow']?.startDate).toBe(Date.UTC(2025, 0, 9));
    expect(byId['c-fixed']?.type).toBe('fixed');
  });

  it('stores a blob by content address, idempotently, and refuses a wrong hash', async () => {
    const t = await start();
    const { segment, png } = makeSegment({ slot: SLOT0 - 6 });
    const hash = segment.screenshot!.sha256;
    const first = await t.client.putBlob(hash, png!);
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ sha256: hash, created: true, size: png!.length });
    const again = await t.client.putBlob(hash, png!);
    expect(again.status).toBe(200);
    expect(again.body.created).toBe(false);
    await expectHttpError(t.client.putBlob('0'.repeat(64), png!), 400, 'HASH_MISMATCH');
    const back = await t.client.request<string>('GET', PATHS.blob(hash));
    expect(back.status).toBe(200);
    const onDisk = await fsp.readFile(
      path.join(t.dataDir, 'server', 'blobs', 'sha256', hash.slice(0, 2), `${hash}.png`),
    );
    expect(onDisk.equals(png!)).toBe(true);
  });

  it('accepts a batch, then answers a resend with the original receipt (never billed twice)', async () => {
    const t = await start();
    const a = makeSegment({ slot: SLOT0 - 12 });
    const b = makeSegment({ slot: SLOT0 - 11, minutes: 4 });
    const r1 = await upload(t, a, b);
    expect(r1.body.results.map((r) => r.status)).toEqual(['accepted', 'accepted']);
    expect(r1.body.results[1]).toMatchObject({
      minutes: 4,
      billableMinutes: 4,
      billable: true,
      overLimit: false,
    });
    const r2 = await upload(t, a, b);
    expect(r2.body.results.map((r) => r.status)).toEqual(['duplicate', 'duplicate']);
    expect(r2.body.results.map((r) => r.receiptId)).toEqual(r1.body.results.map((r) => r.receiptId));
    const diary = await t.client.diary('c-1', weekIdOf(T0));
    expect(diary.body.totals).toMatchObject({ segments: 2, trackedMinutes: 14, billableMinutes: 14 });
  });

  it('treats two copies in one batch as one segment', async () => {
    const t = await start();
    const a = makeSegment({ slot: SLOT0 - 3 });
    const r = await upload(t, a, a);
    expect(r.body.results.map((x) => x.status)).toEqual(['accepted', 'duplicate']);
    expect(t.server.state.segments.size).toBe(1);
  });

  it('rejects per item, in the documented order, without blocking the rest of the batch', async () => {
    const t = await start();
    const good = makeSegment({ slot: SLOT0 - 20 });
    await upload(t, good);
    const changed = makeSegment({ slot: SLOT0 - 20, memo: 'different memo' });
    const tampered: WireSegment = {
      ...makeSegment({ slot: SLOT0 - 19 }).segment,
      memo: 'edited after signing',
    };
    const locked = makeSegment({ slot: (weekStartOf(T0) - 8 * DAY) / SLOT_MS });
    const future = makeSegment({ slot: SLOT0 + 6 });
    const paused = makeSegment({ contractId: 'c-paused', slot: SLOT0 - 18 });
    const notStarted = makeSegment({ contractId: 'c-tomorrow', slot: SLOT0 - 17 });
    const unknown = makeSegment({ contractId: 'c-nope', slot: SLOT0 - 16 });
    const noBlob = makeSegment({ slot: SLOT0 - 15 });
    const manualNotAllowed = makeSegment({ contractId: 'c-limit', slot: SLOT0 - 14, kind: 'manual' });
    const ok = makeSegment({ slot: SLOT0 - 13 });
    for (const s of [locked, future, paused, notStarted, unknown, ok]) {
      await t.client.putBlob(s.segment.screenshot!.sha256, s.png!);
    }
    const r = await t.client.postBatch({
      freelancerId: 'freelancer-1',
      deviceId: 'device-a',
      segments: [
        changed,
        { segment: tampered },
        locked,
        future,
        paused,
        notStarted,
        unknown,
        noBlob,
        manualNotAllowed,
        ok,
      ].map((s) => s.segment),
    });
    expect(r.body.results.map((x) => x.code ?? x.status)).toEqual([
      'SLOT_CONFLICT',
      'INVALID',
      'WEEK_LOCKED',
      'FUTURE_SEGMENT',
      'CONTRACT_NOT_ACTIVE',
      'CONTRACT_NOT_STARTED',
      'CONTRACT_NOT_ACTIVE',
      'MISSING_BLOB',
      'INVALID',
      'accepted',
    ]);
    // The conflicting resend did not overwrite the original.
    const diary = await t.client.diary('c-1', weekIdOf(T0));
    expect(diary.body.segments.find((s) => s.slot === SLOT0 - 20)?.memo).toBe(good.segment.memo);
  });

  it('locks last week at Monday 12:00 UTC to the millisecond', async () => {
    const lastWeekSlot = (weekStartOf(T0) - DAY) / SLOT_MS;
    const lock = weekLockOf(lastWeekSlot * SLOT_MS);
    const t = await start({ clock: new FakeClock(lock - 1) });
    const before = makeSegment({ slot: lastWeekSlot });
    expect((await upload(t, before)).body.results[0]?.status).toBe('accepted');
    t.clock.advance(1);
    const after = makeSegment({ slot: lastWeekSlot + 1 });
    expect((await upload(t, after)).body.results[0]?.code).toBe('WEEK_LOCKED');
    // A retry of what was accepted before the lock is still recognised, not refused.
    expect((await upload(t, before)).body.results[0]?.status).toBe('duplicate');
  });

  it('bills within the weekly limit and marks the rest over the limit; an increase applies to the whole week', async () => {
    const t = await start();
    const specs = [0, 1, 2, 3, 4, 5, 6, 7].map((i) =>
      makeSegment({ contractId: 'c-limit', slot: SLOT0 - 30 + i }),
    );
    const r = await upload(t, ...specs);
    expect(r.body.results.map((x) => x.billableMinutes)).toEqual([10, 10, 10, 10, 10, 10, 0, 0]);
    expect(r.body.results.map((x) => x.overLimit)).toEqual([
      false,
      false,
      false,
      false,
      false,
      false,
      true,
      true,
    ]);
    let diary = await t.client.diary('c-limit', weekIdOf(T0));
    expect(diary.body.totals).toMatchObject({
      trackedMinutes: 80,
      billableMinutes: 60,
      overLimitMinutes: 20,
    });
    expect(diary.body.effectiveLimitHours).toBe(1);
    await t.client.adminContract('c-limit', { weeklyLimitHours: 2 });
    diary = await t.client.diary('c-limit', weekIdOf(T0));
    expect(diary.body.totals).toMatchObject({ billableMinutes: 80, overLimitMinutes: 0 });
    // A decrease waits for next week.
    await t.client.adminContract('c-limit', { weeklyLimitHours: 0.5 });
    diary = await t.client.diary('c-limit', weekIdOf(T0));
    expect(diary.body.effectiveLimitHours).toBe(2);
  });

  it('never bills fixed-price time', async () => {
    const t = await start();
    const r = await upload(t, makeSegment({ contractId: 'c-fixed', slot: SLOT0 - 2 }));
    expect(r.body.results[0]).toMatchObject({ status: 'accepted', billable: false, billableMinutes: 0 });
  });

  it('serves the diary view by contract and week, and rejects a week that is not a Monday', async () => {
    const t = await start();
    await upload(t, makeSegment({ slot: SLOT0 - 1 }));
    const d = await t.client.diary('c-1', weekIdOf(T0));
    expect(d.body).toMatchObject({
      contractId: 'c-1',
      week: '2025-01-06',
      weekStart: Date.UTC(2025, 0, 6),
      lockAt: Date.UTC(2025, 0, 13, 12),
      locked: false,
    });
    expect(d.body.segments[0]).toMatchObject({ slot: SLOT0 - 1, activeMinutes: 10, kind: 'auto' });
    await expectHttpError(t.client.diary('c-1', '2025-01-07'), 400, 'BAD_REQUEST');
    await expectHttpError(t.client.diary('c-nope', '2025-01-06'), 404, 'NOT_FOUND');
  });

  it('deletes a slot (time, activity and screenshot together) until the lock', async () => {
    const t = await start();
    await upload(t, makeSegment({ slot: SLOT0 - 4 }));
    const del = await t.client.deleteSlot('c-1', SLOT0 - 4);
    expect(del.body.deleted).toBe(true);
    const d = await t.client.diary('c-1', weekIdOf(T0));
    expect(d.body.totals.segments).toBe(0);
  });

  it('accepts manual time only where the contract allows it', async () => {
    const t = await start();
    const r = await upload(t, makeSegment({ slot: SLOT0 - 40, kind: 'manual' }));
    expect(r.body.results[0]?.status).toBe('accepted');
    const d = await t.client.diary('c-1', weekIdOf(T0));
    expect(d.body.totals.manualMinutes).toBe(10);
  });

  it('answers malformed requests with one clear 4xx error, never a crash', async () => {
    const t = await start();
    await expectHttpError(
      t.client.request('POST', PATHS.segmentsBatch, { deviceId: 'd', segments: [] }),
      400,
      'BAD_REQUEST',
    );
    await expectHttpError(
      t.client.request('POST', PATHS.segmentsBatch, Buffer.from('{not json')),
      400,
      'BAD_REQUEST',
    );
    const many = Array.from({ length: 26 }, (_, i) => makeSegment({ slot: SLOT0 - 100 + i }).segment);
    await expectHttpError(
      t.client.postBatch({ freelancerId: 'freelancer-1', deviceId: 'device-a', segments: many }),
      400,
    );
    await expectHttpError(t.client.request('GET', '/v2/nothing'), 404, 'NOT_FOUND');
    expect((await t.client.health()).status).toBe(200);
  });

  it('survives a restart with the same billing, and trims a torn journal tail', async () => {
    const dataDir = await freshDataDir();
    const t1 = await start({ dataDir });
    const specs = [1, 2, 3].map((i) => makeSegment({ slot: SLOT0 - 50 + i }));
    const r1 = await upload(t1, ...specs);
    const digest = t1.server.state.digest();
    await t1.server.close();
    running.splice(running.indexOf(t1), 1);
    // A crash mid-append leaves half a record.
    const jr = path.join(dataDir, 'server', 'server.jrnl');
    await fsp.appendFile(jr, encodeFrame({ t: 'DELETE', at: T0, key: 'x' }).subarray(0, 20));
    const t2 = await start({ dataDir });
    expect(t2.server.state.digest()).toBe(digest);
    const r2 = await upload(t2, ...specs);
    expect(r2.body.results.map((r) => [r.status, r.receiptId])).toEqual(
      r1.body.results.map((r) => ['duplicate', r.receiptId]),
    );
    await t2.server.close();
    running.splice(running.indexOf(t2), 1);
    // Recovery is the same the second time.
    const t3 = await start({ dataDir });
    expect(t3.server.state.digest()).toBe(digest);
  });

  it('quarantines a journal damaged in the middle instead of dropping billed time', async () => {
    const dataDir = await freshDataDir();
    const t1 = await start({ dataDir });
    await upload(t1, makeSegment({ slot: SLOT0 - 5 }));
    await t1.server.close();
    running.splice(running.indexOf(t1), 1);
    const jr = path.join(dataDir, 'server', 'server.jrnl');
    const text = await fsp.readFile(jr, 'utf8');
    const lines = text.split('\n');
    lines[1] = lines[1]!.replace('"', "'");
    await fsp.writeFile(jr, lines.join('\n'));
    await expect(startTestServer({ dataDir })).rejects.toThrow(/damaged.*quarantine/);
    const q = await fsp.readdir(path.join(dataDir, 'server', 'quarantine'));
    expect(q).toHaveLength(1);
  });

  it('writes server.json atomically after listen and removes it on close', async () => {
    const t = await start();
    const file = path.join(t.dataDir, 'engine', 'server.json');
    const info = JSON.parse(await fsp.readFile(file, 'utf8')) as ServerInfoFile;
    expect(info).toMatchObject({
      url: t.server.url,
      port: t.server.port,
      pid: process.pid,
      host: '127.0.0.1',
      protocol: 1,
    });
    expect(await fsp.readFile(info.caPem, 'utf8')).toBe(t.server.caPem);
    await t.server.setFaults({ maintenance: true });
    expect((JSON.parse(await fsp.readFile(file, 'utf8')) as ServerInfoFile).faults.maintenance).toBe(true);
    await t.server.close();
    await expect(fsp.access(file)).rejects.toThrow();
  });

  it('admin endpoints change contracts and faults at runtime', async () => {
    const t = await start();
    await t.client.adminContract('c-1', { status: 'paused', at: T0 - HOUR });
    const r = await upload(t, makeSegment({ slot: SLOT0 - 1 }));
    expect(r.body.results[0]?.code).toBe('CONTRACT_NOT_ACTIVE');
    // Time from before the pause is still accepted: gating is by the status at the slot.
    const earlier = await upload(t, makeSegment({ slot: SLOT0 - 7 }));
    expect(earlier.body.results[0]?.status).toBe('accepted');
    const created = await t.client.adminContract('c-new', { title: 'New', startDate: T0 + 2 * DAY });
    expect(created.body.contract).toMatchObject({
      id: 'c-new',
      status: 'active',
      startDate: Date.UTC(2025, 0, 10),
    });
    await t.client.adminFaults({ maintenance: true });
    await expect.poll(() => t.server.faults().maintenance).toBe(true);
  });
});

describe('work-diary server: fault modes', () => {
  it('offline: connection refused, then back on the same port', async () => {
    const t = await start();
    await t.server.setFaults({ offline: true });
    const e = await t.client.health().catch((x: unknown) => x);
    expect(e).toBeInstanceOf(TransportError);
    expect((e as TransportError).kind).toBe('refused');
    await t.server.setFaults({ offline: false });
    expect((await t.client.health()).status).toBe(200);
  });

  it('offline from the start still reserves the port it will come back on', async () => {
    const t = await start({ faults: { offline: true } });
    expect(t.server.port).toBeGreaterThan(0);
    await expect(t.client.health()).rejects.toBeInstanceOf(TransportError);
    await t.server.setFaults({ offline: false });
    expect((await t.client.health()).body.status).toBe('ok');
  });

  it('maintenance: 503 with Retry-After on the service, admin still answers', async () => {
    const t = await start({ faults: { maintenance: true, maintenanceRetryAfterSec: 120 } });
    const e = await expectHttpError(t.client.health(), 503, 'MAINTENANCE');
    expect(e.retryAfterMs).toBe(120_000);
    expect(e.serverTime).toBe(T0);
    const admin = await t.client.request<{ faults: { maintenance: boolean } }>('GET', '/v1/admin/state');
    expect(admin.body.faults.maintenance).toBe(true);
  });

  it('slow: delays each response by the configured time', async () => {
    const t = await start({ faults: { slowMs: 300 } });
    const started = performance.now();
    await t.client.health();
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    const impatient = new WorkDiaryClient({ url: t.server.url, ca: t.server.caPem, timeoutMs: 100 });
    const e = await impatient.health().catch((x: unknown) => x);
    expect((e as TransportError).kind).toBe('timeout');
  });

  it('skew: serverTime and the Date header run ahead by the configured offset', async () => {
    const t = await start({ faults: { skewMs: 2 * HOUR } });
    const r = await t.client.time();
    expect(r.body.serverTime).toBe(T0 + 2 * HOUR);
    expect(r.date).toBe(T0 + 2 * HOUR);
    await t.server.setFaults({ skewMs: -5 * 60_000 });
    expect((await t.client.time()).date).toBe(T0 - 5 * 60_000);
  });

  it('oldTls: a client requiring TLS 1.2 fails the handshake; a TLS 1.1 client gets through', async () => {
    const t = await start({ faults: { oldTls: true } });
    const e = await t.client.health().catch((x: unknown) => x);
    expect(e).toBeInstanceOf(TransportError);
    expect((e as TransportError).kind).toBe('tls');
    const negotiated = await new Promise<string>((resolve, reject) => {
      const req = https.request(
        `${t.server.url}/v1/health`,
        {
          ca: t.server.caPem,
          agent: false,
          minVersion: 'TLSv1',
          maxVersion: 'TLSv1.1',
          ciphers: 'DEFAULT@SECLEVEL=0',
        },
        (res) => {
          const proto = (res.socket as TLSSocket).getProtocol() ?? '';
          res.resume();
          res.on('end', () => resolve(proto));
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(negotiated).toBe('TLSv1.1');
    await t.server.setFaults({ oldTls: false });
    expect((await t.client.health()).status).toBe(200);
  });

  it('deviceConflict: cached time from before the other device went live is refused, live time is not', async () => {
    const t = await start({ faults: { deviceConflict: true } });
    const cached = makeSegment({ slot: SLOT0 - 30 });
    const live = makeSegment({ slot: SLOT0 });
    const r = await upload(t, cached, live);
    expect(r.body.results.map((x) => x.code ?? x.status)).toEqual(['DEVICE_CONFLICT', 'accepted']);
  });

  it("live cursor: a second computer logging live makes the first one's older cache conflict", async () => {
    const t = await start();
    const other = makeSegment({ slot: SLOT0, deviceId: 'device-b' });
    expect((await upload(t, other)).body.results[0]?.status).toBe('accepted');
    const stale = makeSegment({ slot: SLOT0 - 12, deviceId: 'device-a' });
    expect((await upload(t, stale)).body.results[0]?.code).toBe('DEVICE_CONFLICT');
    // The live device itself is never blocked.
    const more = makeSegment({ slot: SLOT0 - 13, deviceId: 'device-b' });
    expect((await upload(t, more)).body.results[0]?.status).toBe('accepted');
  });

  it('admin/live records another device logging, and admin/state shows it', async () => {
    const t = await start();
    await t.client.adminLive('device-b', SLOT0 - 5);
    const stale = makeSegment({ slot: SLOT0 - 6 });
    expect((await upload(t, stale)).body.results[0]?.code).toBe('DEVICE_CONFLICT');
    expect((await upload(t, makeSegment({ slot: SLOT0 - 5 }))).body.results[0]?.status).toBe('accepted');
    const st = await t.client.request<{ live: Record<string, unknown> }>('GET', '/v1/admin/state');
    expect(st.body.live['freelancer-1']).toEqual({ deviceId: 'device-b', fromSlot: SLOT0 - 5 });
  });

  it('the live-cursor rule can be switched off', async () => {
    const t = await start({ settings: { deviceConflictRule: 'off' } });
    await upload(t, makeSegment({ slot: SLOT0, deviceId: 'device-b' }));
    expect((await upload(t, makeSegment({ slot: SLOT0 - 12 }))).body.results[0]?.status).toBe('accepted');
  });

  it('signedOut: 401 except health', async () => {
    const t = await start({ faults: { signedOut: true } });
    expect((await t.client.health()).status).toBe(200);
    await expectHttpError(t.client.contracts(), 401, 'UNAUTHORIZED');
  });
});

describe('work-diary server: test hooks', () => {
  it('drop-request never processes; drop-response commits but never answers', async () => {
    const t = await start();
    const a = makeSegment({ slot: SLOT0 - 7, screenshot: false });
    const b = makeSegment({ slot: SLOT0 - 8, screenshot: false });
    t.server.hooks!.dropNext('request', 1, PATHS.segmentsBatch);
    await expect(upload(t, a)).rejects.toBeInstanceOf(TransportError);
    expect(t.server.state.segments.size).toBe(0);
    t.server.hooks!.dropNext('response', 1, PATHS.segmentsBatch);
    await expect(upload(t, b)).rejects.toBeInstanceOf(TransportError);
    expect(t.server.state.segments.size).toBe(1);
    const r = await upload(t, b);
    expect(r.body.results[0]?.status).toBe('duplicate');
    expect(t.server.hooks!.stats()).toMatchObject({ droppedRequests: 1, droppedResponses: 1 });
  });

  it('are reachable over HTTP only when enabled', async () => {
    const on = await start();
    const r = await on.client.request<{ stats: unknown }>('POST', PATHS.testHooks, {
      dropRequests: 1,
      path: '/v1/time',
    });
    expect(r.status).toBe(200);
    await expect(on.client.time()).rejects.toBeInstanceOf(TransportError);
    expect((await on.client.time()).status).toBe(200);
    const off = await start({ testHooks: false });
    expect(off.server.hooks).toBeUndefined();
    await expectHttpError(off.client.request('POST', PATHS.testHooks, { dropRequests: 1 }), 404);
  });
});

describe('work-diary server: manual time and signatures', () => {
  it('a segment re-signed by someone else than its device is refused', async () => {
    const t = await start();
    const { segment } = makeSegment({ slot: SLOT0 - 9, screenshot: false });
    const forged = signSegment({ ...segment, deviceId: 'device-z' });
    const r = await t.client.postBatch({
      freelancerId: 'freelancer-1',
      deviceId: 'device-a',
      segments: [forged],
    });
    expect(r.body.results[0]).toMatchObject({ status: 'rejected', code: 'INVALID' });
  });
});
