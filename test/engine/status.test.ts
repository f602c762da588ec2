import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/engine/clock.js';
import { STATUS_LABELS, type ConnectionState, type StatusFile } from '../../src/engine/protocol.js';
import {
  cacheLevelOf,
  deriveState,
  nextLink,
  StatusTracker,
  statusFilePath,
  TRANSIENT_STREAK_OFFLINE,
  type CacheLevel,
  type LinkState,
  type StatusEvent,
} from '../../src/engine/status.js';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => fsp.rm(d, { recursive: true, force: true })));
});

const event = fc.oneof(
  fc.constant<StatusEvent>({ type: 'NET_DOWN', error: 'refused' }),
  fc.constant<StatusEvent>({ type: 'TRANSIENT', error: '503' }),
  fc.constant<StatusEvent>({ type: 'PROBE_OK' }),
  fc.constant<StatusEvent>({ type: 'HTTP_401', error: '401' }),
  fc.constant<StatusEvent>({ type: 'LOGIN_OK' }),
);
const cache = fc.record({
  pendingSegments: fc.integer({ min: 0, max: 200 }),
  pendingMinutes: fc.integer({ min: 0, max: 2000 }),
  capacityMinutes: fc.constantFrom(240, 720, 1440),
});

describe('connection status', () => {
  it('uses the labels the tracker shows', () => {
    expect(STATUS_LABELS).toEqual({
      CONNECTING: 'Connecting',
      ONLINE: 'Online',
      ONLINE_UPLOADING: 'Online and uploading',
      OFFLINE_CACHING: 'Offline (caching)',
      CACHE_FULL: 'Cache full',
      AUTH_REQUIRED: 'Sign in required',
    });
  });

  it('derives the state by table', () => {
    const c = (
      pendingSegments: number,
      pendingMinutes: number,
    ): Pick<CacheLevel, 'pendingSegments' | 'pendingMinutes' | 'capacityMinutes'> => ({
      pendingSegments,
      pendingMinutes,
      capacityMinutes: 1440,
    });
    const rows: Array<[LinkState['link'], number, number, ConnectionState]> = [
      ['up', 0, 0, 'ONLINE'],
      ['up', 3, 30, 'ONLINE_UPLOADING'],
      ['up', 144, 1440, 'ONLINE_UPLOADING'],
      ['down', 3, 30, 'OFFLINE_CACHING'],
      ['down', 0, 0, 'OFFLINE_CACHING'],
      ['down', 144, 1440, 'CACHE_FULL'],
      ['unknown', 0, 0, 'CONNECTING'],
      ['unknown', 144, 1440, 'CACHE_FULL'],
      ['auth', 144, 1440, 'AUTH_REQUIRED'],
    ];
    for (const [link, segs, mins, want] of rows)
      expect(deriveState(link, c(segs, mins)), `${link} ${mins}`).toBe(want);
  });

  it('holds invariant I15 after any sequence of events and cache levels', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(event, cache), { maxLength: 60 }), (steps) => {
        let s: LinkState = { link: 'unknown', transientStreak: 0 };
        for (const [e, level] of steps) {
          s = nextLink(s, e);
          const state = deriveState(s.link, level);
          const connected = s.link === 'up';
          expect(state === 'ONLINE').toBe(connected && level.pendingSegments === 0);
          expect(state === 'ONLINE_UPLOADING').toBe(connected && level.pendingSegments > 0);
          expect(state === 'CACHE_FULL').toBe(
            !connected && s.link !== 'auth' && level.pendingMinutes >= level.capacityMinutes,
          );
        }
      }),
    );
  });

  it('goes offline after three transient failures in a row, not before; one success resets', () => {
    let s: LinkState = { link: 'up', transientStreak: 0 };
    for (let i = 1; i < TRANSIENT_STREAK_OFFLINE; i++) s = nextLink(s, { type: 'TRANSIENT', error: 'x' });
    expect(s.link).toBe('up');
    s = nextLink(s, { type: 'TRANSIENT', error: 'x' });
    expect(s.link).toBe('down');
    s = nextLink(s, { type: 'PROBE_OK' });
    expect(s).toEqual({ link: 'up', transientStreak: 0 });
  });

  it('keeps "Sign in required" until a login, whatever the network does', () => {
    let s = nextLink({ link: 'up', transientStreak: 0 }, { type: 'HTTP_401', error: 'x' });
    for (const e of [
      { type: 'NET_DOWN', error: 'x' },
      { type: 'PROBE_OK' },
      { type: 'TRANSIENT', error: 'x' },
    ] as StatusEvent[]) {
      s = nextLink(s, e);
      expect(s.link).toBe('auth');
    }
    expect(nextLink(s, { type: 'LOGIN_OK' }).link).toBe('unknown');
  });

  it('writes status.json atomically with the cache level, counters and state changes', async () => {
    const dataDir = await fsp.mkdtemp(path.join(os.tmpdir(), 'uwd-status-'));
    dirs.push(dataDir);
    const clock = new FakeClock(Date.UTC(2025, 0, 8, 12));
    let level = cacheLevelOf({
      pendingSegments: 108,
      pendingMinutes: 1080,
      capacityMinutes: 1440,
      oldestPendingSlot: 2893596,
    });
    const changes: string[] = [];
    const tracker = new StatusTracker({
      dataDir,
      clock,
      cache: () => level,
      serverUrl: 'https://127.0.0.1:1',
      onChange: (from, to) => changes.push(`${from}->${to}`),
    });
    tracker.event({ type: 'NET_DOWN', error: 'connection refused' });
    await tracker.flush();
    const read = async () => JSON.parse(await fsp.readFile(statusFilePath(dataDir), 'utf8')) as StatusFile;
    let st = await read();
    expect(st).toMatchObject({
      version: 1,
      state: 'OFFLINE_CACHING',
      label: 'Offline (caching)',
      pendingMinutes: 1080,
      capacityMinutes: 1440,
      cacheLevelPercent: 75,
      oldestPendingSlotStart: 2893596 * 600_000,
      lastError: 'connection refused',
      consecutiveFailures: 1,
      serverUrl: 'https://127.0.0.1:1',
      since: clock.now(),
    });
    // A refused connection takes the link down at once; each one more is one more failure.
    tracker.event({ type: 'NET_DOWN', error: 'connection refused' });
    tracker.event({ type: 'TRANSIENT', error: 'HTTP 503' });
    await tracker.flush();
    expect((await read()).consecutiveFailures).toBe(3);
    clock.advance(60_000);
    level = { ...level, pendingMinutes: 1440, pendingSegments: 144 };
    await tracker.flush();
    st = await read();
    expect(st).toMatchObject({ label: 'Cache full', cacheLevelPercent: 100, since: clock.now() });
    tracker.observeServerTime(clock.now() + 5_000);
    tracker.success({ accepted: 144 });
    level = { ...level, pendingMinutes: 0, pendingSegments: 0, oldestPendingSlotStart: null };
    await tracker.flush();
    st = await read();
    expect(st).toMatchObject({
      label: 'Online',
      skewMs: 5_000,
      lastError: null,
      consecutiveFailures: 0,
      counters: expect.objectContaining({ accepted: 144 }),
    });
    expect(changes).toEqual([
      'CONNECTING->OFFLINE_CACHING',
      'OFFLINE_CACHING->CACHE_FULL',
      'CACHE_FULL->ONLINE_UPLOADING',
      'ONLINE_UPLOADING->ONLINE',
    ]);
    // No temporary files are left beside it.
    expect(
      (await fsp.readdir(path.dirname(statusFilePath(dataDir)))).filter((f) => f.endsWith('.tmp')),
    ).toEqual([]);
  });
});
