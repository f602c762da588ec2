/**
 * The uploader: moves cached segments to the work-diary server (research tracker-engine.md
 * §3.6.6). Oldest slot first, so time nearest its weekly lock goes first; screenshots before the
 * batch that references them; batches of at most 25; one request at a time.
 *
 * A segment leaves the cache only through a journaled server verdict: the batch's ACK/REJECT
 * records are fsynced (store.settle) before anything else changes. A request whose fate is unknown
 * (timeout, dropped connection) changes nothing: the segment is sent again and the server answers
 * "duplicate" with the original receipt, so it is never billed twice. Terminal rejections (week
 * locked, contract not active, another computer logging) are kept in the store and in status.json,
 * never silently dropped. Transient failures back off with full jitter (base 1 s, cap 5 min).
 */
import type { Clock, Rng } from './clock.js';
import {
  idempotencyKey,
  isTerminalRejection,
  MAX_BATCH,
  DEFAULT_FREELANCER_ID,
  type ItemResult,
  type SegmentsBatchRequest,
  type WireSegment,
} from './protocol.js';
import { HttpStatusError, TransportError, type WorkDiaryClient } from './server/client.js';
import type { StatusTracker } from './status.js';
import type { Settlement, Store } from './store/types.js';

/** The part of the cache store the uploader uses. */
export type UploadStore = Pick<
  Store,
  'pendingSegments' | 'readBlob' | 'settle' | 'pendingRemoteDeletes' | 'ackRemoteDelete'
>;

export interface BackoffPolicy {
  baseMs: number;
  capMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 1_000, capMs: 300_000 };

/** Full jitter: uniform in [0, min(cap, base·2^(failures−1))]. Spreads retries of many clients apart. */
export function backoffDelay(
  failures: number,
  rng: Pick<Rng, 'next'>,
  policy: BackoffPolicy = DEFAULT_BACKOFF,
): number {
  if (failures <= 0) return 0;
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** Math.min(failures - 1, 40));
  return Math.floor(rng.next() * ceiling);
}

export type PassOutcome = 'drained' | 'transient' | 'offline' | 'auth' | 'protocol' | 'local';

export interface PassResult {
  outcome: PassOutcome;
  accepted: number;
  duplicates: number;
  rejected: number;
  blobs: number;
  batches: number;
  error?: string;
  /** The server asked for at least this long before a retry (Retry-After). */
  retryAfterMs?: number;
}

export interface UploaderOptions {
  store: UploadStore;
  /** The server's client; a function is asked again before every pass (the server may move). */
  client: WorkDiaryClient | (() => WorkDiaryClient | undefined | Promise<WorkDiaryClient | undefined>);
  deviceId: string;
  freelancerId?: string;
  clock: Clock;
  rng: Pick<Rng, 'next'>;
  /** Waits between retries; tests pass one that advances a fake clock instead of sleeping. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  batchSize?: number;
  backoff?: BackoffPolicy;
  status?: StatusTracker;
  log?: (level: 'info' | 'warn' | 'error', line: string) => void;
}

export function realSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

function describe(e: unknown): string {
  if (e instanceof HttpStatusError) return `HTTP ${e.status} ${e.code}: ${e.message}`;
  if (e instanceof Error) return e.message;
  return String(e);
}

function refKey(contractId: string, slot: number): string {
  return `${contractId}#${slot}`;
}

export class Uploader {
  private failures = 0;
  /** Blobs the server confirmed in this process; a MISSING_BLOB verdict removes one. */
  private readonly blobsOnServer = new Set<string>();
  private readonly batchSize: number;
  private readonly backoff: BackoffPolicy;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  private readonly log: NonNullable<UploaderOptions['log']>;

  constructor(private readonly opts: UploaderOptions) {
    this.batchSize = Math.max(1, Math.min(MAX_BATCH, opts.batchSize ?? MAX_BATCH));
    this.backoff = opts.backoff ?? DEFAULT_BACKOFF;
    this.sleep = opts.sleep ?? realSleep;
    this.log = opts.log ?? (() => undefined);
  }

  /** Consecutive failed passes (0 after a success). */
  get consecutiveFailures(): number {
    return this.failures;
  }

  /** The wait before the next retry after the current run of failures. */
  nextDelay(retryAfterMs = 0): number {
    return Math.max(
      backoffDelay(this.failures, this.opts.rng, this.backoff),
      Math.min(retryAfterMs, this.backoff.capMs),
    );
  }

  private async client(): Promise<WorkDiaryClient | undefined> {
    const c = this.opts.client;
    return typeof c === 'function' ? c() : c;
  }

  /** Ask the server whether it is there (updates the status); true when it answered. */
  async probe(): Promise<boolean> {
    const client = await this.client();
    const status = this.opts.status;
    if (!client) {
      status?.event({ type: 'NET_DOWN', error: 'no work-diary server is running' });
      return false;
    }
    try {
      const r = await client.health();
      status?.observeServerTime(r.body.serverTime);
      status?.event({ type: 'PROBE_OK' });
      return true;
    } catch (e) {
      this.classify(e);
      return false;
    }
  }

  /** Map a failure to a pass outcome and a status event. */
  private classify(e: unknown): { outcome: PassOutcome; error: string; retryAfterMs?: number } {
    const status = this.opts.status;
    const error = describe(e);
    if (e instanceof TransportError) {
      if (e.kind === 'refused' || e.kind === 'tls' || e.kind === 'network') {
        status?.event({ type: 'NET_DOWN', error });
        return { outcome: 'offline', error };
      }
      status?.event({ type: 'TRANSIENT', error });
      return { outcome: 'transient', error };
    }
    if (e instanceof HttpStatusError) {
      if (e.serverTime !== undefined) status?.observeServerTime(e.serverTime);
      if (e.status === 401) {
        status?.event({ type: 'HTTP_401', error });
        return { outcome: 'auth', error };
      }
      status?.event({ type: 'TRANSIENT', error });
      // 429 and 5xx are the server asking us to come back; any other status is a protocol mismatch,
      // retried too (slowly) because giving up would strand the cache.
      const transient = e.status === 429 || e.status >= 500;
      return {
        outcome: transient ? 'transient' : 'protocol',
        error,
        ...(e.retryAfterMs !== undefined ? { retryAfterMs: e.retryAfterMs } : {}),
      };
    }
    status?.localError(error);
    return { outcome: 'local', error };
  }

  /**
   * One pass: upload everything pending, batch by batch, until the outbox is empty or something
   * fails. Never throws for network or server trouble; the result says what happened.
   */
  async uploadOnce(): Promise<PassResult> {
    const res: PassResult = {
      outcome: 'drained',
      accepted: 0,
      duplicates: 0,
      rejected: 0,
      blobs: 0,
      batches: 0,
    };
    const status = this.opts.status;
    const client = await this.client();
    if (!client) {
      status?.event({ type: 'NET_DOWN', error: 'no work-diary server is running' });
      this.failures++;
      return { ...res, outcome: 'offline', error: 'no work-diary server is running' };
    }
    // Segments whose batch verdict was "missing blob": not retried in this pass, so a blob the
    // server keeps losing cannot spin the loop.
    const deferred = new Set<string>();
    // Everything sent in this pass: a segment is sent at most once per pass, whatever the store does.
    const sentThisPass = new Set<string>();
    try {
      for (;;) {
        const batch = this.opts.store
          .pendingSegments()
          .filter((s) => !sentThisPass.has(refKey(s.contractId, s.slot)))
          .slice(0, this.batchSize);
        if (batch.length === 0) break;
        for (const s of batch) sentThisPass.add(refKey(s.contractId, s.slot));
        await this.uploadBlobs(client, batch, res);
        status?.attempt();
        const body: SegmentsBatchRequest = {
          freelancerId: this.opts.freelancerId ?? DEFAULT_FREELANCER_ID,
          deviceId: this.opts.deviceId,
          segments: batch,
        };
        const reply = await client.postBatch(body, idempotencyKey(body));
        status?.observeServerTime(reply.body.serverTime);
        const settled = await this.settle(batch, reply.body.results, reply.body.serverTime, deferred);
        res.batches++;
        res.accepted += settled.accepted;
        res.duplicates += settled.duplicates;
        res.rejected += settled.rejected;
        status?.success({
          accepted: settled.accepted,
          duplicates: settled.duplicates,
          rejected: settled.rejected,
        });
        this.log(
          'info',
          `upload: batch of ${batch.length}: ${settled.accepted} accepted, ${settled.duplicates} duplicate, ${settled.rejected} rejected`,
        );
      }
      await this.uploadDeletes(client);
      this.failures = 0;
      status?.scheduleRetry(null);
      if (deferred.size > 0) {
        this.failures = 1;
        return {
          ...res,
          outcome: 'transient',
          error: `${deferred.size} segment(s) wait for their screenshot to upload`,
        };
      }
      return res;
    } catch (e) {
      this.failures++;
      const c = this.classify(e);
      this.log(
        c.outcome === 'local' ? 'error' : 'warn',
        `upload failed (attempt ${this.failures}): ${c.error}`,
      );
      return { ...res, ...c };
    } finally {
      await status?.flush().catch(() => undefined);
    }
  }

  private async uploadBlobs(
    client: WorkDiaryClient,
    batch: readonly WireSegment[],
    res: PassResult,
  ): Promise<void> {
    for (const seg of batch) {
      const hash = seg.screenshot?.sha256;
      if (!hash || this.blobsOnServer.has(hash)) continue;
      const bytes = await this.opts.store.readBlob(hash);
      this.opts.status?.attempt();
      const r = await client.putBlob(hash, bytes);
      this.opts.status?.observeServerTime(r.body.serverTime);
      this.blobsOnServer.add(hash);
      res.blobs++;
      this.opts.status?.success({ blobs: 1 });
    }
  }

  /** Journal every verdict of one batch (one fsync) before the outbox changes. */
  private async settle(
    batch: readonly WireSegment[],
    results: readonly ItemResult[],
    serverTime: number,
    deferred: Set<string>,
  ): Promise<{ accepted: number; duplicates: number; rejected: number }> {
    const sent = new Map(batch.map((s) => [refKey(s.contractId, s.slot), s]));
    const items: Settlement[] = [];
    const rejectedItems: Array<{ contractId: string; slot: number; code: NonNullable<ItemResult['code']> }> =
      [];
    let accepted = 0;
    let duplicates = 0;
    for (const r of results) {
      const seg = sent.get(refKey(r.contractId, r.slot));
      // Results are matched by key; anything the server did not answer about stays pending.
      if (!seg) continue;
      sent.delete(refKey(r.contractId, r.slot));
      const ref = { contractId: seg.contractId, slot: seg.slot };
      if ((r.status === 'accepted' || r.status === 'duplicate') && r.receiptId) {
        items.push({
          ...ref,
          outcome: 'ack',
          receipt: {
            receiptId: r.receiptId,
            result: r.status,
            ...(r.billable !== undefined ? { billable: r.billable } : {}),
            ...(r.overLimit !== undefined ? { overLimit: r.overLimit } : {}),
            serverTime,
          },
        });
        if (r.status === 'accepted') accepted++;
        else duplicates++;
      } else if (r.status === 'rejected' && r.code && isTerminalRejection(r.code)) {
        items.push({
          ...ref,
          outcome: 'reject',
          rejection: { code: r.code, ...(r.message ? { message: r.message } : {}), serverTime },
        });
        rejectedItems.push({ ...ref, code: r.code });
        this.log(
          'warn',
          `upload: ${seg.contractId} slot ${seg.slot} rejected ${r.code}${r.message ? `: ${r.message}` : ''}`,
        );
      } else if (r.code === 'MISSING_BLOB' && seg.screenshot) {
        this.blobsOnServer.delete(seg.screenshot.sha256);
        deferred.add(refKey(seg.contractId, seg.slot));
      } else {
        deferred.add(refKey(seg.contractId, seg.slot));
      }
    }
    for (const k of sent.keys()) deferred.add(k);
    if (items.length > 0) await this.opts.store.settle(items);
    this.opts.status?.rejected(rejectedItems);
    return { accepted, duplicates, rejected: rejectedItems.length };
  }

  private async uploadDeletes(client: WorkDiaryClient): Promise<void> {
    for (const seg of this.opts.store.pendingRemoteDeletes()) {
      try {
        await client.deleteSlot(seg.contractId, seg.slot);
        await this.opts.store.ackRemoteDelete({ contractId: seg.contractId, slot: seg.slot });
      } catch (e) {
        // A refused delete (week locked) is the server's verdict: the time stays billed. Keep the
        // local intent so the doctor can show it, and go on with the rest.
        if (e instanceof HttpStatusError && e.status === 409) {
          this.log('warn', `delete of ${seg.contractId} slot ${seg.slot} refused: ${e.message}`);
          continue;
        }
        throw e;
      }
    }
  }

  /**
   * Keep passing until the outbox is empty, backing off between failures. Stops early on a
   * sign-in problem, when `signal` aborts, after `maxPasses`, or once `deadline` (clock ms) passes.
   */
  async drain(
    opts: { maxPasses?: number; deadline?: number; signal?: AbortSignal } = {},
  ): Promise<PassResult & { passes: number }> {
    let passes = 0;
    const total: PassResult = {
      outcome: 'drained',
      accepted: 0,
      duplicates: 0,
      rejected: 0,
      blobs: 0,
      batches: 0,
    };
    for (;;) {
      const r = await this.uploadOnce();
      passes++;
      total.accepted += r.accepted;
      total.duplicates += r.duplicates;
      total.rejected += r.rejected;
      total.blobs += r.blobs;
      total.batches += r.batches;
      total.outcome = r.outcome;
      if (r.error !== undefined) total.error = r.error;
      else delete total.error;
      if (r.outcome === 'drained' || r.outcome === 'auth') return { ...total, passes };
      if (opts.signal?.aborted || (opts.maxPasses !== undefined && passes >= opts.maxPasses))
        return { ...total, passes };
      const wait = this.nextDelay(r.retryAfterMs);
      if (opts.deadline !== undefined && this.opts.clock.now() + wait > opts.deadline)
        return { ...total, passes };
      this.opts.status?.scheduleRetry(this.opts.clock.now() + wait);
      await this.opts.status?.flush().catch(() => undefined);
      await this.sleep(wait, opts.signal);
    }
  }

  /**
   * The background loop of a running tracker: upload when something is pending, probe the server
   * every `idleMs` when nothing is, back off on failures. Resolves when `signal` aborts.
   */
  async run(signal: AbortSignal, idleMs = 30_000): Promise<void> {
    while (!signal.aborted) {
      let wait = idleMs;
      if (this.opts.store.pendingSegments().length > 0 || this.opts.store.pendingRemoteDeletes().length > 0) {
        const r = await this.uploadOnce();
        if (r.outcome !== 'drained') wait = this.nextDelay(r.retryAfterMs) || this.backoff.baseMs;
        if (r.outcome === 'auth') wait = idleMs;
      } else {
        const ok = await this.probe();
        await this.opts.status?.flush().catch(() => undefined);
        if (!ok) {
          this.failures++;
          wait = Math.max(this.backoff.baseMs, this.nextDelay());
        } else this.failures = 0;
      }
      this.opts.status?.scheduleRetry(this.opts.clock.now() + wait);
      await this.sleep(wait, signal);
    }
  }
}
