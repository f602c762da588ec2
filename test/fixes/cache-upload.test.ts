/**
 * cache-upload (src/fixes/cache-upload.js): the plan by table, then the real "upload now" on a
 * cache the engine built, against its real HTTPS work-diary server: acknowledged segments leave the
 * pending set with the server's receipt, nothing else changes, a second apply is a no-op, and an
 * unreachable service names the failing stage and leaves every byte of the cache as it was.
 */
import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Facts } from '../../src/core/facts.js';
import { UserError } from '../../src/core/errors.js';
import type { CacheFacts } from '../../src/facts/cache.js';
import { cacheUpload } from '../../src/fixes/cache-upload.js';
import { OP_UPLOAD, createEngineOps } from '../../src/fixes/engine-ops.js';
import { engineCacheFacts } from '../helpers/engine-facts.js';
import { makeFacts } from '../helpers/facts.js';
import { cachePrint, engineEnv, scenarioDir, scenarioServer, treePrint } from './engine-ops-helpers.js';

function cache(over: Partial<CacheFacts> = {}): CacheFacts {
  return engineCacheFacts({ pendingSegments: 18, pendingMinutes: 180, ...over });
}

const engineTarget = { kind: 'embedded' as const, dataDir: '/data', found: true, reason: 'test' };

describe('cache-upload plan (src/fixes/cache-upload.js)', () => {
  const rows: { name: string; facts: Facts; kinds: string[]; text?: RegExp }[] = [
    {
      name: 'engine, segments pending: one upload step through the engine',
      facts: makeFacts({ cache: cache() }, { target: engineTarget }),
      kinds: ['engine'],
      text: /18 cached segment\(s\) \(180 min\).*acknowledges/,
    },
    {
      name: 'engine folder given with --data-dir (kind installed, engine cache): still the engine',
      facts: makeFacts({ cache: cache() }, { target: { ...engineTarget, kind: 'installed' } }),
      kinds: ['engine'],
    },
    {
      name: 'engine, nothing pending: nothing to do',
      facts: makeFacts({ cache: cache({ pendingSegments: 0, pendingMinutes: 0 }) }, { target: engineTarget }),
      kinds: [],
    },
    {
      name: 'installed app (private format): guidance, never a change',
      facts: makeFacts(
        { cache: cache({ format: 'unknown', pendingSegments: null, pendingMinutes: null }) },
        { platform: 'win32' },
      ),
      kinds: ['manual'],
      text: /Never delete the cache folder/,
    },
    { name: 'cache not collected: nothing', facts: makeFacts({}), kinds: [] },
  ];
  it.each(rows)('$name', ({ facts, kinds, text }) => {
    const steps = cacheUpload.plan(facts);
    expect(steps.map((s) => s.action.kind)).toEqual(kinds);
    for (const s of steps) expect(s.id).toMatch(/^cache-upload#\d+$/);
    if (kinds[0] === 'engine') {
      expect(steps[0]!.action).toEqual({
        kind: 'engine',
        op: OP_UPLOAD,
        args: { dataDir: facts.target.dataDir },
      });
    }
    if (text) expect(JSON.stringify(steps)).toMatch(text);
    // Pure: the same facts give the same plan.
    expect(cacheUpload.plan(facts)).toEqual(steps);
  });
});

describe('upload-now on a real cache and server', () => {
  it('uploads through the engine: only acknowledged segments change, with the server receipt; twice is a no-op', async () => {
    const dir = await scenarioDir('stuck-caching');
    const server = await scenarioServer(dir);
    const before = await cachePrint(dir);
    const pendingBefore = [...before.values()].filter((s) => s.state === 'pending').length;
    expect(pendingBefore).toBe(18);

    const ops = createEngineOps();
    const env = { ...engineEnv(dir), engine: ops };
    const r = await ops.run(OP_UPLOAD, { dataDir: dir }, env);
    expect(r.changed).toBe(true);
    expect(r.state).toMatchObject({ pendingBefore: 18, pendingAfter: 0, accepted: 18, rejected: 0 });
    expect(r.message).toMatch(/18 accepted/);

    const after = await cachePrint(dir);
    expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
    for (const [key, b] of before) {
      const a = after.get(key)!;
      expect(a.segment).toBe(b.segment);
      if (b.state === 'pending') {
        expect(a.state).toBe('acked');
        // Acknowledged means the server holds it: same receipt on both sides.
        const held = [...server.state.segments.values()].find((s) => s.receiptId === a.receiptId);
        expect(held, key).toBeDefined();
      } else expect(a).toEqual(b);
    }
    // The tracker's status now says so (what cache-fullness reads).
    const { readFileSync } = await import('node:fs');
    const status = JSON.parse(readFileSync(path.join(dir, 'engine', 'status.json'), 'utf8')) as {
      state: string;
    };
    expect(status.state).toBe('ONLINE');

    const cacheBytes = treePrint(path.join(dir, 'Upwork', 'Cache'));
    const again = await ops.run(OP_UPLOAD, { dataDir: dir }, env);
    expect(again.changed).toBe(false);
    expect(treePrint(path.join(dir, 'Upwork', 'Cache'))).toEqual(cacheBytes);

    // Undo cannot un-upload: it says so and changes nothing.
    await ops.undo!(OP_UPLOAD, r.state, env);
    expect(env.ctx.err.join('')).toMatch(/cannot be taken back.*18 segment/);
    expect(treePrint(path.join(dir, 'Upwork', 'Cache'))).toEqual(cacheBytes);
    await ops.close();
  });

  it('service unreachable: names the failing stage, says the cache is safe, touches no byte', async () => {
    const dir = await scenarioDir('cache-75');
    await scenarioServer(dir); // offline fault: server.json points at a port nobody listens on
    const bytes = treePrint(dir);
    const ops = createEngineOps({ requestTimeoutMs: 3_000 });
    const env = { ...engineEnv(dir), engine: ops };
    const err = await ops.run(OP_UPLOAD, { dataDir: dir }, env).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(/TCP stage failed.*refused/);
    expect((err as Error).message).toMatch(/Your cached time is safe.*109 segment\(s\), 1090 min still wait/);
    expect(treePrint(dir)).toEqual(bytes);
    expect(existsSync(path.join(dir, 'Upwork', 'Cache', 'LOCK'))).toBe(false);
  });

  it('no server at all: says how to start one; the cache is untouched', async () => {
    const dir = await scenarioDir('cache-near-lock');
    const bytes = treePrint(dir);
    const ops = createEngineOps();
    const err = await ops.run(OP_UPLOAD, { dataDir: dir }, engineEnv(dir)).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/no work-diary server is running.*engine serve/);
    expect((err as Error).message).toMatch(/cached time is safe/);
    expect(treePrint(dir)).toEqual(bytes);
  });
});
