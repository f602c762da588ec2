/**
 * The body of `upwork-doctor engine serve|track|status|upload`: a person runs the reference
 * tracker and its work-diary server, goes offline, comes back, and watches the cache fill and drain.
 */
import path from 'node:path';
import { createContext } from '../core/context.js';
import type { Context } from '../core/context.js';
import { UserError } from '../core/errors.js';
import { ExitCode } from '../core/exit-codes.js';
import type { Clock } from '../engine/clock.js';
import type { EngineSettings } from '../engine/config.js';
import type { Faults, StatusFile } from '../engine/protocol.js';
import { ensureEmbeddedDir } from '../targets/resolve.js';
import { plural } from '../core/format.js';
import { printText } from './output.js';

export type EngineSub = 'serve' | 'track' | 'status' | 'upload';

export interface EngineOptions {
  dataDir?: string;
  port?: number;
  fault?: string[];
  skew?: number;
  slow?: number;
  contract?: string;
  memo?: string;
  minutes?: number;
  speed?: number;
  json?: boolean;
}

const MINUTE = 60_000;

function utc(ms: number | null | undefined): string {
  return ms == null ? '—' : `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

async function dataDirOf(opts: EngineOptions, ctx: Context): Promise<string> {
  if (opts.dataDir) return path.resolve(opts.dataDir);
  return ensureEmbeddedDir(ctx);
}

async function requireEngine(dataDir: string): Promise<void> {
  const { isEngineFolder } = await import('../engine/embedded.js');
  if (!isEngineFolder(dataDir)) {
    throw new UserError(
      `${dataDir} does not hold a reference engine (no Upwork/Cache/FORMAT). Leave out --data-dir to use the embedded one.`,
    );
  }
}

/** Open the cache for writing; a running tracker holds its lock, and that is a clear message, not a crash. */
async function openCache(dataDir: string, settings: EngineSettings, clock: Clock) {
  const { openStore } = await import('../engine/store/store.js');
  const { StoreError } = await import('../engine/store/types.js');
  const { storeSettings } = await import('../engine/config.js');
  try {
    return await openStore({
      cacheDir: path.join(dataDir, 'Upwork', 'Cache'),
      ...storeSettings(settings),
      clock,
    });
  } catch (e) {
    if (e instanceof StoreError) {
      throw new UserError(
        e.code === 'locked'
          ? `The cache in ${dataDir} is in use by another engine process (engine track or upload); wait for it to finish.`
          : `The cache in ${dataDir} cannot be opened: ${e.message}`,
      );
    }
    throw e;
  }
}

function faultsFrom(opts: EngineOptions): Faults {
  const f: Faults = {};
  for (const name of opts.fault ?? []) {
    if (name === 'offline') f.offline = true;
    else if (name === 'maintenance') f.maintenance = true;
    else if (name === 'slow') f.slowMs = opts.slow ?? 3000;
    else if (name === 'skew') f.skewMs = Math.round((opts.skew ?? 600) * 1000);
    else if (name === 'old-tls') f.oldTls = true;
    else if (name === 'device-conflict') f.deviceConflict = true;
    else if (name === 'signed-out') f.signedOut = true;
  }
  return f;
}

/** Run until Ctrl-C or SIGTERM; the CLI's own handler (exit 130 at once) is set aside meanwhile. */
function untilInterrupted(): Promise<void> {
  const saved = { SIGINT: process.listeners('SIGINT'), SIGTERM: process.listeners('SIGTERM') };
  process.removeAllListeners('SIGINT');
  process.removeAllListeners('SIGTERM');
  return new Promise((resolve) => {
    const done = () => {
      process.removeListener('SIGINT', done);
      process.removeListener('SIGTERM', done);
      for (const l of saved.SIGINT) process.on('SIGINT', l as NodeJS.SignalsListener);
      for (const l of saved.SIGTERM) process.on('SIGTERM', l as NodeJS.SignalsListener);
      resolve();
    };
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
}

async function serve(dataDir: string, opts: EngineOptions, ctx: Context): Promise<number> {
  await requireEngine(dataDir);
  const { liveServer, readJsonIf } = await import('../engine/embedded.js');
  const { startServer } = await import('../engine/server/index.js');
  const { EngineLog } = await import('../engine/logs.js');
  const live = await liveServer(dataDir);
  if (live) {
    throw new UserError(
      `A work-diary server for ${dataDir} is already running at ${live.info.url} (pid ${live.info.pid}).`,
    );
  }
  let faults = faultsFrom(opts);
  if (!opts.fault?.length) {
    const marker = await readJsonIf<{ faults?: typeof faults }>(
      path.join(dataDir, 'engine', 'scenario.json'),
    );
    faults = marker?.faults ?? {};
  }
  const log = new EngineLog(dataDir);
  const { loadSettings, serverSettingsOf } = await import('../engine/config.js');
  const server = await startServer({
    dataDir,
    ...(opts.port ? { port: opts.port } : {}),
    settings: serverSettingsOf(await loadSettings(dataDir)),
    faults,
    log: (line) => log.debug('server', line),
  });
  const faultText = Object.keys(faults).length > 0 ? ` with faults ${JSON.stringify(faults)}` : '';
  log.info('server', `work-diary server started at ${server.url}${faultText}`);
  ctx.stderr(`Work-diary server for ${dataDir} at ${server.url}${faultText}. Press Ctrl-C to stop it.\n`);
  await untilInterrupted();
  await server.close();
  log.info('server', 'work-diary server stopped');
  ctx.stderr('Work-diary server stopped.\n');
  return ExitCode.Ok;
}

async function clientFor(dataDir: string) {
  const { liveServer } = await import('../engine/embedded.js');
  const { WorkDiaryClient } = await import('../engine/server/client.js');
  const live = await liveServer(dataDir);
  if (!live || live.info.faults?.offline) return undefined;
  return new WorkDiaryClient({ url: live.info.url, ca: live.caPem, timeoutMs: 10_000 });
}

/** The contract list from the server when one answers (saved as the app's cache), else the cached one. */
async function freshContracts(dataDir: string, client: Awaited<ReturnType<typeof clientFor>>) {
  const engine = await import('../engine/index.js');
  if (client) {
    try {
      const r = await client.contracts();
      await engine.saveContracts(dataDir, { fetchedAt: r.body.serverTime, contracts: r.body.contracts });
      return r.body.contracts;
    } catch {
      // the cached list will do
    }
  }
  return (await engine.loadContracts(dataDir)).contracts;
}

/** The Helper for the screenshots; without one the tracker draws its own. */
async function helperFor(dataDir: string) {
  const { startHelper } = await import('../engine/helper/index.js');
  try {
    return await startHelper({ dataDir, enableGpu: true, maxSeconds: 3600 });
  } catch {
    return undefined;
  }
}

async function track(dataDir: string, opts: EngineOptions, ctx: Context): Promise<number> {
  await requireEngine(dataDir);
  const engine = await import('../engine/index.js');
  const { Tracker, syntheticInput } = await import('../engine/tracker.js');
  const { helperScreenshots, logTrackerEvents, runTracking } = await import('../engine/tracking.js');
  const { createUploadSession } = await import('../engine/upload-session.js');
  const { EngineLog, formatCacheLevel } = await import('../engine/logs.js');

  const realNow = ctx.now();
  const settings = await engine.loadSettings(dataDir);
  const device = await engine.loadOrCreateDevice(dataDir, realNow);
  // Simulated time replays the last N minutes (segments may not be in the server's future), and
  // starts after the newest segment already in the cache so nothing is tracked twice.
  const probeClock = new engine.FakeClock(realNow);
  const store = await openCache(dataDir, settings, probeClock);
  const newest = Math.max(0, ...store.all().map((s) => s.segment.trackedTo));
  const start = Math.ceil(Math.max(realNow - (opts.minutes ?? 30) * MINUTE, newest) / MINUTE) * MINUTE;
  const end = Math.floor(realNow / MINUTE) * MINUTE;
  if (end - start < MINUTE) {
    await store.close();
    throw new UserError(
      'Nothing to track: the time up to now is already tracked. Try again in a few minutes.',
    );
  }
  probeClock.set(start);
  const clock = probeClock;
  const log = new EngineLog(dataDir, { now: () => clock.now() });
  const client = await clientFor(dataDir);
  const contracts = await freshContracts(dataDir, client);
  const rng = engine.realRng;
  const { status, uploader } = createUploadSession({
    dataDir,
    store,
    client: () => clientFor(dataDir),
    serverUrl: client?.url ?? null,
    deviceId: device.deviceId,
    settings,
    clock,
    rng,
    log,
    sleep: async () => undefined,
    onStatus: (_to: unknown, label: string) => ctx.stderr(`  status: ${label}\n`),
  });
  const helper = await helperFor(dataDir);
  const speed = opts.speed ?? 60;
  const tracker = new Tracker({
    store,
    settings,
    clock,
    rng,
    deviceId: device.deviceId,
    contracts,
    input: syntheticInput(rng, 0.85),
    ...helperScreenshots(helper),
    onEvent: logTrackerEvents(log, (e) => {
      if (e.type === 'started')
        ctx.stderr(
          `Tracking contract ${opts.contract} from ${utc(start)} to ${utc(end)} (simulated${speed > 0 ? `, ${speed} min per second` : ''}).\n`,
        );
      if (e.type !== 'sealed') return;
      ctx.stderr(
        `  ${utc(e.segment.trackedFrom)}  segment sealed, activity ${e.segment.activeMinutes}/10, ${formatCacheLevel(e.pendingMinutes, e.capacityMinutes)}\n`,
      );
    }),
  });
  // Upload when the service is there, as the app does after each sealed segment and at the end.
  const uploadIfUp = async () => {
    if ((await uploader.probe()) && store.stats().pendingSegments > 0) await uploader.uploadOnce();
  };
  let exit: number = ExitCode.Ok;
  try {
    await uploader.probe();
    const { decision, stoppedBy } = await runTracking({
      tracker,
      clock,
      store,
      contractId: opts.contract!,
      memo: opts.memo!,
      until: end,
      stepMs: MINUTE,
      afterSeal: async () => {
        await uploadIfUp();
        await status.flush();
      },
      ...(speed > 0 ? { afterTick: () => new Promise<void>((r) => setTimeout(r, 1000 / speed)) } : {}),
    });
    if (!decision.ok) {
      ctx.logger.error(`the tracker refused to start: ${decision.message}`);
      exit = ExitCode.Failed;
    } else {
      if (stoppedBy) {
        ctx.stderr(`The tracker stopped: ${stoppedBy.message ?? stoppedBy.reason}\n`);
        if (stoppedBy.reason !== 'user' && stoppedBy.reason !== 'idle') exit = ExitCode.Failed;
      }
      await uploadIfUp();
    }
    await status.flush();
    const s = store.stats();
    log.cacheLevel(s.pendingMinutes, s.capacityMinutes, s.pendingSegments);
    const snap = status.snapshot();
    if (opts.json) ctx.stdout(`${JSON.stringify(snap, null, 2)}\n`);
    else
      printText(
        ctx,
        `${snap.label}: ${formatCacheLevel(s.pendingMinutes, s.capacityMinutes)}, ${plural(s.pendingSegments, 'segment')} waiting, ${s.rejectedSegments} rejected.\n`,
      );
  } finally {
    await helper?.stop();
    await store.close();
  }
  return exit;
}

async function status(dataDir: string, opts: EngineOptions, ctx: Context): Promise<number> {
  await requireEngine(dataDir);
  const { inspectCache } = await import('../engine/store/store.js');
  const { pendingOf } = await import('../engine/store/state.js');
  const { liveServer, readJsonIf } = await import('../engine/embedded.js');
  const { loadSettings, loadContracts } = await import('../engine/config.js');
  const { formatCacheLevel } = await import('../engine/logs.js');
  const { weekLockOf } = await import('../engine/protocol.js');

  const settings = await loadSettings(dataDir);
  const insp = await inspectCache(path.join(dataDir, 'Upwork', 'Cache'), ctx.now());
  const pending = pendingOf(insp.state);
  const rejected = Object.values(insp.state.segments).filter((s) => s.state === 'rejected');
  const file = await readJsonIf<StatusFile>(path.join(dataDir, 'engine', 'status.json'));
  const live = await liveServer(dataDir);
  const contracts = (await loadContracts(dataDir)).contracts;
  const oldest = pending[0]?.segment;
  const out = {
    dataDir,
    status: file
      ? {
          state: file.state,
          label: file.label,
          updatedAt: file.updatedAt,
          lastSuccessAt: file.lastSuccessAt,
          lastError: file.lastError,
        }
      : null,
    server: live ? { url: live.info.url, pid: live.info.pid, faults: live.info.faults } : null,
    cache: {
      pendingSegments: pending.length,
      pendingMinutes: insp.pendingMinutes,
      capacityMinutes: settings.capacityMinutes,
      percent: Math.floor((insp.pendingMinutes * 100) / settings.capacityMinutes),
      oldestPendingSlotStart: oldest ? oldest.slot * 600_000 : null,
      oldestLockAt: oldest ? weekLockOf(oldest.slot * 600_000) : null,
      degraded: insp.degraded,
      /** What could not be read or trusted, with the minutes at risk (null: unknown). */
      damage: insp.report.damage,
    },
    rejected: rejected.map((r) => ({
      contractId: r.segment.contractId,
      slotStart: r.segment.slot * 600_000,
      code: r.rejection?.code ?? 'UNKNOWN',
    })),
    contracts: contracts.map((c) => ({ id: c.id, title: c.title, type: c.type, status: c.status })),
  };
  if (opts.json) {
    ctx.stdout(`${JSON.stringify(out, null, 2)}\n`);
    return ExitCode.Ok;
  }
  const lines = [
    `Engine:    ${dataDir}`,
    `Status:    ${out.status ? `${out.status.label} (as of ${utc(out.status.updatedAt)}${out.status.lastError ? `; last error: ${out.status.lastError}` : ''})` : 'never connected'}`,
    `Server:    ${out.server ? `${out.server.url} (pid ${out.server.pid})${Object.keys(out.server.faults ?? {}).length ? ` faults ${JSON.stringify(out.server.faults)}` : ''}` : 'not running (start it with: upwork-doctor engine serve)'}`,
    `Cache:     ${out.cache.damage.length > 0 ? 'as far as it could be read, at least ' : ''}${formatCacheLevel(out.cache.pendingMinutes, out.cache.capacityMinutes)}, ${plural(out.cache.pendingSegments, 'segment')} waiting${oldest ? `; oldest ${utc(out.cache.oldestPendingSlotStart)}, its week locks ${utc(out.cache.oldestLockAt)}` : ''}${out.cache.degraded ? '; DAMAGED: tracking is refused until repaired' : ''}`,
    ...out.cache.damage.map(
      (d) =>
        `Damage:    ${d.file}: ${d.detail} (${d.minutesAtRisk === null ? 'time at risk unknown' : `${d.minutesAtRisk} min at risk`})`,
    ),
    `Rejected:  ${out.rejected.length === 0 ? 'none' : out.rejected.map((r) => `${r.contractId} ${utc(r.slotStart)} ${r.code}`).join('; ')}`,
    `Contracts: ${out.contracts.map((c) => `${c.id} "${c.title}" (${c.type}, ${c.status})`).join('; ') || 'none cached yet'}`,
  ];
  printText(ctx, `${lines.join('\n')}\n`);
  return ExitCode.Ok;
}

async function upload(dataDir: string, opts: EngineOptions, ctx: Context): Promise<number> {
  await requireEngine(dataDir);
  const engine = await import('../engine/index.js');
  const { openFolderUploadSession, uploadNow } = await import('../engine/upload-session.js');
  const { formatCacheLevel } = await import('../engine/logs.js');
  const client = await clientFor(dataDir);
  if (!client) {
    throw new UserError(
      `No work-diary server is reachable for ${dataDir}: start one with "upwork-doctor engine serve${dataDir ? ` --data-dir ${dataDir}` : ''}".`,
      ExitCode.Failed,
    );
  }
  const { store, log, status, uploader } = await openFolderUploadSession(dataDir, {
    client,
    clock: engine.realClock,
    rng: engine.realRng,
    openCache: (settings) => openCache(dataDir, settings, engine.realClock),
  });
  try {
    const { last: r } = await uploadNow(
      { store, log, status, uploader },
      { url: client.url, retries: 3, wait: (ms) => new Promise((res) => setTimeout(res, ms)) },
    );
    const s = store.stats();
    const result = {
      outcome: r.outcome,
      accepted: r.accepted,
      duplicates: r.duplicates,
      rejected: r.rejected,
      error: r.error ?? null,
      pendingSegments: s.pendingSegments,
      pendingMinutes: s.pendingMinutes,
      status: status.snapshot().label,
    };
    if (opts.json) ctx.stdout(`${JSON.stringify(result, null, 2)}\n`);
    else
      printText(
        ctx,
        `${r.outcome === 'drained' ? 'Uploaded' : `Upload stopped (${r.error ?? r.outcome})`}: ${r.accepted} accepted, ${r.duplicates} duplicate, ${r.rejected} rejected. ${result.status}: ${formatCacheLevel(s.pendingMinutes, s.capacityMinutes)}, ${plural(s.pendingSegments, 'segment')} waiting.\n`,
      );
    return r.outcome === 'drained' ? ExitCode.Ok : ExitCode.Failed;
  } finally {
    await store.close();
  }
}

export async function runEngineCommand(
  sub: EngineSub,
  opts: EngineOptions,
  ctxIn?: Context,
): Promise<number> {
  const ctx = ctxIn ?? createContext();
  const dataDir = await dataDirOf(opts, ctx);
  if (sub === 'serve') return serve(dataDir, opts, ctx);
  if (sub === 'track') return track(dataDir, opts, ctx);
  if (sub === 'status') return status(dataDir, opts, ctx);
  return upload(dataDir, opts, ctx);
}
