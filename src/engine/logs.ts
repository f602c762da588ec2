/**
 * The engine's text logs, written as the real app writes its own (research/real-app-facts.md), so
 * one reader (src/facts/logs.ts) serves both: daily files `<data>/Upwork/Logs/upwork..YYYYMMDD.log`
 * (local date), log4js lines `[2026-11-16T09:00:01.104] [INFO] tracker - message` in local time
 * without an offset, and multi-line JSON payloads (`"type": "TRACKER_UPLOAD_STARTED"`) on the lines
 * below an event, as the app prints them. The payload fields other than `type` are the engine's own
 * (the real app's field names are not verified beyond `type` and `minutesWorkedThisWeek`).
 *
 * A day's file that grows past the size cap is rotated to `….log.1` … `….log.<keep>` (how the real
 * app caps a day's file is not verified); days older than `keepDays` are dropped. The lines carry
 * what a support agent reads first: app start and version, status changes, upload attempts and
 * errors with status codes, the cache level, sealed segments, screenshots and rejections.
 * Writes are synchronous appends: a line is on disk before the next one, so a kill -9 never leaves
 * the log behind the journal, and rotation cannot interleave with a write in this process.
 */
import { appendFileSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { classifyLogFile, logFileName } from '../core/log-names.js';

export type EngineLogLevel = 'debug' | 'info' | 'warn' | 'error';
const LEVEL_RANK: Record<EngineLogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

export const DEFAULT_LOG_MAX_BYTES = 1024 * 1024;
export const DEFAULT_LOG_KEEP = 5;
export const DEFAULT_LOG_KEEP_DAYS = 14;

export interface EngineLogOptions {
  /** Rotate a day's file when it would grow past this many bytes (default 1 MiB). */
  maxBytes?: number;
  /** Rotated copies of a day's file to keep: ….log.1 … ….log.<keep> (default 5). */
  keep?: number;
  /** Daily files kept, today included (by the date in their name); older ones are dropped (default 14). */
  keepDays?: number;
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

/** `YYYY-MM-DD` of a moment, local time (the day a daily log file covers). */
export function localDate(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** `2026-11-16T09:00:01.104`, local time without an offset, as log4js writes it. */
export function logTimestamp(ms: number): string {
  const d = new Date(ms);
  return (
    `${localDate(ms)}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`
  );
}

/** The daily file an event at `ms` goes to: `upwork..YYYYMMDD.log`. */
export function engineLogFile(dataDir: string, ms: number): string {
  return path.join(engineLogsDir(dataDir), logFileName('main', localDate(ms)));
}

/**
 * One event (with its newline): the header line, then the payload as indented JSON on the lines
 * below it, the way the app prints objects. A message's own newlines are folded so that only a
 * payload ever continues an event.
 */
export function formatLogLine(
  at: number,
  level: EngineLogLevel,
  category: string,
  message: string,
  payload?: Record<string, unknown>,
): string {
  const oneLine = message.replace(/\r?\n/g, ' ⏎ ');
  const head = `[${logTimestamp(at)}] [${level.toUpperCase()}] ${category} - ${oneLine}\n`;
  return payload ? `${head}${JSON.stringify(payload, null, 2)}\n` : head;
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
  private readonly dataDir: string;
  private readonly maxBytes: number;
  private readonly keep: number;
  private readonly keepDays: number;
  private readonly minRank: number;
  private readonly now: () => number;
  /** The day file written last and its size (-1: not known yet). */
  private file = '';
  private size = -1;

  constructor(dataDir: string, opts: EngineLogOptions = {}) {
    this.dataDir = dataDir;
    this.dir = engineLogsDir(dataDir);
    this.maxBytes = Math.max(256, opts.maxBytes ?? DEFAULT_LOG_MAX_BYTES);
    this.keep = Math.max(1, Math.floor(opts.keep ?? DEFAULT_LOG_KEEP));
    this.keepDays = Math.max(1, Math.floor(opts.keepDays ?? DEFAULT_LOG_KEEP_DAYS));
    this.minRank = LEVEL_RANK[opts.level ?? 'info'];
    this.now = opts.now ?? (() => Date.now());
  }

  debug(component: string, message: string): void {
    this.write('debug', component, message);
  }
  info(component: string, message: string, payload?: Record<string, unknown>): void {
    this.write('info', component, message, payload);
  }
  warn(component: string, message: string): void {
    this.write('warn', component, message);
  }
  error(component: string, message: string): void {
    this.write('error', component, message);
  }

  write(level: EngineLogLevel, component: string, message: string, payload?: Record<string, unknown>): void {
    if (LEVEL_RANK[level] < this.minRank) return;
    const at = this.now();
    const text = formatLogLine(at, level, component, message, payload);
    const bytes = Buffer.byteLength(text);
    try {
      const file = engineLogFile(this.dataDir, at);
      if (file !== this.file) this.openDay(file, at);
      if (this.size > 0 && this.size + bytes > this.maxBytes) this.rotate();
      appendFileSync(this.file, text);
      this.size += bytes;
    } catch {
      // Logging must never stop the tracker (a full disk is reported by the doctor, not here).
      this.file = '';
      this.size = -1;
    }
  }

  /** A new day's file (or the first write): learn its size, and drop days past `keepDays`. */
  private openDay(file: string, at: number): void {
    mkdirSync(this.dir, { recursive: true });
    this.file = file;
    try {
      this.size = statSync(file).size;
    } catch {
      this.size = 0;
    }
    // Today counts as one of the kept days; dates compare as strings (YYYY-MM-DD).
    const oldest = localDate(at - (this.keepDays - 1) * 86_400_000);
    for (const name of readdirSync(this.dir)) {
      const c = classifyLogFile(name);
      if (c?.kind === 'main' && c.date && c.date < oldest)
        rmSync(path.join(this.dir, name), { force: true });
    }
  }

  /** day.log → .1, .1 → .2 …; the copy past `keep` is dropped. Logs are not the cache: dropping old ones is fine. */
  rotate(): void {
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
    // The app's own words for a capture (research/real-app-facts.md); the category is the engine's.
    if (screenshotSha) this.info('screenshot', 'Electron Screensnap succeeded.');
    this.info(
      'tracker',
      `segment ${segmentLabel(slotStartMs)} sealed, activity ${activeMinutes}/10` +
        `${screenshotSha ? `, screenshot sha256=${screenshotSha}` : ''}, ${formatCacheLevel(cache.pendingMinutes, cache.capacityMinutes)}`,
      // The app's payload type; `activeMinutes` is the engine's field (the app's own counts are not verified).
      { type: 'TRACKER_SAVE_USER_ACTIVITY', slot: segmentLabel(slotStartMs), activeMinutes },
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
    this.info('upload', `POST ${url} with ${segments} segment(s) (attempt ${attempt})`, {
      type: 'TRACKER_UPLOAD_STARTED',
      segments,
      attempt,
    });
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
