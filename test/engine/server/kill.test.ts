/**
 * kill -9 of the work-diary server as a real process, at each named server step and at random
 * moments, while the real uploader drains a real cache: after restarts, every sealed segment is
 * billed exactly once and the server's journal recovers to the same state every time.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { FakeClock, seededRng } from '../../../src/engine/clock.js';
import { weekIdOf, type WireSegment } from '../../../src/engine/protocol.js';
import { WorkDiaryClient } from '../../../src/engine/server/client.js';
import { SERVER_STEPS } from '../../../src/engine/server/index.js';
import { openStore } from '../../../src/engine/store/store.js';
import { Uploader } from '../../../src/engine/uploader.js';
import { freshDataDir, makeSegment, removeTmpDirs, SLOT0, T0 } from './fixtures.js';

const MAIN = path.resolve('dist/engine/server/main.js');
afterAll(removeTmpDirs);

interface Proc {
  child: ChildProcess;
  client: WorkDiaryClient;
  exited: Promise<number | null>;
  dead: boolean;
}

async function spawnServer(dataDir: string, crashAt?: string): Promise<Proc> {
  const child = spawn(process.execPath, [MAIN, '--data-dir', dataDir, '--now', String(T0)], {
    env: { ...process.env, UWD_CRASH_AT: crashAt ?? '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const proc: Partial<Proc> = { child, dead: false };
  proc.exited = new Promise((resolve) =>
    child.on('exit', (code) => {
      proc.dead = true;
      resolve(code);
    }),
  );
  const line = await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    rl.once('line', resolve);
    child.once('exit', () => reject(new Error('server exited before listening')));
    setTimeout(() => reject(new Error('server did not start in 20 s')), 20_000);
  });
  const info = JSON.parse(line) as { url: string; caPath: string };
  proc.client = new WorkDiaryClient({
    url: info.url,
    ca: await fsp.readFile(info.caPath, 'utf8'),
    timeoutMs: 5_000,
  });
  return proc as Proc;
}

async function stop(p: Proc): Promise<void> {
  if (!p.dead) p.child.kill('SIGTERM');
  await p.exited;
}

async function billedKeys(client: WorkDiaryClient): Promise<Map<string, string>> {
  const d = await client.diary('c-1001', weekIdOf(T0));
  return new Map(d.body.segments.map((s) => [`c-1001#${s.slot}`, s.receiptId]));
}

async function runOnce(crashAt: string | undefined, killAfterMs?: number): Promise<void> {
  const dataDir = await freshDataDir();
  const store = await openStore({
    cacheDir: path.join(dataDir, 'Upwork', 'Cache'),
    capacityMinutes: 1440,
    clock: new FakeClock(T0),
  });
  const sealed: WireSegment[] = [];
  for (let i = 0; i < 30; i++) {
    const { segment, png } = makeSegment({
      contractId: 'c-1001',
      slot: SLOT0 - 40 + i,
      screenshot: i % 2 === 0,
    });
    await store.seal(segment, png);
    sealed.push(segment);
  }
  let server = await spawnServer(dataDir, crashAt);
  const uploader = new Uploader({
    store,
    client: () => server.client,
    deviceId: 'device-a',
    clock: new FakeClock(T0),
    rng: seededRng(5),
    batchSize: 10,
    sleep: async () => undefined,
  });
  let restarts = 0;
  try {
    if (killAfterMs !== undefined) setTimeout(() => server.child.kill('SIGKILL'), killAfterMs);
    for (let pass = 0; pass < 20 && store.pendingSegments().length > 0; pass++) {
      await uploader.uploadOnce();
      if (server.dead || (killAfterMs !== undefined && restarts === 0)) {
        await server.exited.catch(() => undefined);
        if (!server.dead) {
          server.child.kill('SIGKILL');
          await server.exited;
        }
        server = await spawnServer(dataDir);
        restarts++;
      }
    }
    expect(store.pendingSegments()).toHaveLength(0);
    if (crashAt) expect(restarts).toBe(1);
    const billed = await billedKeys(server.client);
    expect([...billed.keys()].sort()).toEqual(sealed.map((s) => `c-1001#${s.slot}`).sort());
    const journal = await fsp.readFile(path.join(dataDir, 'server', 'server.jrnl'), 'utf8');
    expect(journal.split('\n').filter((l) => l.includes('"t":"ACCEPT"'))).toHaveLength(sealed.length);
    // The receipts the cache holds are the ones the server billed.
    for (const s of sealed) expect(store.get(s)?.receipt?.receiptId).toBe(billed.get(`c-1001#${s.slot}`));
    // Recovery is the same the second time.
    await stop(server);
    server = await spawnServer(dataDir);
    expect(await billedKeys(server.client)).toEqual(billed);
  } finally {
    await stop(server);
    await store.close();
  }
}

describe.skipIf(!existsSync(MAIN) && !process.env.CI)('work-diary server killed with SIGKILL', () => {
  for (const step of SERVER_STEPS) {
    for (const k of [1, 2]) {
      it(`at ${step} #${k}: every segment billed exactly once after restart`, () => runOnce(`${step}:${k}`));
    }
  }
  it('at random moments during an upload', async () => {
    const rng = seededRng(99);
    for (let i = 0; i < 3; i++) await runOnce(undefined, rng.int(60));
  });
});
