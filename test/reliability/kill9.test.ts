/**
 * kill -9 at every named durable step (and at random moments): the tracker runs as a real child
 * process, is killed with SIGKILL, restarted and verified. Proves that no acknowledged (sealed and
 * fsynced) segment is lost or duplicated, that recovery gives the same state twice, and, with the
 * reference server, that uploading after the restarts bills every segment exactly once.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { appendFile, mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FakeClock, seededRng, DURABLE_STEPS, type DurableStep } from '../../src/engine/index.js';

const WORKER = path.resolve('dist/engine/worker.js');
const T0 = Date.UTC(2025, 0, 6, 9, 0, 0);
const dirs: string[] = [];

interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  lines: string[];
  stderr: string;
}

function runWorker(
  args: string[],
  env: Record<string, string> = {},
  /** SIGKILL `extraMs` after the child reported its `afterSeals`-th sealed segment. */
  killAt?: { afterSeals: number; extraMs: number },
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WORKER, ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    let killer: NodeJS.Timeout | undefined;
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (killAt && !killer && (out.match(/^SEALED /gm) ?? []).length >= killAt.afterSeals) {
        killer = setTimeout(() => child.kill('SIGKILL'), killAt.extraMs);
      }
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const guard = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(guard);
      if (killer) clearTimeout(killer);
      resolve({ code, signal, lines: out.split('\n').filter(Boolean), stderr: err });
    });
  });
}

function sealedLines(r: RunResult): Map<string, string> {
  const m = new Map<string, string>();
  for (const l of r.lines) {
    const [tag, key, fp] = l.split(' ');
    if (tag === 'SEALED') m.set(key!, fp!);
  }
  return m;
}

interface Verified {
  digest: string;
  segments: { key: string; fingerprint: string; state: string; blob: boolean | null }[];
  stats: { degraded: boolean; repairs: number };
}

async function verify(cache: string): Promise<Verified> {
  const r = await runWorker(['verify', cache]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.lines.at(-1)!) as Verified;
}

/** Recover twice (same state both times) and check every acknowledged segment survived once. */
async function assertRecovered(cache: string, acked: Map<string, string>): Promise<Verified> {
  const v1 = await verify(cache);
  const v2 = await verify(cache);
  expect(v2.digest).toBe(v1.digest);
  const keys = v1.segments.map((s) => s.key);
  expect(new Set(keys).size).toBe(keys.length);
  const byKey = new Map(v1.segments.map((s) => [s.key, s]));
  for (const [key, fp] of acked) {
    expect(byKey.get(key)?.fingerprint, `acknowledged segment ${key} lost`).toBe(fp);
  }
  for (const s of v1.segments) expect(s.blob, `segment ${s.key} lost its screenshot`).toBe(true);
  expect(v1.stats.degraded).toBe(false);
  return v1;
}

async function tmp(): Promise<string> {
  const d = await mkdtemp(path.join(os.tmpdir(), 'uwd-kill9-'));
  dirs.push(d);
  return d;
}

afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const built = existsSync(WORKER);

describe.skipIf(!built)('kill -9 at every durable step', () => {
  const steps = DURABLE_STEPS.filter((s) => s !== 'recovery.afterTrim');

  it.each(steps.map((s) => [s]))('%s', async (step: DurableStep) => {
    let killedOnce = false;
    for (const n of [1, 3]) {
      const cache = path.join(await tmp(), 'Cache');
      const acked = new Map<string, string>();
      const crashed = await runWorker(['track', cache, String(T0), '70', '1440', '4'], {
        UWD_CRASH_AT: `${step}:${n}`,
      });
      for (const [k, v] of sealedLines(crashed)) acked.set(k, v);
      if (crashed.signal === 'SIGKILL') killedOnce = true;
      else expect(crashed.code, crashed.stderr).toBe(0);
      // Restart: recovery, then more tracking on top of it.
      const again = await runWorker(['track', cache, String(T0), '30', '1440', '4']);
      expect(again.code, again.stderr).toBe(0);
      for (const [k, v] of sealedLines(again)) acked.set(k, v);
      await assertRecovered(cache, acked);
    }
    expect(killedOnce, `step ${step} was never reached`).toBe(true);
  });

  it('trims a torn final record, journals the repair, and survives a kill right after the trim', async () => {
    const cache = path.join(await tmp(), 'Cache');
    const first = await runWorker(['track', cache, String(T0), '40', '1440', '1000']);
    expect(first.code, first.stderr).toBe(0);
    const acked = sealedLines(first);
    const journal = path.join(cache, 'journal');
    const files = (await readdir(journal)).sort();
    // A write cut short by a power cut: the header promises more bytes than arrived.
    await appendFile(path.join(journal, files.at(-1)!), 'J1 0badc0de 400 {"t":"SEAL","seq":99');
    const killed = await runWorker(['track', cache, String(T0), '10'], {
      UWD_CRASH_AT: 'recovery.afterTrim:1',
    });
    expect(killed.signal).toBe('SIGKILL');
    const v = await assertRecovered(cache, acked);
    expect(v.stats.repairs).toBe(0);
    // A second torn tail, recovered without a crash: trimmed once, REPAIR journaled, same state twice.
    const now = (await readdir(journal)).sort();
    await appendFile(path.join(journal, now.at(-1)!), 'J1 0badc0de 99 {"t":"AC');
    const repaired = await assertRecovered(cache, acked);
    expect(repaired.stats.repairs).toBe(1);
    const again = await runWorker(['track', cache, String(T0), '20']);
    expect(again.code, again.stderr).toBe(0);
    for (const [k, f] of sealedLines(again)) acked.set(k, f);
    await assertRecovered(cache, acked);
  });

  it('survives SIGKILL at random moments across repeated restarts', async () => {
    const rng = seededRng(20250106);
    const cache = path.join(await tmp(), 'Cache');
    const acked = new Map<string, string>();
    let kills = 0;
    for (let i = 0; i < 8; i++) {
      const r = await runWorker(
        ['track', cache, String(T0), '2000', '100000', '5'],
        {},
        {
          afterSeals: 1 + rng.int(20),
          extraMs: rng.int(15),
        },
      );
      if (r.signal === 'SIGKILL') kills++;
      else expect(r.code, r.stderr).toBe(0);
      for (const [k, v] of sealedLines(r)) acked.set(k, v);
    }
    expect(kills).toBeGreaterThan(0);
    expect(acked.size).toBeGreaterThan(0);
    await assertRecovered(cache, acked);
  });
});

const haveServer =
  existsSync(path.resolve('src/engine/server/index.ts')) &&
  existsSync(path.resolve('src/engine/uploader.ts'));

describe.skipIf(!built || !haveServer)('kill -9, restart, upload: billed exactly once', () => {
  it.each([['journal.afterWriteBeforeFsync'], ['journal.afterFsync'], ['journal.beforeWrite']])(
    'upload killed at %s, then re-uploaded',
    async (step) => {
      const { startServer } = await import('../../src/engine/server/index.js');
      const root = await tmp();
      const cache = path.join(root, 'Cache');
      const acked = new Map<string, string>();
      const crashed = await runWorker(['track', cache, String(T0), '120', '1440', '4'], {
        UWD_CRASH_AT: 'snapshot.afterRename:1',
      });
      for (const [k, v] of sealedLines(crashed)) acked.set(k, v);
      const again = await runWorker(['track', cache, String(T0), '60', '1440', '4']);
      for (const [k, v] of sealedLines(again)) acked.set(k, v);
      const before = await assertRecovered(cache, acked);

      const clock = new FakeClock(Date.UTC(2025, 0, 7, 9));
      const server = await startServer({
        dataDir: root,
        port: 0,
        clock,
        writeServerJson: false,
        seedContracts: [
          {
            id: 'c-kill',
            title: 'Crash test',
            client: 'Reliability',
            type: 'hourly',
            status: 'active',
            startDate: Date.UTC(2020, 0, 1),
            weeklyLimitHours: null,
            manualTimeAllowed: true,
          },
        ],
      });
      try {
        const up = [cache, server.url, server.caPath, String(clock.now())];
        // The first upload dies after the server committed a batch but before the ACK is durable.
        const killed = await runWorker(['upload', ...up], { UWD_CRASH_AT: `${step}:1` });
        expect(killed.signal).toBe('SIGKILL');
        const done = await runWorker(['upload', ...up]);
        expect(done.code, done.stderr).toBe(0);
        expect(JSON.parse(done.lines.at(-1)!)).toMatchObject({ outcome: 'drained', pending: 0 });
        const after = await assertRecovered(cache, acked);
        expect(after.segments.every((s) => s.state === 'acked')).toBe(true);
        const live = [...server.state.segments.values()].filter((s) => !s.deleted);
        const serverKeys = live.map((s) => `${s.seg.contractId}#${s.seg.slot}`);
        expect(new Set(serverKeys).size).toBe(serverKeys.length);
        expect(new Set(serverKeys)).toEqual(new Set(before.segments.map((s) => s.key)));
        const receipts = new Set(live.map((s) => s.receiptId));
        expect(receipts.size).toBe(live.length);
        for (const s of live) {
          const local = before.segments.find((b) => b.key === `${s.seg.contractId}#${s.seg.slot}`);
          expect(s.seg.fingerprint).toBe(local!.fingerprint);
        }
      } finally {
        await server.close();
      }
    },
  );
});
