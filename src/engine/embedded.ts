/**
 * The embedded default and the doctor's target preparer for engine folders.
 *
 * First use (resolveTarget → ensureEmbeddedDir): an empty embedded folder is initialised as a healthy tracker with some tracked and
 * uploaded time (the "healthy" scenario, without its marker), so the first `npx upwork-doctor` on a
 * machine without the Upwork app shows a realistic report.
 *
 * Each run on an engine folder (embedded or scenario): when `<data>/engine/server.json` does not
 * point at a live work-diary server, one is started for the run (with the scenario's faults) and
 * stopped afterwards, and the Helper process runs in the scenario's mode, as the real app's would.
 * `engine serve` keeps a server running instead; the run then reuses it.
 */
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import https from 'node:https';
import path from 'node:path';
import type { Context } from '../core/context.js';
import type { TargetInfo } from '../core/facts.js';
import type { PreparedTarget } from '../core/collector.js';
import { enginePaths, loadSettings, serverSettingsOf } from './config.js';
import { startHelper } from './helper/index.js';
import type { HelperHandle } from './helper/index.js';
import { EngineLog } from './logs.js';
import type { ServerInfoFile } from './protocol.js';
import { SCENARIO_MARKER, buildScenario, loadScenario } from './scenarios.js';
import type { ScenarioMarker } from './scenarios.js';
import { startServer } from './server/index.js';
import type { RunningServer } from './server/index.js';
import { isPidAlive } from '../core/pid.js';
import { UserError } from '../core/errors.js';

/** Whether a folder already holds an engine (its cache has been created). */
export function isEngineFolder(dataDir: string): boolean {
  const p = enginePaths(dataDir);
  try {
    statSync(path.join(p.cacheDir, 'FORMAT'));
    return true;
  } catch (e) {
    // A cache folder that cannot be searched hides its FORMAT: with the engine's own folder beside
    // it this is still an engine, whose unreadable cache is damage to report, not "no engine here".
    return (e as NodeJS.ErrnoException).code === 'EACCES' && existsSync(p.engineDir);
  }
}

/** Initialise an empty embedded folder as a healthy tracker; a folder that holds an engine is left alone. */
export async function ensureEmbeddedEngine(dataDir: string, now: number): Promise<boolean> {
  if (isEngineFolder(dataDir)) return false;
  const spec = await loadScenario('healthy');
  await buildScenario(spec, dataDir, { now, useHelper: false, writeMarker: false });
  return true;
}

export async function readJsonIf<T>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/** A server that answers its health endpoint with our CA is live (a stale server.json is not). */
export function serverAnswers(url: string, caPem: string, timeoutMs = 1500): Promise<boolean> {
  return new Promise((resolve) => {
    const req = https.get(
      new URL('/v1/health', url),
      { ca: caPem, timeout: timeoutMs, agent: false },
      (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

/** The running server of a folder, if server.json points at one that is alive and answering. */
export async function liveServer(
  dataDir: string,
): Promise<{ info: ServerInfoFile; caPem: string } | undefined> {
  const info = await readJsonIf<ServerInfoFile>(enginePaths(dataDir).serverFile);
  if (!info || typeof info.url !== 'string' || typeof info.pid !== 'number' || !isPidAlive(info.pid))
    return undefined;
  const caPem = await readFile(info.caPem, 'utf8').catch(() => undefined);
  if (!caPem) return undefined;
  // An "offline" fault is a live server that does not listen: trust its pid.
  if (info.faults?.offline) return { info, caPem };
  return (await serverAnswers(info.url, caPem)) ? { info, caPem } : undefined;
}

export interface EngineSession {
  serviceUrl: string;
  caPem: string;
  /** Started for this run (and stopped by close), or an `engine serve` found running. */
  startedHere: boolean;
  helper: HelperHandle | undefined;
  close(): Promise<void>;
}

/** Start what the run needs (server unless one is live, and the Helper in its scenario mode). */
export async function startEngineSession(
  dataDir: string,
  ctx: Pick<Context, 'logger'>,
  opts: { helper?: boolean } = {},
): Promise<EngineSession> {
  const marker = await readJsonIf<ScenarioMarker>(path.join(enginePaths(dataDir).engineDir, SCENARIO_MARKER));
  // Inside a scenario the tracker lives at its simulated moment: lines written during this run carry
  // that clock too, so its logs read as one story (and ages measured from them stay true).
  const offset = marker?.clockOffsetMs ?? 0;
  const log = new EngineLog(dataDir, { now: () => Date.now() + offset });
  let server: RunningServer | undefined;
  let serviceUrl: string;
  let caPem: string;
  const live = await liveServer(dataDir);
  if (live) {
    serviceUrl = live.info.url;
    caPem = live.caPem;
    ctx.logger.debug(`engine: using the running work-diary server at ${serviceUrl}`);
  } else {
    server = await startServer({
      dataDir,
      // The scenario's simulated moment decides locks, so "upload now" on a scenario gets the
      // verdicts it would get at that moment, whatever the real weekday.
      businessOffsetMs: marker?.clockOffsetMs ?? 0,
      faults: marker?.faults ?? {},
      settings: serverSettingsOf(await loadSettings(dataDir)),
      log: (line) => log.debug('server', line),
    });
    serviceUrl = server.url;
    caPem = server.caPem;
    log.info(
      'server',
      `work-diary server started for a doctor run at ${server.url}${marker?.faults && Object.keys(marker.faults).length > 0 ? ` with faults ${JSON.stringify(marker.faults)}` : ''}`,
    );
    ctx.logger.debug(`engine: started the work-diary server at ${serviceUrl} for this run`);
  }
  let helper: HelperHandle | undefined;
  if (opts.helper !== false) {
    try {
      helper = await startHelper({
        dataDir,
        mode: marker?.helper.mode ?? 'normal',
        enableGpu: marker?.helper.enableGpu ?? true,
        maxSeconds: 900,
      });
    } catch (e) {
      ctx.logger.debug(`engine: the Helper did not start: ${(e as Error).message}`);
    }
  }
  return {
    serviceUrl,
    caPem,
    startedHere: server !== undefined,
    helper,
    async close() {
      await helper?.stop();
      if (server) {
        await server.close();
        log.info('server', 'work-diary server stopped after the doctor run');
      }
    },
  };
}

/**
 * A reference folder this user may not write (typically files left by one run with sudo) is a
 * fact about the machine, not a bug: one line naming the file and what to do, exit 2.
 */
function refusedAccess(e: unknown, dataDir: string): UserError | undefined {
  const err = e as NodeJS.ErrnoException;
  if (!['EACCES', 'EPERM', 'EROFS'].includes(String(err?.code))) return undefined;
  const file = err.path ? path.relative(dataDir, err.path) || err.path : 'a file';
  const why = err.code === 'EROFS' ? 'it is on a read-only file system' : 'permission denied';
  return new UserError(
    `Cannot use the reference tracker folder ${dataDir}: ${file} cannot be opened (${why}). Run as the folder's owner (was it once run with sudo?) or pass another --data-dir.`,
  );
}

/** The preparer for engine targets: initialise, start what is missing, stop it after the run. */
export async function prepareEngineTarget(
  target: TargetInfo,
  ctx: Context,
): Promise<PreparedTarget | undefined> {
  if (target.kind !== 'embedded' && target.kind !== 'scenario') return undefined;
  if (!isEngineFolder(target.dataDir)) return undefined;
  const session = await startEngineSession(target.dataDir, ctx).catch((e: unknown) => {
    throw refusedAccess(e, target.dataDir) ?? e;
  });
  return {
    options: { serviceUrl: session.serviceUrl, extraCaPem: session.caPem },
    dispose: () => session.close(),
  };
}
