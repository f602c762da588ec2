/**
 * The store lock under a race: two real tracker processes started together on one cache, with a
 * LOCK left behind in each state a crash or another machine can leave (none, stale pid, empty,
 * garbage, another host). Never may both run; every segment either acknowledged stays in the
 * cache once with the same fingerprint. Run with the OS lock (Linux: abstract socket) and with the
 * LOCK-file protocol alone (what macOS gets). Needs `npm run build`.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/engine/clock.js';
import { acquireLock } from '../../src/engine/store/lock.js';
import { openStore } from '../../src/engine/store/store.js';

const WORKER = path.resolve('dist/engine/worker.js');
const T0 = Date.UTC(2025, 0, 6, 9, 0, 0);
const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function tmp(): Promise<string> {
  const d = await mkdtemp(path.join(os.tmpdir(), 'uwd-lock-'));
  dirs.push(d);
  return d;
}

interface Run {
  code: number | null;
  lines: string[];
  stderr: string;
}

function worker(args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WORKER, ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const guard = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(guard);
      resolve({ code, lines: out.split('\n').filter(Boolean), stderr: err });
    });
  });
}

function sealed(r: Run): Map<string, string> {
  const m = new Map<string, string>();
  for (const l of r.lines) {
    const [tag, key, fp] = l.split(' ');
    if (tag === 'SEALED') m.set(key!, fp!);
  }
  return m;
}

type LockKind = 'none' | 'stale' | 'empty' | 'garbage' | 'foreign';

async function leaveLock(cache: string, kind: LockKind): Promise<void> {
  const file = path.join(cache, 'LOCK');
  if (kind === 'stale')
    await writeFile(file, JSON.stringify({ pid: 2 ** 22 + 17, startedAt: 0, host: os.hostname() }));
  if (kind === 'empty') await writeFile(file, '');
  if (kind === 'garbage') await writeFile(file, '{"pid":');
  if (kind === 'foreign')
    await writeFile(file, JSON.stringify({ pid: process.pid, startedAt: 0, host: 'other-laptop' }));
}

const isLocked = (r: Run) => r.code !== 0 && /in use by another process|locked by computer/.test(r.stderr);

async function race(kind: LockKind, fileOnly: boolean): Promise<void> {
  const cache = path.join(await tmp(), 'Cache');
  // Some time already cached and acknowledged, then the LOCK a crash (or another machine) left.
  const first = await worker(['track', cache, String(T0), '30', '1440', '7'], {});
  expect(first.code, first.stderr).toBe(0);
  const acked = sealed(first);
  await leaveLock(cache, kind);
  const env = { UWD_TICK_MS: '20', ...(fileOnly ? { UWD_LOCK_FILE_ONLY: '1' } : {}) };
  const [a, b] = await Promise.all([
    worker(['track', cache, String(T0), '30', '1440', '7'], env),
    worker(['track', cache, String(T0), '30', '1440', '7'], env),
  ]);
  if (kind === 'foreign') {
    // Its owner cannot be checked from here: nobody takes it over, and the file stays.
    expect(isLocked(a) && isLocked(b), `${a.stderr}\n${b.stderr}`).toBe(true);
    expect(await readFile(path.join(cache, 'LOCK'), 'utf8')).toContain('other-laptop');
    return;
  }
  // Exactly one ran (the run is paced, so the second always meets the first); the other was refused.
  const ran = [a, b].filter((r) => r.code === 0);
  expect(ran.length, `${a.stderr}\n${b.stderr}`).toBe(1);
  expect([a, b].filter(isLocked).length).toBe(1);
  for (const [k, fp] of sealed(ran[0]!)) acked.set(k, fp);
  const verify = await worker(['verify', cache], {});
  expect(verify.code, verify.stderr).toBe(0);
  const v = JSON.parse(verify.lines.at(-1)!) as { segments: { key: string; fingerprint: string }[] };
  const inCache = new Map(v.segments.map((s) => [s.key, s.fingerprint]));
  expect(inCache.size).toBe(v.segments.length);
  for (const [k, fp] of acked) expect(inCache.get(k), k).toBe(fp);
}

describe('store lock', () => {
  for (const fileOnly of [false, true]) {
    const mode = fileOnly ? 'LOCK file alone' : 'OS lock';
    for (const kind of ['none', 'stale', 'empty', 'garbage', 'foreign'] as const) {
      const what = kind === 'none' ? 'no' : kind === 'empty' ? 'an empty' : `a ${kind}`;
      it(`${mode}: two writers race with ${what} LOCK: never both run, nothing acknowledged lost`, async () => {
        for (let trial = 0; trial < 2; trial++) await race(kind, fileOnly);
      }, 60_000);
    }
  }

  it('a LOCK of a live process on this host is never taken over, in either mode', async () => {
    for (const osLock of [true, false]) {
      const cache = path.join(await tmp(), 'Cache');
      const clock = new FakeClock(T0);
      const store = await openStore({ cacheDir: cache, capacityMinutes: 1440, clock, lock: { osLock } });
      await expect(
        openStore({ cacheDir: cache, capacityMinutes: 1440, clock, lock: { osLock } }),
      ).rejects.toThrow(/in use by another process/);
      await store.close();
      const again = await openStore({ cacheDir: cache, capacityMinutes: 1440, clock, lock: { osLock } });
      await again.close();
    }
  });

  it('the LOCK file is written complete: never empty for a moment', async () => {
    const dir = await tmp();
    const file = path.join(dir, 'LOCK');
    const release = await acquireLock(file, T0, { osLock: false });
    const info = JSON.parse(await readFile(file, 'utf8')) as { pid: number };
    expect(info.pid).toBe(process.pid);
    await release();
  });
});
