/**
 * Damage must never read as health. A cache with snapshots (two generations) and rotated journal
 * files, some time acknowledged and some waiting, is copied and damaged at random: bytes flipped,
 * files cut short or deleted, a journal file replaced by a folder, a garbage FORMAT. On each copy:
 * - the engine's own recovery (opening the store, on a second copy) is the oracle;
 * - the doctor's cache collector + cache-fullness never say "Nothing waits" when the oracle finds
 *   time waiting, and never pass when time the intact cache held has gone missing;
 * - `engine status` never crashes (a clean one-line UserError at most).
 */
import { cp, mkdir, mkdtemp, readdir, rm, stat, truncate, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runEngineCommand } from '../../src/cli/run-engine.js';
import { createTestContext } from '../../src/core/context.js';
import { UserError } from '../../src/core/errors.js';
import { makeFacts } from '../helpers/facts.js';
import { cacheFullness } from '../../src/checks/cache-fullness.js';
import { cacheCollector, type CacheFacts } from '../../src/facts/cache.js';
import { FakeClock, openStore } from '../../src/engine/index.js';
import { testSegment } from '../helpers/segments.js';

const T0 = Date.UTC(2026, 10, 16, 9);
const SLOT0 = T0 / 600_000;
const NOW = T0 + 2 * 86_400_000;
let root: string;
let base: string;
let basePending = 0;

const seg = (i: number) => testSegment(SLOT0, i);

/** 30 segments, 12 acknowledged, snapshots every 10 records and journal files of at most 6 KiB. */
async function buildBase(dataDir: string): Promise<number> {
  const cacheDir = path.join(dataDir, 'Upwork', 'Cache');
  const store = await openStore({
    cacheDir,
    capacityMinutes: 1440,
    clock: new FakeClock(T0),
    snapshotEveryRecords: 10,
    journalMaxBytes: 6 * 1024,
  });
  for (let i = 0; i < 30; i++) await store.seal((await seg(i)).segment, (await seg(i)).png);
  for (const p of store.pendingSegments().slice(0, 12))
    await store.ack(p, { receiptId: `r${p.slot}`, result: 'accepted', serverTime: T0 });
  await store.flush();
  const pending = store.pendingMinutes();
  await store.close();
  await mkdir(path.join(dataDir, 'engine'), { recursive: true });
  // What the running tracker last reported, as its status writer does.
  await writeFile(
    path.join(dataDir, 'engine', 'status.json'),
    JSON.stringify({
      state: 'OFFLINE_CACHING',
      label: 'Offline (caching)',
      pendingMinutes: pending,
      updatedAt: T0,
    }),
  );
  return pending;
}

async function files(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await files(p)));
    else out.push(p);
  }
  return out.sort();
}

type Op =
  | { kind: 'flip' | 'truncate' | 'delete' | 'folder'; pick: number; at: number }
  | { kind: 'format' | 'state-gone' };

const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      kind: fc.constantFrom('flip', 'flip', 'truncate', 'delete', 'folder'),
      pick: fc.nat(),
      at: fc.double({ min: 0, max: 1, noNaN: true }),
    }) as fc.Arbitrary<Op>,
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constantFrom('format', 'state-gone') }) as fc.Arbitrary<Op> },
);

/** Only the cache's own files are damaged: journal, state and FORMAT (screenshots are content-addressed). */
async function damage(cacheDir: string, o: Op): Promise<void> {
  if (o.kind === 'format') return writeFile(path.join(cacheDir, 'FORMAT'), Buffer.from([0xff, 0x00, 0x41]));
  if (o.kind === 'state-gone') return rm(path.join(cacheDir, 'state'), { recursive: true, force: true });
  const d = o as Extract<Op, { pick: number }>;
  const all = (await files(cacheDir)).filter((f) => /journal|state/.test(path.relative(cacheDir, f)));
  if (all.length === 0) return;
  const file = all[d.pick % all.length]!;
  const size = (await stat(file)).size;
  const at = Math.floor(d.at * size);
  if (o.kind === 'delete') return rm(file, { force: true });
  if (o.kind === 'truncate') return truncate(file, at);
  if (o.kind === 'folder') {
    await rm(file, { force: true });
    return void (await mkdir(file));
  }
  if (size === 0) return;
  const buf = await readFile(file);
  const i = Math.min(at, size - 1);
  buf[i] = buf[i]! ^ (1 << (at % 8));
  await writeFile(file, buf);
}

async function doctor(dataDir: string): Promise<{ facts: CacheFacts; summary: string; status: string }> {
  const facts = await cacheCollector.collect({
    ctx: createTestContext({ now: () => NOW }),
    target: { kind: 'embedded', dataDir, found: true, reason: 'test' },
    options: {},
    signal: new AbortController().signal,
    source: () => undefined,
    waitingOn: () => undefined,
  });
  const f = await cacheFullness.run(
    makeFacts({ cache: facts }, { collectedAt: new Date(NOW).toISOString() }),
  );
  return { facts, summary: f.summary, status: f.status };
}

/** The engine's own recovery on its own copy: the pending minutes it keeps, or undefined if it refuses to open. */
async function oracle(dataDir: string): Promise<number | undefined> {
  try {
    const s = await openStore({
      cacheDir: path.join(dataDir, 'Upwork', 'Cache'),
      capacityMinutes: 1440,
      clock: new FakeClock(NOW),
    });
    const n = s.pendingMinutes();
    await s.close();
    return n;
  } catch {
    return undefined;
  }
}

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'uwd-damage-'));
  base = path.join(root, 'base');
  basePending = await buildBase(base);
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('a damaged cache never reads as health', () => {
  it('the intact cache has snapshots, rotated journals and waiting time', async () => {
    const cache = path.join(base, 'Upwork', 'Cache');
    expect((await readdir(path.join(cache, 'state'))).filter((n) => n.startsWith('snap-')).length).toBe(2);
    expect((await readdir(path.join(cache, 'journal'))).length).toBeGreaterThan(1);
    expect(basePending).toBe(180);
    const d = await doctor(base);
    expect(d.status).toBe('pass');
    expect(d.facts.pendingMinutes).toBe(180);
  });

  it('property: over a few hundred randomly damaged copies', async () => {
    let n = 0;
    let headlined = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 3 }), async (ops) => {
        const dir = path.join(root, `case-${n++}`);
        const twin = `${dir}-oracle`;
        await cp(base, dir, { recursive: true });
        for (const o of ops) await damage(path.join(dir, 'Upwork', 'Cache'), o);
        await cp(dir, twin, { recursive: true });
        try {
          const d = await doctor(dir);
          const kept = await oracle(twin);
          if (kept === undefined || kept > 0) expect(d.summary).not.toMatch(/Nothing waits/);
          const seen = d.facts.pendingMinutes ?? 0;
          if (seen < basePending) {
            // Time the intact cache held is not there: that is the headline, never a pass.
            expect(d.status, `${JSON.stringify(ops)}: ${d.summary}`).not.toBe('pass');
            expect(d.summary).toMatch(/could not be read or is damaged/);
            headlined++;
          }
          const ctx = createTestContext({ now: () => NOW });
          await runEngineCommand('status', { dataDir: dir, json: true }, ctx).catch((e: unknown) => {
            expect(e, String(e)).toBeInstanceOf(UserError);
          });
        } finally {
          await rm(dir, { recursive: true, force: true });
          await rm(twin, { recursive: true, force: true });
        }
      }),
      { numRuns: 200, seed: 1201 },
    );
    expect(n).toBe(200);
    expect(headlined).toBeGreaterThan(20);
  }, 300_000);

  it('a journal file replaced by a folder: a damage headline, and engine status answers', async () => {
    const dir = path.join(root, 'eisdir');
    await cp(base, dir, { recursive: true });
    const jdir = path.join(dir, 'Upwork', 'Cache', 'journal');
    const last = (await readdir(jdir)).sort().at(-1)!;
    await rm(path.join(jdir, last));
    await mkdir(path.join(jdir, last));
    const d = await doctor(dir);
    expect(d.status).toBe('fail');
    expect(d.summary).toMatch(/could not be read or is damaged/);
    const ctx = createTestContext({ now: () => NOW });
    expect(await runEngineCommand('status', { dataDir: dir }, ctx)).toBe(0);
    expect(ctx.out.join('')).toMatch(/Damage: .*it is a folder, not a file/);
  });

  it('an empty journal and a garbage FORMAT each say what is wrong', async () => {
    // A young cache (no snapshot yet) whose journal was emptied: its screenshots still show the loss.
    const young = path.join(root, 'young');
    const store = await openStore({
      cacheDir: path.join(young, 'Upwork', 'Cache'),
      capacityMinutes: 1440,
      clock: new FakeClock(T0),
    });
    for (let i = 0; i < 6; i++) await store.seal((await seg(i)).segment, (await seg(i)).png);
    await store.close();
    const jdir = path.join(young, 'Upwork', 'Cache', 'journal');
    for (const f of await readdir(jdir)) await truncate(path.join(jdir, f), 0);
    const empty = await doctor(young);
    expect(empty.status).toBe('fail');
    expect(empty.summary).toMatch(/could not be read or is damaged.*about 1 h of tracked time/);

    const dir = path.join(root, 'format');
    await cp(base, dir, { recursive: true });
    await writeFile(path.join(dir, 'Upwork', 'Cache', 'FORMAT'), 'not a cache\n');
    const d = await doctor(dir);
    expect(d.status).not.toBe('pass');
    expect(d.summary).toMatch(/could not be read or is damaged \(FORMAT\)/);
  });
});
