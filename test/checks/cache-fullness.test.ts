import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cacheFullness } from '../../src/checks/cache-fullness.js';
import type { CacheFacts, CacheSegmentRef } from '../../src/facts/cache.js';
import { tempDir } from '../helpers/cli.js';
import { engineCacheFacts } from '../helpers/engine-facts.js';
import { makeFacts, missing } from '../helpers/facts.js';

// Facts are collected Wednesday 2026-11-18 10:00 UTC; that week locks Monday 2026-11-23 12:00 UTC.
const NOW = Date.UTC(2026, 10, 18, 10, 0);
const H = 3600_000;
const LOCK_THIS_WEEK = Date.UTC(2026, 10, 23, 12, 0);

function seg(slotStart: number, lockAt = LOCK_THIS_WEEK): CacheSegmentRef {
  return { contractId: 'c-1', slotStart, minutes: 10, weekEndAt: lockAt - 12 * H, lockAt };
}

function cache(over: Partial<CacheFacts> = {}): CacheFacts {
  return engineCacheFacts({
    capacitySource: 'config',
    status: {
      state: 'ONLINE',
      label: 'Online',
      since: NOW - 2 * H,
      updatedAt: NOW - 60_000,
      lastAttemptAt: NOW - 60_000,
      lastSuccessAt: NOW - 60_000,
      lastError: null,
      consecutiveFailures: 0,
    },
    probe: { url: 'https://127.0.0.1:1/v1/health', reachable: true },
    anotherDeviceLive: false,
    files: { journalFiles: 1, journalBytes: 100, blobFiles: 0, blobBytes: 0, totalBytes: 100 },
    ...over,
  });
}

function pending(minutes: number, over: Partial<CacheFacts> = {}): CacheFacts {
  return cache({
    pendingSegments: minutes / 10,
    pendingMinutes: minutes,
    oldestPending: seg(NOW - minutes * 60_000),
    newestPending: seg(NOW - 10 * 60_000),
    ...over,
  });
}

const caching = (lastSuccessAt: number | null) => ({
  state: 'OFFLINE_CACHING',
  label: 'Offline (caching)',
  since: NOW - 3 * H,
  updatedAt: NOW - 60_000,
  lastAttemptAt: NOW - 60_000,
  lastSuccessAt,
  lastError: 'connect ECONNRESET',
  consecutiveFailures: 9,
});

const MONDAY_8 = Date.UTC(2026, 10, 23, 8, 0);

describe('cache-fullness', () => {
  it.each([
    ['empty cache', cache(), 'pass', 'UWD-CACHE-001'],
    ['a little pending while online', pending(60), 'pass', 'UWD-CACHE-001'],
    ['74 % is still fine', pending(1060), 'pass', 'UWD-CACHE-001'],
    ['75 % warns', pending(1080), 'warn', 'UWD-CACHE-002'],
    ['75 % of a 12 h setting', pending(540, { capacityMinutes: 720 }), 'warn', 'UWD-CACHE-002'],
    ['full', pending(1440), 'fail', 'UWD-CACHE-003'],
    [
      'status says cache full',
      pending(600, { status: { ...caching(null), state: 'CACHE_FULL', label: 'Cache full' } }),
      'fail',
      'UWD-CACHE-003',
    ],
    [
      'no capacity recorded: default 24 h',
      pending(1440, { capacityMinutes: null, capacitySource: null }),
      'fail',
      'UWD-CACHE-003',
    ],
    [
      'oldest segment locks in 4 h (engine clock Monday 08:00)',
      pending(120, {
        engineNow: MONDAY_8,
        oldestPending: seg(Date.UTC(2026, 10, 22, 20, 0), Date.UTC(2026, 10, 23, 12, 0)),
      }),
      'fail',
      'UWD-CACHE-005',
    ],
    [
      'lock passed',
      pending(60, { oldestPending: seg(Date.UTC(2026, 10, 13, 20, 0), Date.UTC(2026, 10, 16, 12, 0)) }),
      'fail',
      'UWD-CACHE-004',
    ],
    [
      'another computer logging while cache waits',
      pending(60, { anotherDeviceLive: true }),
      'fail',
      'UWD-CACHE-006',
    ],
    [
      'device-conflict is moot with an empty cache',
      cache({ anotherDeviceLive: true }),
      'pass',
      'UWD-CACHE-001',
    ],
    [
      'stuck caching while service reachable',
      pending(180, { status: caching(NOW - 3 * H) }),
      'fail',
      'UWD-CACHE-007',
    ],
    [
      'caching but service unreachable: just offline',
      pending(180, { status: caching(NOW - 3 * H), probe: { url: 'x', reachable: false } }),
      'pass',
      'UWD-CACHE-001',
    ],
    [
      'caching only 5 min: a blip',
      pending(180, { status: caching(NOW - 5 * 60_000) }),
      'pass',
      'UWD-CACHE-001',
    ],
    [
      'rejected segments',
      cache({
        rejected: [
          {
            contractId: 'c-2',
            slotStart: NOW - 5 * H,
            minutes: 10,
            code: 'CONTRACT_NOT_ACTIVE',
            at: NOW - H,
          },
        ],
      }),
      'warn',
      'UWD-CACHE-008',
    ],
    [
      'quarantined file',
      cache({ quarantined: [{ name: '000000000001.jrnl.corrupt-1', bytes: 900 }] }),
      'fail',
      'UWD-CACHE-009',
    ],
    ['torn tail', cache({ tornTail: { file: '000000000002.jrnl', bytes: 37 } }), 'warn', 'UWD-CACHE-009'],
  ] as const)('linux: %s → %s %s', async (_name, value, status, code) => {
    const f = await cacheFullness.run(
      makeFacts({ cache: value as CacheFacts }, { collectedAt: new Date(NOW).toISOString() }),
    );
    expect(f.status).toBe(status);
    expect(f.code).toBe(code);
    expect(f.evidence).toMatchObject({ capacityMinutes: value.capacityMinutes ?? 1440 });
    expect(f.evidence?.sources).toBeTruthy();
    if (status === 'fail' && code !== 'UWD-CACHE-004' && code !== 'UWD-CACHE-009')
      expect(f.remediation?.fixIds).toEqual(['cache-upload']);
  });

  it('a full cache says time cannot be logged on any contract', async () => {
    const f = await cacheFullness.run(
      makeFacts({ cache: pending(1440) }, { collectedAt: new Date(NOW).toISOString() }),
    );
    expect(f.summary).toMatch(/no longer log time on any contract/);
    expect(f.summary).toContain('full (24 h of 24 h)');
  });

  it('lists the other problems behind the worst one', async () => {
    const f = await cacheFullness.run(
      makeFacts(
        { cache: pending(1440, { anotherDeviceLive: true }) },
        { collectedAt: new Date(NOW).toISOString() },
      ),
    );
    expect(f.code).toBe('UWD-CACHE-003');
    expect(f.details?.some((d) => d.includes('UWD-CACHE-006'))).toBe(true);
    expect(f.evidence?.codes).toEqual(['UWD-CACHE-003', 'UWD-CACHE-006']);
  });

  it.each(['win32', 'darwin', 'linux'] as const)(
    '%s: the installed app cache is unknown: skip with sizes, never a pass',
    async (platform) => {
      const value = cache({
        format: 'unknown',
        formatVersion: null,
        pendingSegments: null,
        pendingMinutes: null,
        capacityMinutes: null,
        capacitySource: null,
        status: null,
        probe: null,
        anotherDeviceLive: null,
        note: 'The Upwork app stores its cache in a private format.',
        folders: [
          {
            path: '/home/u/.Upwork/Upwork/Cache',
            files: 12,
            bytes: 40960,
            oldestMtime: NOW - 5 * H,
            newestMtime: NOW,
          },
        ],
      });
      const f = await cacheFullness.run(
        makeFacts({ cache: value }, { platform, collectedAt: new Date(NOW).toISOString() }),
      );
      expect(f.status).toBe('skip');
      expect(f.code).toBe('UWD-CACHE-010');
      expect(f.details?.join(' ')).toContain('40960 bytes');
    },
  );

  it.each([
    ['win32', 'needs-admin'],
    ['darwin', 'needs-full-disk-access'],
    ['linux', 'error'],
    ['linux', 'timeout'],
  ] as const)('%s: not collected (%s) is never a pass', async (platform, reason) => {
    const f = await cacheFullness.run(makeFacts({ cache: missing(reason) }, { platform }));
    expect(['skip', 'timeout']).toContain(f.status);
    expect(f.code).toBe('UWD-CACHE-000');
    expect(f.summary).toMatch(/Not checked/);
  });

  it.each(['win32', 'darwin'] as const)(
    '%s: engine facts are judged the same on every OS',
    async (platform) => {
      const f = await cacheFullness.run(
        makeFacts({ cache: pending(1440) }, { platform, collectedAt: new Date(NOW).toISOString() }),
      );
      expect(f.code).toBe('UWD-CACHE-003');
      const p = await cacheFullness.run(
        makeFacts({ cache: pending(60) }, { platform, collectedAt: new Date(NOW).toISOString() }),
      );
      expect(p.status).toBe('pass');
    },
  );
});

describe('cache collector', () => {
  const SLOT = 600_000;
  const seal = (seq: number, contractId: string, slot: number, minutes = 10) => ({
    t: 'SEAL',
    seq,
    at: slot * SLOT + SLOT,
    seg: {
      contractId,
      slot,
      kind: 'auto',
      trackedFrom: slot * SLOT,
      trackedTo: slot * SLOT + minutes * 60_000,
    },
  });

  async function collect(dataDir: string, options = {}) {
    const { cacheCollector } = await import('../../src/facts/cache.js');
    const { createTestContext } = await import('../../src/core/context.js');
    const sources: string[] = [];
    const value = await cacheCollector.collect({
      ctx: createTestContext({ now: () => NOW }),
      target: { kind: 'embedded', dataDir, found: true, reason: 'test' },
      options,
      signal: new AbortController().signal,
      source: (_k, ref) => void sources.push(ref),
      waitingOn: () => undefined,
    });
    return { value, sources };
  }

  function fingerprint(dir: string): string {
    const out: string[] = [];
    const walk = (d: string) => {
      for (const n of readdirSync(d).sort()) {
        const p = path.join(d, n);
        if (statSync(p).isDirectory()) walk(p);
        else out.push(`${p}:${createHash('sha256').update(readFileSync(p)).digest('hex')}`);
      }
    };
    walk(dir);
    return out.join('\n');
  }

  it('replays the engine journal read-only: pending, rejected, capacity, torn tail, status', async () => {
    const { encodeFrame } = await import('../../src/engine/store/frame.js');
    const dir = tempDir();
    const cacheDir = path.join(dir, 'Upwork', 'Cache');
    mkdirSync(path.join(cacheDir, 'journal'), { recursive: true });
    mkdirSync(path.join(cacheDir, 'quarantine'), { recursive: true });
    mkdirSync(path.join(dir, 'engine'), { recursive: true });
    writeFileSync(path.join(cacheDir, 'FORMAT'), 'tracker-engine 1\n');
    writeFileSync(path.join(cacheDir, 'quarantine', '000000000000.jrnl.corrupt-1'), 'garbage');
    writeFileSync(path.join(dir, 'engine', 'config.json'), JSON.stringify({ capacityMinutes: 240 }));
    writeFileSync(
      path.join(dir, 'engine', 'status.json'),
      JSON.stringify({
        state: 'OFFLINE_CACHING',
        label: 'Offline (caching)',
        since: NOW - 3600_000,
        lastSuccessAt: null,
        consecutiveFailures: 4,
      }),
    );
    const base = Math.floor(NOW / SLOT) - 30;
    const frames = [
      seal(1, 'c-1', base),
      seal(2, 'c-1', base + 1),
      seal(3, 'c-1', base + 2, 4),
      {
        t: 'ACK',
        seq: 4,
        at: NOW,
        key: `c-1#${base}`,
        receipt: { receiptId: 'r1', result: 'accepted', serverTime: NOW },
      },
      seal(5, 'c-2', base + 3),
      {
        t: 'REJECT',
        seq: 6,
        at: NOW,
        key: `c-2#${base + 3}`,
        rejection: { code: 'CONTRACT_NOT_ACTIVE', serverTime: NOW - 1 },
      },
      seal(7, 'c-1', base + 4),
      { t: 'DELETE', seq: 8, at: NOW, key: `c-1#${base + 4}`, reason: 'user' },
    ].map((r) => encodeFrame(r));
    writeFileSync(path.join(cacheDir, 'journal', '000000000001.jrnl'), Buffer.concat(frames.slice(0, 4)));
    const torn = encodeFrame(seal(9, 'c-1', base + 5)).subarray(0, 30);
    writeFileSync(
      path.join(cacheDir, 'journal', '000000000002.jrnl'),
      Buffer.concat([...frames.slice(4), torn]),
    );
    const before = fingerprint(dir);

    const { value, sources } = await collect(dir);
    expect(fingerprint(dir)).toBe(before);
    expect(value).toMatchObject({
      format: 'engine',
      formatVersion: 'tracker-engine 1',
      pendingSegments: 2,
      pendingMinutes: 14,
      capacityMinutes: 240,
      capacitySource: 'config',
      tornTail: { file: '000000000002.jrnl', bytes: 30 },
      damaged: [],
      quarantined: [{ name: '000000000000.jrnl.corrupt-1', bytes: 7 }],
      status: { state: 'OFFLINE_CACHING', label: 'Offline (caching)', lastSuccessAt: null },
      probe: null,
      engineNow: NOW,
    });
    expect(value.oldestPending).toMatchObject({
      contractId: 'c-1',
      slotStart: (base + 1) * SLOT,
      lockAt: LOCK_THIS_WEEK,
    });
    expect(value.newestPending?.slotStart).toBe((base + 2) * SLOT);
    expect(value.rejected).toEqual([
      {
        contractId: 'c-2',
        slotStart: (base + 3) * SLOT,
        minutes: 10,
        code: 'CONTRACT_NOT_ACTIVE',
        at: NOW - 1,
      },
    ]);
    expect(sources.some((s) => s.endsWith('000000000001.jrnl'))).toBe(true);
    expect(sources.some((s) => s.endsWith('config.json'))).toBe(true);

    const f = await cacheFullness.run(
      makeFacts({ cache: value }, { collectedAt: new Date(NOW).toISOString() }),
    );
    // Damage is the headline (a file was quarantined, the journal ends cut off); the refusal follows.
    expect(f.code).toBe('UWD-CACHE-009');
    expect(f.details?.some((d) => d.includes('UWD-CACHE-008'))).toBe(true);
  });

  it('reports mid-file damage without repairing it', async () => {
    const { encodeFrame } = await import('../../src/engine/store/frame.js');
    const dir = tempDir();
    const cacheDir = path.join(dir, 'Upwork', 'Cache');
    mkdirSync(path.join(cacheDir, 'journal'), { recursive: true });
    writeFileSync(path.join(cacheDir, 'FORMAT'), 'tracker-engine 1\n');
    const base = Math.floor(NOW / SLOT) - 10;
    const a = encodeFrame(seal(1, 'c-1', base));
    const b = Buffer.from(encodeFrame(seal(2, 'c-1', base + 1)));
    b[b.length - 5] = 0x21; // flip a byte inside the JSON: checksum mismatch
    const c = encodeFrame(seal(3, 'c-1', base + 2));
    const file = path.join(cacheDir, 'journal', '000000000001.jrnl');
    writeFileSync(file, Buffer.concat([a, b, c]));
    const before = readFileSync(file);
    const { value } = await collect(dir);
    expect(readFileSync(file).equals(before)).toBe(true);
    expect(value.damaged).toEqual([
      { file: 'journal/000000000001.jrnl', offset: a.length, why: 'crc mismatch' },
    ]);
    expect(value.tornTail).toBeNull();
    // The engine's recovery keeps every valid record, the one after the damage too.
    expect(value.pendingSegments).toBe(2);
    expect(value.capacitySource).toBe('default');
  });

  it('the installed app: folder sizes and ages only, format unknown', async () => {
    const dir = tempDir();
    mkdirSync(path.join(dir, 'Upwork', 'Offline'), { recursive: true });
    mkdirSync(path.join(dir, 'Upwork', 'GPUCache'), { recursive: true });
    writeFileSync(path.join(dir, 'Upwork', 'Offline', 'a.bin'), Buffer.alloc(1000));
    writeFileSync(path.join(dir, 'Upwork', 'Offline', 'b.bin'), Buffer.alloc(24));
    writeFileSync(path.join(dir, 'Upwork', 'GPUCache', 'x'), Buffer.alloc(5));
    // Electron's working folder: Chromium's caches, never the offline cache.
    for (const c of [
      ['Cache', 'Cache_Data'],
      ['Code Cache', 'js'],
      ['Default', 'Cache'],
    ]) {
      mkdirSync(path.join(dir, 'Upwork', 'UserData', ...c), { recursive: true });
      writeFileSync(path.join(dir, 'Upwork', 'UserData', ...c, 'f_000001'), Buffer.alloc(7));
    }
    const { value } = await collect(dir);
    expect(value.format).toBe('unknown');
    expect(value.folders).toEqual([
      expect.objectContaining({ path: path.join(dir, 'Upwork', 'Offline'), files: 2, bytes: 1024 }),
    ]);
    expect(value.note).toMatch(/private format/);
  });

  it('a missing data folder is not-collected, never a pass', async () => {
    const { cacheCollector } = await import('../../src/facts/cache.js');
    await expect(collect(path.join(tempDir(), 'nope'))).rejects.toMatchObject({ reason: 'not-applicable' });
    expect(cacheCollector.key).toBe('cache');
  });
});
