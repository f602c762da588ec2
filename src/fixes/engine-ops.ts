/**
 * The real EngineOps: the embedded engine's own public operations that fixes may call, and only
 * these (DESIGN.md: the doctor writes to the engine only through its public operations).
 *
 * - `upload-now`: one upload through the engine's Uploader on its journal store. A segment leaves
 *   the pending set only when the server acknowledged it (the store journals the receipt first).
 *   When the service cannot be reached nothing is opened or written: the error names the failing
 *   network stage and says the cache is safe. Undo cannot un-upload; it says so.
 * - `restart-helper`: restart the running `Upwork Helper` with `--enable-gpu` (its documented remedy
 *   for a busy software-rendering loop), only while tracking is off, and record the flag in the
 *   engine's launch settings for this folder (`engine/scenario.json` helper.enableGpu, which the
 *   engine reads when it starts the Helper). Undo restores those settings byte for byte.
 * - `refresh-contracts`: fetch the contract list from the work-diary service and save it where the
 *   tracker keeps it (`engine/contracts.json`). Undo restores the previous file byte for byte.
 *
 * Loaded lazily (only `fix`/`undo` on an engine target import it); it imports the engine itself.
 */
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { UserError, errorMessage } from '../core/errors.js';
import { factValue } from '../core/facts.js';
import type { Facts } from '../core/facts.js';
import type { CacheFacts } from '../facts/cache.js';
import type { EngineOpResult, EngineOps, FixEnv } from './fix.js';
import type { HelperHandle, HelperMode } from '../engine/helper/index.js';
import type { WireContract } from '../engine/protocol.js';
import type { WorkDiaryClient } from '../engine/server/client.js';
import { isPidAlive } from '../core/pid.js';

export const OP_UPLOAD = 'upload-now';
export const OP_RESTART_HELPER = 'restart-helper';
export const OP_REFRESH_CONTRACTS = 'refresh-contracts';

/** A refresh newer than this is left alone: applying the fix twice must change nothing. */
export const FRESH_LIST_MS = 60 * 60_000;

export interface EngineOpsOptions {
  /** Per request to the work-diary service, ms (default 10 000). */
  requestTimeoutMs?: number;
  /** How long a stopped Helper may take to exit, ms (default 5 000). */
  stopWaitMs?: number;
  /** Life cap of a Helper started here, s (default 900, like the engine's own run session). */
  helperMaxSeconds?: number;
  /** Upload retries after a transient failure (default 3). */
  uploadRetries?: number;
}

export interface RealEngineOps extends EngineOps {
  /** Stop the Helper processes this object started (the run is over). */
  close(): Promise<void>;
}

interface HelperState {
  pid: number;
  mode: HelperMode;
  gpu: boolean;
  args: string[];
}

function dataDirArg(args: Record<string, unknown>): string {
  const d = args.dataDir;
  if (typeof d !== 'string' || !path.isAbsolute(d))
    throw new UserError('This engine operation needs the absolute path of the tracker data folder.');
  return d;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function readText(file: string): Promise<string | null> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new UserError(`Cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? errorMessage(e)}.`);
  }
}

async function requireEngine(dataDir: string): Promise<void> {
  const { isEngineFolder } = await import('../engine/embedded.js');
  if (!isEngineFolder(dataDir))
    throw new UserError(
      `${dataDir} does not hold the reference engine, so this engine operation does not apply; the installed app does this itself.`,
    );
}

/** The cache's writer, when one runs: the tracker (tracking on) or another upload. */
async function cacheOwner(dataDir: string, env: FixEnv): Promise<number | undefined> {
  const { cacheLayout, enginePaths } = await import('../engine/index.js');
  const text = await readText(cacheLayout(enginePaths(dataDir).cacheDir).lockFile);
  if (!text) return undefined;
  try {
    const lock = JSON.parse(text) as { pid?: unknown; host?: unknown };
    if (typeof lock.pid !== 'number' || lock.pid === process.pid) return undefined;
    if (typeof lock.host === 'string' && lock.host !== env.ctx.hostname) return undefined;
    return isPidAlive(lock.pid) ? lock.pid : undefined;
  } catch {
    return undefined;
  }
}

/** Which network stage fails on the way to the service, in one sentence, for the user. */
export async function describeUnreachable(url: string, caPem: string, timeoutMs: number): Promise<string> {
  const { probeEndpoint } = await import('../network/probe.js');
  const r = await probeEndpoint(
    { name: 'work-diary service', url: new URL('/v1/health', url).toString() },
    { mode: 'direct', source: 'none', display: 'direct' },
    { stageTimeoutMs: timeoutMs, extraCa: [caPem], compareDirect: false },
  );
  if (r.verdict === 'pass')
    return `every network stage to ${url} works, but the service did not accept the request`;
  return `the ${(r.failedStage ?? 'network').toUpperCase()} stage failed: ${r.message.replace(/\.$/, '')}`;
}

interface Service {
  url: string;
  caPem: string;
}

/** The work-diary server of this folder (started for the doctor run, or `engine serve`). */
async function serviceOf(dataDir: string): Promise<Service | undefined> {
  const { liveServer } = await import('../engine/embedded.js');
  const live = await liveServer(dataDir);
  return live ? { url: live.info.url, caPem: live.caPem } : undefined;
}

function httpReason(e: unknown): string | undefined {
  const x = e as { name?: string; status?: number; code?: string; message?: string };
  if (x?.name !== 'HttpStatusError') return undefined;
  if (x.status === 401)
    return 'the service answered 401: the tracker is signed out (sign in again in the app)';
  if (x.status === 503) return 'the service answered 503: it is down for maintenance (try again later)';
  return `the service answered HTTP ${x.status} ${x.code ?? ''}`.trim();
}

async function cacheSummary(dataDir: string): Promise<{ segments: number; minutes: number }> {
  const { enginePaths, inspectCache } = await import('../engine/index.js');
  const insp = await inspectCache(enginePaths(dataDir).cacheDir);
  const segments = Object.values(insp.state.segments).filter((s) => s.state === 'pending').length;
  return { segments, minutes: insp.pendingMinutes };
}

const SAFE = 'Your cached time is safe: nothing was uploaded or removed from the cache';

/** What the operations share within one createEngineOps object. */
interface OpsCtx {
  opts: EngineOpsOptions;
  timeoutMs: number;
  stopWaitMs: number;
  /** Helpers started here, by data folder: stopped by close() (and on undo in the same run). */
  started: Map<string, HelperHandle>;
}

/** Reach the service or say exactly why not; never touches the cache. */
async function reach(ctx: OpsCtx, dataDir: string, what: string): Promise<WorkDiaryClient> {
  const { WorkDiaryClient } = await import('../engine/server/client.js');
  const svc = await serviceOf(dataDir);
  if (!svc)
    throw new UserError(
      `${what}: no work-diary server is running for ${dataDir} (start one with "upwork-doctor engine serve --data-dir ${dataDir}").`,
    );
  const client = new WorkDiaryClient({ url: svc.url, ca: svc.caPem, timeoutMs: ctx.timeoutMs });
  try {
    await client.health();
  } catch (e) {
    const why =
      httpReason(e) ?? (await describeUnreachable(svc.url, svc.caPem, Math.min(ctx.timeoutMs, 5_000)));
    throw new UserError(`${what}: the work-diary service at ${svc.url} cannot be reached: ${why}.`);
  }
  return client;
}

/** The service answers and no tracker holds the cache, or a UserError saying the cache is safe. */
async function clientForUpload(
  ctx: OpsCtx,
  dataDir: string,
  env: FixEnv,
  waiting: string,
): Promise<WorkDiaryClient> {
  let client;
  try {
    client = await reach(ctx, dataDir, 'Cannot upload');
  } catch (e) {
    throw new UserError(`${errorMessage(e).replace(/\.$/, '')}. ${SAFE} (${waiting}).`);
  }
  const owner = await cacheOwner(dataDir, env);
  if (owner !== undefined)
    throw new UserError(
      `The tracker (pid ${owner}) has the cache open and uploads it itself; nothing was changed. ${SAFE} (${waiting}).`,
    );
  return client;
}

/** The engine's upload session on this folder's journal store, at the folder's simulated clock. */
async function openUploadSession(dataDir: string, env: FixEnv, client: WorkDiaryClient) {
  const engine = await import('../engine/index.js');
  const { openFolderUploadSession } = await import('../engine/upload-session.js');
  const p = engine.enginePaths(dataDir);
  // A scenario's engine runs at its simulated moment (real time + the offset in its marker).
  const offset = await clockOffset(dataDir);
  const clock = { now: () => env.ctx.now() + offset, mono: () => Math.floor(env.ctx.monotonic()) };
  const openCache = async (settings: Parameters<typeof engine.storeSettings>[0]) => {
    try {
      return await engine.openStore({ cacheDir: p.cacheDir, ...engine.storeSettings(settings), clock });
    } catch (e) {
      throw new UserError(`Cannot open the cache to upload it: ${errorMessage(e)}. ${SAFE}.`);
    }
  };
  try {
    return await openFolderUploadSession(dataDir, {
      client,
      clock,
      rng: { next: () => env.ctx.random() },
      openCache,
    });
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new UserError(`Cannot upload: ${errorMessage(e)}. ${SAFE}.`);
  }
}

type UploadSessionT = Awaited<ReturnType<typeof openUploadSession>>;

/** Upload once, retry transient failures, log like the engine does; always closes the store. */
async function uploadWithRetries(ctx: OpsCtx, client: WorkDiaryClient, u: UploadSessionT) {
  const { uploadNow: upload } = await import('../engine/upload-session.js');
  try {
    u.log.info('upload', 'upload now, requested by upwork-doctor fix');
    const { last, total } = await upload(u, {
      url: client.url,
      retries: ctx.opts.uploadRetries ?? 3,
      wait: sleep,
    });
    return { r: last, total };
  } finally {
    await u.store.close();
  }
}

async function uploadNow(ctx: OpsCtx, dataDir: string, env: FixEnv): Promise<EngineOpResult> {
  const before = await cacheSummary(dataDir);
  if (before.segments === 0)
    return { changed: false, state: { pendingBefore: 0 }, message: 'Nothing waits in the cache.' };
  const waiting = `${before.segments} segment(s), ${before.minutes} min still wait`;
  const client = await clientForUpload(ctx, dataDir, env, waiting);
  const session = await openUploadSession(dataDir, env, client);
  const { r, total } = await uploadWithRetries(ctx, client, session);
  const after = await cacheSummary(dataDir);
  const acked = total.accepted + total.duplicates;
  const state = {
    pendingBefore: before.segments,
    pendingAfter: after.segments,
    accepted: total.accepted,
    duplicates: total.duplicates,
    rejected: total.rejected,
  };
  const counts = `${total.accepted} accepted, ${total.duplicates} already on the server, ${total.rejected} refused by the server (kept in the cache, see cache-fullness)`;
  if (r.outcome !== 'drained') {
    throw new UserError(
      `The upload stopped (${r.error ?? r.outcome}) after ${counts}. The ${acked} acknowledged segment(s) are billed; the other ${after.segments} stay safely in the cache.`,
    );
  }
  return {
    changed: acked + total.rejected > 0,
    state,
    message: `Uploaded: ${counts}; ${after.segments} segment(s) still wait.`,
  };
}

function undoUpload(state: Record<string, unknown>, env: FixEnv): void {
  // Nothing to restore: the cache only lost what the server acknowledged, and that is billed.
  const n = Number(state.accepted ?? 0) + Number(state.duplicates ?? 0);
  if (n > 0)
    env.ctx.logger.info(
      `Uploaded time cannot be taken back: the ${n} segment(s) the server acknowledged stay in your Work Diary (and billed). Nothing else was changed, so there is nothing to restore.`,
    );
}

async function helperState(dataDir: string, env: FixEnv): Promise<HelperState | undefined> {
  const { readHelperPidfile } = await import('../engine/helper/index.js');
  const pf = await readHelperPidfile(dataDir);
  if (!pf || typeof pf.pid !== 'number' || !isPidAlive(pf.pid)) return undefined;
  // The pid may have been reused since the pidfile was written: stop only this folder's Helper.
  if (env.ctx.platform === 'linux') {
    const argv = await readFile(`/proc/${pf.pid}/cmdline`, 'utf8').catch(() => '');
    if (!argv.split('\0').includes(dataDir)) return undefined;
  }
  return { pid: pf.pid, mode: pf.mode, gpu: pf.gpu, args: pf.args };
}

async function clockOffset(dataDir: string): Promise<number> {
  const text = await readText(await markerFile(dataDir)).catch(() => null);
  try {
    const n = text ? (JSON.parse(text) as { clockOffsetMs?: unknown }).clockOffsetMs : 0;
    return typeof n === 'number' && Number.isFinite(n) ? n : 0;
  } catch {
    return 0;
  }
}

async function markerFile(dataDir: string): Promise<string> {
  const { SCENARIO_MARKER } = await import('../engine/scenarios.js');
  const { enginePaths } = await import('../engine/index.js');
  return path.join(enginePaths(dataDir).engineDir, SCENARIO_MARKER);
}

async function stopHelper(ctx: OpsCtx, dataDir: string, h: HelperState, env: FixEnv): Promise<void> {
  const { started, stopWaitMs } = ctx;
  const mine = started.get(dataDir);
  if (mine && mine.pid === h.pid) {
    started.delete(dataDir);
    await mine.stop(stopWaitMs);
    return;
  }
  try {
    process.kill(h.pid, 'SIGTERM');
  } catch (e) {
    throw new UserError(
      `Could not stop the Upwork Helper (pid ${h.pid}): ${(e as NodeJS.ErrnoException).code}.`,
    );
  }
  const t0 = env.ctx.monotonic();
  while (isPidAlive(h.pid) && env.ctx.monotonic() - t0 < stopWaitMs) await sleep(25);
  if (isPidAlive(h.pid))
    throw new UserError(
      `The Upwork Helper (pid ${h.pid}) did not stop within ${stopWaitMs / 1000} s; it was left running.`,
    );
}

async function launchHelper(
  ctx: OpsCtx,
  dataDir: string,
  mode: HelperMode,
  gpu: boolean,
): Promise<HelperHandle> {
  const { startHelper } = await import('../engine/helper/index.js');
  try {
    const h = await startHelper({
      dataDir,
      mode,
      enableGpu: gpu,
      maxSeconds: ctx.opts.helperMaxSeconds ?? 900,
    });
    ctx.started.set(dataDir, h);
    return h;
  } catch (e) {
    throw new UserError(`Could not start the Upwork Helper again: ${errorMessage(e)}.`);
  }
}

/** Rewrite helper.enableGpu in the launch settings; returns whether the file changed. */
async function setLaunchGpu(file: string, prior: string | null, gpu: boolean): Promise<boolean> {
  if (prior === null) return false;
  let marker: { helper?: { mode?: string; enableGpu?: boolean } };
  try {
    marker = JSON.parse(prior) as typeof marker;
  } catch {
    throw new UserError(`${file} is not valid JSON; the Helper's launch settings were left alone.`);
  }
  if (!marker.helper || marker.helper.enableGpu === gpu) return false;
  marker.helper.enableGpu = gpu;
  const { writeJsonAtomic } = await import('../engine/server/atomic.js');
  await writeJsonAtomic(file, marker);
  return true;
}

async function captureHelper(dataDir: string, env: FixEnv): Promise<Record<string, unknown>> {
  const file = await markerFile(dataDir);
  const h = await helperState(dataDir, env);
  return { dataDir, launchFile: file, launchText: await readText(file), helper: h ?? null };
}

async function restartHelper(ctx: OpsCtx, dataDir: string, env: FixEnv): Promise<EngineOpResult> {
  const prior = await captureHelper(dataDir, env);
  const h = prior.helper as HelperState | null;
  const owner = await cacheOwner(dataDir, env);
  if (owner !== undefined && h && !h.gpu)
    throw new UserError(
      `Tracking is on (the tracker, pid ${owner}, holds the cache): the Helper is restarted only when tracking is off, so no screenshot or segment is lost. Stop tracking (the current 10-minute segment is then sealed) and run the fix again; nothing was changed.`,
    );
  const launchChanged = await setLaunchGpu(
    prior.launchFile as string,
    prior.launchText as string | null,
    true,
  );
  let message = launchChanged ? 'The Helper now starts with --enable-gpu.' : '';
  let restarted = false;
  if (h && !h.gpu) {
    await stopHelper(ctx, dataDir, h, env);
    const n = await launchHelper(ctx, dataDir, h.mode, true);
    restarted = true;
    message = `Restarted the Upwork Helper with --enable-gpu (pid ${h.pid} → ${n.pid}). ${message}`.trim();
  }
  if (!restarted && !launchChanged)
    message = h ? 'The Upwork Helper already runs with --enable-gpu.' : 'No Upwork Helper is running.';
  return { changed: restarted || launchChanged, state: { ...prior, restarted }, message };
}

async function undoHelper(ctx: OpsCtx, state: Record<string, unknown>, env: FixEnv): Promise<void> {
  const dataDir = typeof state.dataDir === 'string' ? state.dataDir : undefined;
  const file = typeof state.launchFile === 'string' ? state.launchFile : undefined;
  if (!dataDir || !file) return;
  const text = state.launchText;
  if (typeof text === 'string' && (await readText(file)) !== text) {
    const { writeFileAtomic } = await import('../engine/server/atomic.js');
    await writeFileAtomic(file, text);
  }
  const prior = state.helper as HelperState | null;
  const mine = ctx.started.get(dataDir);
  if (prior && mine && isPidAlive(mine.pid)) {
    // Same run (a rollback): put the Helper back as it ran.
    ctx.started.delete(dataDir);
    await mine.stop(ctx.stopWaitMs);
    await launchHelper(ctx, dataDir, prior.mode, prior.gpu);
  } else if (prior && state.restarted) {
    env.ctx.logger.info(
      `The Upwork Helper's launch settings are restored${prior.gpu ? '' : ' (without --enable-gpu)'}; it uses them the next time it starts.`,
    );
  }
}

async function captureContracts(dataDir: string): Promise<Record<string, unknown>> {
  const { enginePaths } = await import('../engine/index.js');
  const file = enginePaths(dataDir).contractsFile;
  return { dataDir, file, priorText: await readText(file) };
}

/** "<id> added (status)" / "<id> old → new" for each contract that is new or changed status. */
function contractChanges(current: WireContract[], fresh: WireContract[]): string[] {
  return fresh.flatMap((c) => {
    const old = current.find((o) => o.id === c.id);
    return !old
      ? [`${c.id} added (${c.status})`]
      : old.status !== c.status
        ? [`${c.id} ${old.status} → ${c.status}`]
        : [];
  });
}

async function refreshContracts(ctx: OpsCtx, dataDir: string): Promise<EngineOpResult> {
  const prior = await captureContracts(dataDir);
  const client = await reach(ctx, dataDir, 'Cannot refresh the contract list');
  let body;
  try {
    body = (await client.contracts()).body;
  } catch (e) {
    throw new UserError(
      `Cannot refresh the contract list: ${httpReason(e) ?? errorMessage(e)}; the tracker keeps its current list.`,
    );
  }
  const engine = await import('../engine/index.js');
  let current: { fetchedAt: number; contracts: WireContract[] };
  try {
    current = await engine.loadContracts(dataDir);
  } catch {
    current = { fetchedAt: 0, contracts: [] };
  }
  const why = body.contracts.map((c) => explainContract(c, body.serverTime)).filter((x): x is string => !!x);
  const same = JSON.stringify(current.contracts) === JSON.stringify(body.contracts);
  if (same && body.serverTime - current.fetchedAt < FRESH_LIST_MS)
    return {
      changed: false,
      state: prior,
      message: ['The contract list is already up to date.', ...why].join(' '),
    };
  await engine.saveContracts(dataDir, { fetchedAt: body.serverTime, contracts: body.contracts });
  const changes = contractChanges(current.contracts, body.contracts);
  return {
    changed: true,
    state: prior,
    message: [
      `Refreshed the contract list (${body.contracts.length} contract(s)${changes.length ? `: ${changes.join(', ')}` : ''}).`,
      ...why,
    ].join(' '),
  };
}

async function undoContracts(state: Record<string, unknown>): Promise<void> {
  const file = typeof state.file === 'string' ? state.file : undefined;
  if (!file || !('priorText' in state)) return;
  const prior = state.priorText;
  const cur = await readText(file);
  if (prior === null) {
    if (cur !== null) await rm(file, { force: true });
    return;
  }
  if (typeof prior === 'string' && cur !== prior) {
    const { writeFileAtomic } = await import('../engine/server/atomic.js');
    await writeFileAtomic(file, prior);
  }
}

export function createEngineOps(opts: EngineOpsOptions = {}): RealEngineOps {
  const ctx: OpsCtx = {
    opts,
    timeoutMs: opts.requestTimeoutMs ?? 10_000,
    stopWaitMs: opts.stopWaitMs ?? 5_000,
    started: new Map<string, HelperHandle>(),
  };
  return {
    async capture(op, args, env) {
      const dataDir = dataDirArg(args);
      if (op === OP_RESTART_HELPER) return captureHelper(dataDir, env);
      if (op === OP_REFRESH_CONTRACTS) return captureContracts(dataDir);
      return { dataDir };
    },
    async run(op, args, env) {
      const dataDir = dataDirArg(args);
      await requireEngine(dataDir);
      if (op === OP_UPLOAD) return uploadNow(ctx, dataDir, env);
      if (op === OP_RESTART_HELPER) {
        const flags = args.flags ?? ['--enable-gpu'];
        if (!Array.isArray(flags) || flags.some((f) => f !== '--enable-gpu'))
          throw new UserError('The Helper can only be restarted with --enable-gpu.');
        return restartHelper(ctx, dataDir, env);
      }
      if (op === OP_REFRESH_CONTRACTS) return refreshContracts(ctx, dataDir);
      throw new UserError(`The engine has no "${op}" operation.`);
    },
    async undo(op, state, env) {
      if (op === OP_UPLOAD) return undoUpload(state, env);
      if (op === OP_RESTART_HELPER) return undoHelper(ctx, state, env);
      if (op === OP_REFRESH_CONTRACTS) return undoContracts(state);
    },
    async close() {
      const all = [...ctx.started.values()];
      ctx.started.clear();
      await Promise.all(all.map((h) => h.stop(ctx.stopWaitMs).catch(() => undefined)));
    },
  };
}

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** Why a contract is not in the list of contracts the tracker can log time on (undefined: it is). */
export function explainContract(
  c: Pick<WireContract, 'id' | 'title' | 'status' | 'startDate'>,
  now: number,
): string | undefined {
  const name = `“${c.title}” (${c.id})`;
  if (c.status === 'paused')
    return `${name} is paused: the client (or Upwork, on a billing problem) stopped time logging on it; only the client can resume it.`;
  if (c.status === 'ended') return `${name} has ended: time can no longer be logged on it.`;
  if (c.startDate > now)
    return `${name} starts on ${day(c.startDate)} at 00:00 UTC (not midnight your time): the tracker offers it from then.`;
  return undefined;
}

/**
 * Whether the target is the reference engine (its operations can run): an engine target, or a
 * data folder whose cache is the engine's journal. Pure, for plans.
 */
export function onEngine(facts: Facts): boolean {
  if (facts.target.kind === 'embedded' || facts.target.kind === 'scenario') return true;
  const cache: CacheFacts | undefined = factValue(facts, 'cache');
  return cache?.format === 'engine';
}
