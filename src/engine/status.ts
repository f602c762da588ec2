/**
 * The tracker's connection status, as the freelancer sees it in the app: "Online", "Online and
 * uploading", "Offline (caching)", "Cache full", plus "Connecting" and "Sign in required"
 * (research tracker-engine.md §3.5). The running tracker/uploader writes it to
 * `<data>/engine/status.json` atomically, which is what the doctor reads to say "stuck in caching
 * mode" or "cache 75 % full" without talking to the engine.
 *
 * The label is derived, not stored: from what we know about the link (unknown, up, down, signed
 * out) and the cache level. That makes invariant I15 hold by construction: Online iff connected
 * with an empty outbox, Online and uploading iff connected with a non-empty one, Cache full iff
 * the cache is at capacity while not connected.
 */
import path from 'node:path';
import type { Clock } from './clock.js';
import {
  SLOT_MS,
  STATUS_LABELS,
  type ConnectionState,
  type RejectionCode,
  type StatusFile,
  type StatusRejection,
} from './protocol.js';
import { writeJsonAtomic } from './server/atomic.js';

export type Link = 'unknown' | 'up' | 'down' | 'auth';

export type StatusEvent =
  /** Connection refused, DNS, TLS handshake failure: the network path is down. */
  | { type: 'NET_DOWN'; error: string }
  /** A retryable failure with the server reachable (timeout, reset, 5xx, 429, maintenance). */
  | { type: 'TRANSIENT'; error: string }
  /** The server answered a probe or a request. */
  | { type: 'PROBE_OK' }
  | { type: 'HTTP_401'; error: string }
  | { type: 'LOGIN_OK' };

/** Consecutive transient failures after which the tracker considers itself offline. */
export const TRANSIENT_STREAK_OFFLINE = 3;

export interface CacheLevel {
  pendingSegments: number;
  pendingMinutes: number;
  capacityMinutes: number;
  oldestPendingSlotStart: number | null;
}

/** The cache level as the store reports it (StoreStats). */
export function cacheLevelOf(stats: {
  pendingSegments: number;
  pendingMinutes: number;
  capacityMinutes: number;
  oldestPendingSlot: number | null;
}): CacheLevel {
  return {
    pendingSegments: stats.pendingSegments,
    pendingMinutes: stats.pendingMinutes,
    capacityMinutes: stats.capacityMinutes,
    oldestPendingSlotStart: stats.oldestPendingSlot === null ? null : stats.oldestPendingSlot * SLOT_MS,
  };
}

export interface LinkState {
  link: Link;
  transientStreak: number;
}

/** The link after an event (pure). Sign-in problems stick until a login, whatever the network does. */
export function nextLink(s: LinkState, e: StatusEvent): LinkState {
  switch (e.type) {
    case 'HTTP_401':
      return { link: 'auth', transientStreak: 0 };
    case 'LOGIN_OK':
      return { link: 'unknown', transientStreak: 0 };
    default:
      if (s.link === 'auth') return s;
  }
  switch (e.type) {
    case 'NET_DOWN':
      return { link: 'down', transientStreak: s.transientStreak };
    case 'TRANSIENT': {
      const streak = s.transientStreak + 1;
      return { link: streak >= TRANSIENT_STREAK_OFFLINE ? 'down' : s.link, transientStreak: streak };
    }
    case 'PROBE_OK':
      return { link: 'up', transientStreak: 0 };
  }
}

/** The user-visible state (pure). */
export function deriveState(
  link: Link,
  cache: Pick<CacheLevel, 'pendingSegments' | 'pendingMinutes' | 'capacityMinutes'>,
): ConnectionState {
  if (link === 'auth') return 'AUTH_REQUIRED';
  if (link === 'up') return cache.pendingSegments > 0 ? 'ONLINE_UPLOADING' : 'ONLINE';
  if (cache.pendingMinutes >= cache.capacityMinutes) return 'CACHE_FULL';
  return link === 'down' ? 'OFFLINE_CACHING' : 'CONNECTING';
}

export function statusFilePath(dataDir: string): string {
  return path.join(dataDir, 'engine', 'status.json');
}

const MAX_REJECTIONS_IN_FILE = 200;

export interface StatusTrackerOptions {
  /** Engine data folder; status.json goes to `<data>/engine/status.json`. Omit to keep it in memory. */
  dataDir?: string;
  clock: Clock;
  /** Reads the cache level from the store each time the status is computed. */
  cache: () => CacheLevel;
  serverUrl?: string | null;
  /** Called on every state change (for the engine's log). */
  onChange?: (from: ConnectionState, to: ConnectionState, file: StatusFile) => void;
}

export class StatusTracker {
  private linkState: LinkState = { link: 'unknown', transientStreak: 0 };
  /**
   * Requests to the server that failed since the last one that went through (refused, dropped,
   * a 5xx, a 401): status.json's `consecutiveFailures`. The link's transient streak is not it: a
   * refused connection takes the link down at once and leaves that streak where it was.
   */
  private failureStreak = 0;
  private state: ConnectionState;
  private since: number;
  private readonly counters: StatusFile['counters'] = {
    attempts: 0,
    accepted: 0,
    duplicates: 0,
    rejected: 0,
    transientFailures: 0,
    blobsUploaded: 0,
  };
  private lastAttemptAt: number | null = null;
  private lastSuccessAt: number | null = null;
  private lastError: string | null = null;
  private nextRetryAt: number | null = null;
  private skewMs: number | null = null;
  private lastServerTime: number | null = null;
  private rejections: StatusRejection[] = [];
  private writing: Promise<void> = Promise.resolve();
  serverUrl: string | null;

  constructor(private readonly opts: StatusTrackerOptions) {
    this.serverUrl = opts.serverUrl ?? null;
    this.state = deriveState(this.linkState.link, opts.cache());
    this.since = opts.clock.now();
  }

  get link(): Link {
    return this.linkState.link;
  }

  current(): ConnectionState {
    this.recompute();
    return this.state;
  }

  /** Apply a link event and recompute the state. */
  event(e: StatusEvent): ConnectionState {
    this.linkState = nextLink(this.linkState, e);
    this.failureStreak = e.type === 'PROBE_OK' || e.type === 'LOGIN_OK' ? 0 : this.failureStreak + 1;
    if (e.type === 'NET_DOWN' || e.type === 'TRANSIENT' || e.type === 'HTTP_401') {
      this.lastError = e.error;
      this.counters.transientFailures += e.type === 'TRANSIENT' || e.type === 'NET_DOWN' ? 1 : 0;
    }
    if (e.type === 'PROBE_OK') this.nextRetryAt = null;
    this.recompute();
    return this.state;
  }

  /** A local problem (e.g. a screenshot missing from the cache): shown, but says nothing about the link. */
  localError(error: string): void {
    this.lastError = error;
  }

  attempt(): void {
    this.counters.attempts++;
    this.lastAttemptAt = this.opts.clock.now();
  }

  /** A batch or blob upload went through. */
  success(counts: { accepted?: number; duplicates?: number; rejected?: number; blobs?: number } = {}): void {
    this.counters.accepted += counts.accepted ?? 0;
    this.counters.duplicates += counts.duplicates ?? 0;
    this.counters.rejected += counts.rejected ?? 0;
    this.counters.blobsUploaded += counts.blobs ?? 0;
    this.lastSuccessAt = this.opts.clock.now();
    this.lastError = null;
    this.event({ type: 'PROBE_OK' });
  }

  rejected(items: ReadonlyArray<{ contractId: string; slot: number; code: RejectionCode }>): void {
    const at = this.opts.clock.now();
    for (const i of items) this.rejections.push({ contractId: i.contractId, slot: i.slot, code: i.code, at });
    if (this.rejections.length > MAX_REJECTIONS_IN_FILE)
      this.rejections = this.rejections.slice(-MAX_REJECTIONS_IN_FILE);
  }

  /** Replace the rejection list from the store (which keeps them all, durably). */
  setRejections(items: StatusRejection[]): void {
    this.rejections = items.slice(-MAX_REJECTIONS_IN_FILE);
  }

  observeServerTime(serverTime: number): void {
    this.lastServerTime = serverTime;
    this.skewMs = serverTime - this.opts.clock.now();
  }

  scheduleRetry(at: number | null): void {
    this.nextRetryAt = at;
  }

  private recompute(): void {
    const next = deriveState(this.linkState.link, this.opts.cache());
    if (next !== this.state) {
      const from = this.state;
      this.state = next;
      this.since = this.opts.clock.now();
      this.opts.onChange?.(from, next, this.snapshot());
    }
  }

  snapshot(): StatusFile {
    const cache = this.opts.cache();
    const state = deriveState(this.linkState.link, cache);
    return {
      version: 1,
      state,
      label: STATUS_LABELS[state],
      since: state === this.state ? this.since : this.opts.clock.now(),
      updatedAt: this.opts.clock.now(),
      pid: process.pid,
      serverUrl: this.serverUrl,
      pendingSegments: cache.pendingSegments,
      pendingMinutes: cache.pendingMinutes,
      capacityMinutes: cache.capacityMinutes,
      cacheLevelPercent:
        cache.capacityMinutes > 0 ? Math.floor((cache.pendingMinutes * 100) / cache.capacityMinutes) : 100,
      oldestPendingSlotStart: cache.oldestPendingSlotStart,
      lastAttemptAt: this.lastAttemptAt,
      lastSuccessAt: this.lastSuccessAt,
      lastError: this.lastError,
      consecutiveFailures: this.failureStreak,
      nextRetryAt: this.nextRetryAt,
      skewMs: this.skewMs,
      lastServerTime: this.lastServerTime,
      counters: { ...this.counters },
      rejections: [...this.rejections],
    };
  }

  /** Write status.json atomically (serialised; the last call wins). No-op without a dataDir. */
  flush(): Promise<void> {
    this.recompute();
    const dataDir = this.opts.dataDir;
    if (!dataDir) return Promise.resolve();
    const snap = this.snapshot();
    const run = this.writing.then(() => writeJsonAtomic(statusFilePath(dataDir), snap));
    this.writing = run.catch(() => undefined);
    return run;
  }
}
