/**
 * The engine's text logs, in `<data>/Upwork/Logs/upwork.log` like the real app's, rotated at a size
 * cap (upwork.log.1 … upwork.log.<keep>, oldest dropped). The lines carry what a support agent
 * reads first: app start and version, status changes, upload attempts and errors with status codes,
 * the cache level, sealed segments and rejections.
 *
 * Line format (the real app's): `[2026-11-16 09:00:01.104] [info]  tracker: message`, UTC.
 * Writes are synchronous appends: a line is on disk before the next one, so a kill -9 never leaves
 * the log behind the journal, and rotation cannot interleave with a write in this process.
 */
import { appendFileSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';

export type EngineLogLevel = 'debug' | 'info' | 'warn' | 'error';
const LEVEL_RANK: Record<EngineLogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

export const LOG_FILE = 'upwork.log';
export const DEFAULT_LOG_MAX_BYTES = 1024 * 1024;
export const DEFAULT_LOG_KEEP = 5;

export interface EngineLogOptions {
  /** Rotate when the file would grow past this many bytes (default 1 MiB). */
  maxBytes?: number;
  /** Rotated files to keep: upwork.log.1 … upwork.log.<keep> (default 5). */
  keep?: number;
  /** Lines below this level are not written (default info). */
  level?: EngineLogLevel;
  /** The clock for timestamps (the engine's Clock; simulated time in scenarios). */
  now?: () => number;
}

/** `<data>/Upwork/Logs`, the folder the real app uses inside its data folder. */
export function engineLogsDir(dataDir: string): string {
  return path.join(dataDir, 'Upwork', 'Logs');
}

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

/** `2026-11-16 09:00:01.104`, always UTC. */
export function logTimestamp(ms: number): string {
  const d = new Date(ms);
  return (
    `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}`
  );
}

/** One log line (with its newline). Messages are kept on one line so each line is one event. */
export function formatLogLine(at: number, level: EngineLogLevel, component: string, message: string): string {
  const oneLine = message.replace(/\r?\n/g, ' ⏎ ');
  return `[${logTimestamp(at)}] ${`[${level}]`.padEnd(7)} ${component}: ${oneLine}\n`;
}

/** "cache 3.2 h of 24 h (13 %)": how support reads the offline cache level. */
export function formatCacheLevel(pendingMinutes: number, capacityMinutes: number): string {
  const h = (m: number) => {
    const v = m / 60;
    return Number.isInteger(v) ? String(v) : v.toFixed(1);
  };
  const pct = capacityMinutes > 0 ? Math.round((pendingMinutes / capacityMinutes) * 100) : 0;
  return `cache ${h(pendingMinutes)} h of ${h(capacityMinutes)} h (${pct} %)`;
}

/** "2026-11-16T09:00Z": a segment by the UTC start of its 10-minute slot, as the Work Diary shows it. */
export function segmentLabel(slotStartMs: number): string {
  return `${new Date(slotStartMs).toISOString().slice(0, 16)}Z`;
}

export class EngineLog {
  readonly dir: string;
  readonly file: string;
  private readonly maxBytes: number;
  private readonly keep: number;
  private readonly minRank: number;
  private readonly now: () => number;
  private size = -1;

  constructor(dataDir: string, opts: EngineLogOptions = {}) {
    this.dir = engineLogsDir(dataDir);
    this.file = path.join(this.dir, LOG_FILE);
    this.maxBytes = Math.max(256, opts.maxBytes ?? DEFAULT_LOG_MAX_BYTES);
    this.keep = Math.max(1, Math.floor(opts.keep ?? DEFAULT_LOG_KEEP));
    this.minRank = LEVEL_RANK[opts.level ?? 'info'];
    this.now = opts.now ?? (() => Date.now());
  }

  debug(component: string, message: string): void {
    this.write('debug', component, message);
  }
  info(component: string, message: string): void {
    this.write('info', component, message);
  }
  warn(component: string, message: string): void {
    this.write('warn', component, message);
  }
  error(component: string, message: string): void {
    this.write('error', component, message);
  }

  write(level: EngineLogLevel, component: string, message: string): void {
    if (LEVEL_RANK[level] < this.minRank) return;
    const line = formatLogLine(this.now(), level, component, message);
    const bytes = Buffer.byteLength(line);
    try {
      if (this.size < 0) this.size = this.currentSize();
      if (this.size > 0 && this.size + bytes > this.maxBytes) this.rotate();
      appendFileSync(this.file, line);
      this.size += bytes;
    } catch {
      // Logging must never stop the tracker (a full disk is reported by the doctor, not here).
      this.size = -1;
    }
  }

  /** upwork.log → .1, .1 → .2 …; the file past `keep` is dropped. Logs are not the cache: dropping old ones is fine. */
  rotate(): void {
    mkdirSync(this.dir, { recursive: true });
    rmSync(`${this.file}.${this.keep}`, { force: true });
    for (let i = this.keep - 1; i >= 1; i--) {
      try {
        renameSync(`${this.file}.${i}`, `${this.file}.${i + 1}`);
      } catch {
        // a gap in the sequence is fine
      }
    }
    try {
      renameSync(this.file, `${this.file}.1`);
    } catch {
      // nothing to rotate yet
    }
    this.size = 0;
  }

  private currentSize(): number {
    mkdirSync(this.dir, { recursive: true });
    try {
      return statSync(this.file).size;
    } catch {
      return 0;
    }
  }

  // The events support asks about, worded the same everywhere.

  appStarted(version: string, platform: string, arch: string): void {
    this.info(
      'app',
      `starting Upwork ${version} (reference engine, ${platform} ${arch}), userData=${this.dir}`,
    );
  }

  statusChanged(from: string | undefined, to: string, why?: string): void {
    this.info('network', `status ${from ? `"${from}" -> ` : ''}"${to}"${why ? ` (${why})` : ''}`);
  }

  trackingStarted(contractId: string, memo: string): void {
    this.info('tracker', `contract ${contractId} started, memo "${memo}"`);
  }

  trackingStopped(contractId: string, reason: string): void {
    this.info('tracker', `contract ${contractId} stopped: ${reason}`);
  }

  trackingRefused(contractId: string, reason: string): void {
    this.warn('tracker', `cannot start contract ${contractId}: ${reason}`);
  }

  segmentSealed(
    slotStartMs: number,
    activeMinutes: number,
    cache: { pendingMinutes: number; capacityMinutes: number },
    screenshotSha?: string,
  ): void {
    this.info(
      'tracker',
      `segment ${segmentLabel(slotStartMs)} sealed, activity ${activeMinutes}/10` +
        `${screenshotSha ? `, screenshot sha256=${screenshotSha}` : ''}, ${formatCacheLevel(cache.pendingMinutes, cache.capacityMinutes)}`,
    );
  }

  cacheLevel(pendingMinutes: number, capacityMinutes: number, pendingSegments: number): void {
    const level = pendingMinutes >= capacityMinutes ? 'warn' : 'info';
    this.write(
      level,
      'cache',
      `${formatCacheLevel(pendingMinutes, capacityMinutes)}, ${pendingSegments} segment(s) waiting` +
        (pendingMinutes >= capacityMinutes
          ? ': cache full, time can no longer be logged on any contract'
          : ''),
    );
  }

  uploadAttempt(segments: number, attempt: number, url: string): void {
    this.info('upload', `POST ${url} with ${segments} segment(s) (attempt ${attempt})`);
  }

  uploadResult(accepted: number, duplicates: number, rejected: number, httpStatus: number): void {
    this.info(
      'upload',
      `done: HTTP ${httpStatus}, ${accepted} accepted, ${duplicates} duplicate, ${rejected} rejected`,
    );
  }

  uploadFailed(url: string, error: string, attempt: number, httpStatus?: number, retryInMs?: number): void {
    this.error(
      'upload',
      `POST ${url} failed: ${httpStatus !== undefined ? `HTTP ${httpStatus} ` : ''}${error} (attempt ${attempt})` +
        (retryInMs !== undefined ? `, retry in ${Math.round(retryInMs / 100) / 10} s` : ''),
    );
  }

  segmentRejected(contractId: string, slotStartMs: number, code: string, httpStatus?: number): void {
    this.error(
      'upload',
      `segment ${segmentLabel(slotStartMs)} on contract ${contractId} rejected: ${code}` +
        `${httpStatus !== undefined ? ` (HTTP ${httpStatus})` : ''}; kept in the cache, it will not be retried`,
    );
  }
}

export function logLevelAtLeast(level: EngineLogLevel, min: EngineLogLevel): boolean {
  return LEVEL_RANK[level] >= LEVEL_RANK[min];
}
