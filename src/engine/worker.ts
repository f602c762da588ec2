/**
 * A CLI-free tracker process for the kill -9 reliability test: it tracks simulated time into a
 * cache as fast as it can and reports each segment on stdout only after its seal was fsynced
 * (that line is the acknowledgement). `UWD_CRASH_AT=<step>:<n>` makes it SIGKILL itself at the
 * n-th hit of a named durable step, so the test can prove recovery at every one of them.
 *
 *   node dist/engine/worker.js track  <cacheDir> <startMs> <minutes> [capacity] [snapshotEvery]
 *   node dist/engine/worker.js verify <cacheDir>
 *   node dist/engine/worker.js upload <cacheDir> <serverUrl> <caPemFile> <nowMs>
 */
import { writeSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { readFile } from 'node:fs/promises';
import { FakeClock, seededRng } from './clock.js';
import { DEFAULT_SETTINGS } from './config.js';
import type { Contract } from './rules/contracts.js';
import { slotEnd } from './rules/time.js';
import type { DurableStep } from './store/fsutil.js';
import { openStore } from './store/store.js';
import { Tracker } from './tracker.js';
import { crashHook } from './crash-hook.js';

function out(line: string): void {
  // Synchronous: the line must be in the pipe before a SIGKILL can land.
  writeSync(1, `${line}\n`);
}


export const WORKER_CONTRACT: Contract = {
  id: 'c-kill',
  title: 'Crash test',
  client: 'Reliability',
  type: 'hourly',
  status: 'active',
  statusHistory: [],
  startDate: Date.UTC(2020, 0, 1),
  weeklyLimitHours: null,
  limitHistory: [{ at: Date.UTC(2020, 0, 1), hours: null }],
  manualTimeAllowed: true,
  activityRequired: false,
  activities: [],
};

async function track(args: string[]): Promise<void> {
  const [cacheDir, startStr, minutesStr, capStr, snapStr] = args;
  const capacity = Number(capStr ?? 1440);
  const probe = new FakeClock(Number(startStr));
  const store = await openStore({
    cacheDir: cacheDir!,
    capacityMinutes: capacity,
    clock: probe,
    onStep: crashHook<DurableStep>(),
    snapshotEveryRecords: Number(snapStr ?? 40),
    // The lock race test exercises the LOCK-file protocol alone (the one macOS gets) with this.
    lock: { osLock: process.env.UWD_LOCK_FILE_ONLY !== '1' },
  });
  // Resume after the newest sealed slot so a restarted run keeps producing new segments.
  const newest = store.all().at(-1)?.segment.slot;
  const start = Math.max(Number(startStr), newest === undefined ? 0 : slotEnd(newest));
  const clock = new FakeClock(start);
  const tracker = new Tracker({
    store,
    settings: { ...DEFAULT_SETTINGS, capacityMinutes: capacity, idleStopMinutes: 1000 },
    clock,
    rng: seededRng(start % 2147483647),
    deviceId: 'dev-kill',
    contracts: [WORKER_CONTRACT],
    onEvent: (e) => {
      if (e.type === 'sealed')
        out(`SEALED ${e.segment.contractId}#${e.segment.slot} ${e.segment.fingerprint}`);
    },
  });
  out(`READY ${store.stats().seq}`);
  const d = await tracker.start(WORKER_CONTRACT.id, 'kill -9 test');
  if (!d.ok) throw new Error(`tracker refused: ${d.message}`);
  // UWD_TICK_MS paces the run, so a second writer started alongside surely meets this one.
  const pace = Number(process.env.UWD_TICK_MS ?? 0);
  for (let i = 0; i < Number(minutesStr); i++) {
    clock.advance(60_000);
    await tracker.tick();
    if (pace > 0) await new Promise((r) => setTimeout(r, pace));
  }
  await tracker.stop();
  await store.close();
  out('DONE');
}

async function verify(args: string[]): Promise<void> {
  const [cacheDir] = args;
  const store = await openStore({ cacheDir: cacheDir!, capacityMinutes: 1_000_000, clock: new FakeClock(0) });
  const segments = [];
  for (const s of store.all()) {
    segments.push({
      key: `${s.segment.contractId}#${s.segment.slot}`,
      fingerprint: s.segment.fingerprint,
      state: s.state,
      blob: s.segment.screenshot ? await store.hasBlob(s.segment.screenshot.sha256) : null,
    });
  }
  const stats = store.stats();
  const digest = store.digest();
  await store.close();
  out(JSON.stringify({ digest, segments, stats }));
}

async function upload(args: string[]): Promise<void> {
  const [cacheDir, url, caFile, nowStr] = args;
  const { WorkDiaryClient } = await import('./server/client.js');
  const { Uploader } = await import('./uploader.js');
  const clock = new FakeClock(Number(nowStr));
  const store = await openStore({
    cacheDir: cacheDir!,
    capacityMinutes: 1_000_000,
    clock,
    onStep: crashHook<DurableStep>(),
  });
  const client = new WorkDiaryClient({ url: url!, ca: await readFile(caFile!) });
  const uploader = new Uploader({
    store,
    client,
    deviceId: 'dev-kill',
    freelancerId: DEFAULT_SETTINGS.freelancerId,
    clock,
    rng: seededRng(1),
    sleep: async (ms) => clock.advance(ms),
  });
  const r = await uploader.drain({ maxPasses: 20 });
  out(
    JSON.stringify({
      outcome: r.outcome,
      accepted: r.accepted,
      duplicates: r.duplicates,
      pending: store.pendingSegments().length,
    }),
  );
  await store.close();
}

const USAGE =
  'usage: worker.js track <cacheDir> <startMs> <minutes> [capacity] [snapshotEvery] | verify <cacheDir> | upload <cacheDir> <serverUrl> <caPemFile> <nowMs>';

/** A bad command line: one line on stderr, exit 2. */
class UsageError extends Error {}

/** How many positionals each mode takes (min, max), and which of them must be numbers. */
const MODES = {
  track: { min: 3, max: 5, numbers: [1, 2, 3, 4] },
  verify: { min: 1, max: 1, numbers: [] },
  upload: { min: 4, max: 4, numbers: [3] },
} as const;

function readArgs(argv: string[]): { mode: keyof typeof MODES; rest: string[] } {
  let positionals: string[];
  try {
    ({ positionals } = parseArgs({ args: argv, allowPositionals: true, strict: true, options: {} }));
  } catch (e) {
    throw new UsageError(`${(e as Error).message.replace(/\s*\n\s*/g, ' ')}; ${USAGE}`);
  }
  const [mode, ...rest] = positionals;
  if (mode === undefined || !Object.hasOwn(MODES, mode)) throw new UsageError(USAGE);
  const spec = MODES[mode as keyof typeof MODES];
  if (rest.length < spec.min || rest.length > spec.max) throw new UsageError(USAGE);
  for (const i of spec.numbers) {
    const v = rest[i];
    if (v !== undefined && !Number.isFinite(Number(v)))
      throw new UsageError(`${mode}: argument ${i + 1} must be a number, not "${v}"; ${USAGE}`);
  }
  return { mode: mode as keyof typeof MODES, rest };
}

async function main(): Promise<void> {
  const { mode, rest } = readArgs(process.argv.slice(2));
  if (mode === 'track') return track(rest);
  if (mode === 'verify') return verify(rest);
  return upload(rest);
}

main().catch((e: unknown) => {
  if (e instanceof UsageError) process.stderr.write(`worker: ${e.message}\n`);
  else process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 2;
});
