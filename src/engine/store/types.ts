/**
 * The cache store's public contract. The tracker seals segments into it; the uploader reads the
 * pending ones oldest first and records the server's verdicts. Every mutating call resolves only
 * after its journal record is fsynced, so nothing is acknowledged that a crash could lose.
 */
import type { RejectionCode } from '../protocol.js';
import type { Segment } from '../rules/segments.js';

export type SegmentState = 'pending' | 'acked' | 'rejected' | 'deleted';

export interface SegmentRef {
  contractId: string;
  slot: number;
}

export interface AckReceipt {
  receiptId: string;
  result: 'accepted' | 'duplicate';
  billable?: boolean;
  overLimit?: boolean;
  serverTime: number;
}

export interface Rejection {
  code: RejectionCode;
  message?: string;
  serverTime: number;
}

export interface StoredSegment {
  segment: Segment;
  state: SegmentState;
  sealedAt: number;
  receipt?: AckReceipt;
  rejection?: Rejection;
  deletedAt?: number;
  /** Deleted after the server had it: the server still has to be told. */
  remoteDeletePending?: boolean;
}

export type Settlement =
  | ({ outcome: 'ack'; receipt: AckReceipt } & SegmentRef)
  | ({ outcome: 'reject'; rejection: Rejection } & SegmentRef);

export interface StoreStats {
  pendingSegments: number;
  /** Auto-tracked minutes waiting for upload: what the capacity limits. */
  pendingMinutes: number;
  /** Manual minutes waiting for upload (not counted against capacity). */
  pendingManualMinutes: number;
  capacityMinutes: number;
  ackedSegments: number;
  rejectedSegments: number;
  deletedSegments: number;
  oldestPendingSlot: number | null;
  newestPendingSlot: number | null;
  degraded: boolean;
  quarantined: string[];
  repairs: number;
  seq: number;
}

/** What the uploader (and anything else outside the tracker) may do with the cache. */
export interface Store {
  readonly cacheDir: string;
  readonly capacityMinutes: number;
  /** A damaged file was quarantined: tracking is refused until the cache is repaired. */
  readonly degraded: boolean;
  /** Pending segments, oldest slot first (ties by contract id), ready to upload. */
  pendingSegments(): Segment[];
  pendingMinutes(): number;
  get(ref: SegmentRef): StoredSegment | undefined;
  all(): StoredSegment[];
  /** Terminal rejections, kept and visible, never dropped. */
  rejected(): StoredSegment[];
  /** Segments deleted after upload whose server-side delete is still owed. */
  pendingRemoteDeletes(): Segment[];
  readBlob(sha256: string): Promise<Buffer>;
  hasBlob(sha256: string): Promise<boolean>;
  ack(ref: SegmentRef, receipt: AckReceipt): Promise<void>;
  reject(ref: SegmentRef, rejection: Rejection): Promise<void>;
  /** Record a whole batch's verdicts with one fsync. */
  settle(items: readonly Settlement[]): Promise<void>;
  /** The server confirmed a delete of an uploaded segment. */
  ackRemoteDelete(ref: SegmentRef): Promise<void>;
  stats(): StoreStats;
}

export class StoreError extends Error {
  override name = 'StoreError';
  constructor(
    readonly code:
      | 'locked'
      | 'cache-full'
      | 'degraded'
      | 'duplicate-slot'
      | 'invalid'
      | 'closed'
      | 'format'
      | 'not-found'
      | 'unreadable',
    message: string,
  ) {
    super(message);
  }
}
