/**
 * The tracker's upload wiring, in one place: a status machine fed by the cache level and logging
 * every change, and an uploader configured from the engine's settings. `engine upload`/`track`,
 * the scenarios and the cache-upload fix all upload through this, so they upload the same way.
 */
import type { Clock, Rng } from './clock.js';
import { loadOrCreateDevice, loadSettings } from './config.js';
import type { EngineSettings } from './config.js';
import { EngineLog } from './logs.js';
import { STATUS_LABELS } from './protocol.js';
import { StatusTracker, cacheLevelOf } from './status.js';
import type { ConnectionState } from './protocol.js';
import type { Store } from './store/types.js';
import type { WorkDiaryClient } from './server/client.js';
import { Uploader, realSleep } from './uploader.js';
import type { PassResult, UploaderOptions } from './uploader.js';

export interface UploadSessionOptions {
  dataDir: string;
  store: Pick<Store, 'stats'> & UploaderOptions['store'];
  client: UploaderOptions['client'];
  /** Shown in status.json; null when no server is known. */
  serverUrl: string | null;
  deviceId: string;
  settings: Pick<
    EngineSettings,
    'freelancerId' | 'uploadBatchSize' | 'uploadBackoffBaseMs' | 'uploadBackoffCapMs'
  >;
  clock: Clock;
  rng: Pick<Rng, 'next'>;
  log: EngineLog;
  sleep?: UploaderOptions['sleep'];
  /** Told of every status change, after it is logged (e.g. to print it). */
  onStatus?: (to: ConnectionState, label: string) => void;
}

export interface UploadSession {
  status: StatusTracker;
  uploader: Uploader;
}

export function createUploadSession(o: UploadSessionOptions): UploadSession {
  const status = new StatusTracker({
    dataDir: o.dataDir,
    clock: o.clock,
    cache: () => cacheLevelOf(o.store.stats()),
    serverUrl: o.serverUrl,
    onChange: (from, to) => {
      o.log.statusChanged(STATUS_LABELS[from], STATUS_LABELS[to]);
      o.onStatus?.(to, STATUS_LABELS[to]);
    },
  });
  const uploader = new Uploader({
    store: o.store,
    client: o.client,
    deviceId: o.deviceId,
    freelancerId: o.settings.freelancerId,
    clock: o.clock,
    rng: o.rng,
    status,
    batchSize: o.settings.uploadBatchSize,
    backoff: { baseMs: o.settings.uploadBackoffBaseMs, capMs: o.settings.uploadBackoffCapMs },
    ...(o.sleep ? { sleep: o.sleep } : {}),
    log: (level, line) => o.log.write(level, 'upload', line.replace(/^upload: /, '')),
  });
  return { status, uploader };
}

export interface FolderUploadOptions {
  client: WorkDiaryClient;
  clock: Clock;
  rng: Pick<Rng, 'next'>;
  /** Open the folder's cache for writing; callers word its refusals (locked, damaged) their own way. */
  openCache: (
    settings: EngineSettings,
  ) => Promise<UploadSessionOptions['store'] & { close(): Promise<void> }>;
}

/**
 * "Upload now" on a tracker folder, as `engine upload` and the cache-upload fix do it: the folder's
 * settings, device id and cache, its log at the given clock, and the upload session on top.
 */
export async function openFolderUploadSession(dataDir: string, o: FolderUploadOptions) {
  const settings = await loadSettings(dataDir);
  const device = await loadOrCreateDevice(dataDir, o.clock.now());
  const store = await o.openCache(settings);
  const log = new EngineLog(dataDir, { now: () => o.clock.now() });
  const session = createUploadSession({
    dataDir,
    store,
    client: o.client,
    serverUrl: o.client.url,
    deviceId: device.deviceId,
    settings,
    clock: o.clock,
    rng: o.rng,
    log,
  });
  return { store, log, ...session };
}

export interface UploadNowResult {
  /** The last pass. */
  last: PassResult;
  /** Every pass together. */
  total: { accepted: number; duplicates: number; rejected: number };
}

/**
 * Upload what waits now, logged as the app logs it: one pass, then up to `retries` more after a
 * transient or protocol failure (a blip; a real outage is for the person to fix, not to wait out).
 * `engine upload`, the cache-upload fix and the scenarios' tracker upload through this.
 */
export async function uploadNow(
  u: UploadSession & { store: Pick<Store, 'stats'>; log: EngineLog },
  o: { url: string; retries?: number; wait?: (ms: number) => Promise<void> },
): Promise<UploadNowResult> {
  const batchUrl = `${o.url}/v1/diary/segments:batch`;
  u.log.uploadAttempt(u.store.stats().pendingSegments, u.uploader.consecutiveFailures + 1, batchUrl);
  let r = await u.uploader.uploadOnce();
  const total = { accepted: r.accepted, duplicates: r.duplicates, rejected: r.rejected };
  for (let i = 0; i < (o.retries ?? 0) && (r.outcome === 'transient' || r.outcome === 'protocol'); i++) {
    await (o.wait ?? realSleep)(Math.min(2_000, u.uploader.nextDelay(r.retryAfterMs)));
    r = await u.uploader.uploadOnce();
    total.accepted += r.accepted;
    total.duplicates += r.duplicates;
    total.rejected += r.rejected;
  }
  if (r.outcome === 'drained') u.log.uploadResult(total.accepted, total.duplicates, total.rejected, 200);
  else u.log.uploadFailed(batchUrl, r.error ?? r.outcome, u.uploader.consecutiveFailures);
  await u.status.flush();
  const s = u.store.stats();
  u.log.cacheLevel(s.pendingMinutes, s.capacityMinutes, s.pendingSegments);
  return { last: r, total };
}
