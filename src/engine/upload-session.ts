/**
 * The tracker's upload wiring, in one place: a status machine fed by the cache level and logging
 * every change, and an uploader configured from the engine's settings. `engine upload`/`track`,
 * the scenarios and the cache-upload fix all upload through this, so they upload the same way.
 */
import type { Clock, Rng } from './clock.js';
import type { EngineSettings } from './config.js';
import type { EngineLog } from './logs.js';
import { STATUS_LABELS } from './protocol.js';
import { StatusTracker, cacheLevelOf } from './status.js';
import type { ConnectionState } from './protocol.js';
import type { Store } from './store/types.js';
import { Uploader } from './uploader.js';
import type { UploaderOptions } from './uploader.js';

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
