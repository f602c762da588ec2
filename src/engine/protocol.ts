/**
 * The upload protocol between the reference tracker and the reference work-diary server
 * (research tracker-engine.md §3.6), plus the two JSON files the running service leaves in the
 * engine folder (server.json, status.json) so the doctor's collectors can read them without
 * importing engine internals.
 *
 * This module is deliberately light (node:crypto only): the tracker, the server, the uploader, the
 * scenarios and the doctor's collectors all import it.
 */
import { createHash } from 'node:crypto';

export const PROTOCOL_VERSION = 1;
/** Batches are capped so one request stays small and one poison item cannot hold many back. */
export const MAX_BATCH = 25;
/** Largest screenshot blob the server stores (synthetic PNGs are a few KB). */
export const MAX_BLOB_BYTES = 8 * 1024 * 1024;

/** The reference model has one freelancer unless a request names another. */
export const DEFAULT_FREELANCER_ID = 'freelancer-1';

export const MINUTE_MS = 60_000;
export const SLOT_MS = 600_000;
export const DAY_MS = 86_400_000;
export const WEEK_MS = 7 * DAY_MS;
/** 1970-01-05T00:00Z, the first Monday after the epoch: weeks are counted from it. */
export const MONDAY0_MS = 4 * DAY_MS;
/** The Work Diary of week W locks Monday 12:00 UTC after W ends. */
export const LOCK_AFTER_WEEK_END_MS = 12 * 60 * MINUTE_MS;

/** Wire-level time helpers. Integers of UTC ms only, so they never depend on the local time zone. */
export function slotIndexOf(t: number): number {
  return Math.floor(t / SLOT_MS);
}
export function slotStartOf(slot: number): number {
  return slot * SLOT_MS;
}
export function weekStartOf(t: number): number {
  return MONDAY0_MS + Math.floor((t - MONDAY0_MS) / WEEK_MS) * WEEK_MS;
}
export function weekLockOf(t: number): number {
  return weekStartOf(t) + WEEK_MS + LOCK_AFTER_WEEK_END_MS;
}
/** Week id = the ISO date of its Monday ("2025-01-06"): unambiguous around New Year, unlike ISO week numbers. */
export function weekIdOf(t: number): string {
  return new Date(weekStartOf(t)).toISOString().slice(0, 10);
}
/** Parse a week id back to its Monday 00:00 UTC; undefined when it is not a Monday date. */
export function parseWeekId(id: string): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(id)) return undefined;
  const t = Date.parse(`${id}T00:00:00.000Z`);
  if (!Number.isFinite(t) || weekStartOf(t) !== t) return undefined;
  return t;
}

// ---------------------------------------------------------------------------------------------
// Contracts

export type ContractType = 'hourly' | 'fixed';
export type ContractStatus = 'active' | 'paused' | 'ended';

export interface LimitChange {
  /** When the client changed the limit (server time, ms). */
  at: number;
  /** Weekly hours limit from then on; null = no limit. */
  hours: number | null;
}

export interface StatusChange {
  at: number;
  status: ContractStatus;
}

export interface WireContract {
  id: string;
  title: string;
  client: string;
  type: ContractType;
  /** Status now (server time). */
  status: ContractStatus;
  /** Every status change, oldest first; the server gates each segment by the status at its slot. */
  statusHistory: StatusChange[];
  /** The contract opens at 00:00 UTC of its start date (ms, always a UTC midnight). */
  startDate: number;
  /** The limit in force now; null = no limit. Fixed-price contracts are never limited. */
  weeklyLimitHours: number | null;
  limitHistory: LimitChange[];
  manualTimeAllowed: boolean;
  activityRequired: boolean;
  activities: string[];
}

export interface ContractsResponse {
  serverTime: number;
  contracts: WireContract[];
}

// ---------------------------------------------------------------------------------------------
// Segments

/** Per-minute counters: [keystrokes, clicks, scrolls]. */
export type MinuteCounts = [number, number, number];

export interface WireScreenshot {
  sha256: string;
  takenAt: number;
}

/** One 10-minute billing segment as the tracker sealed it. `fingerprint` covers every other field. */
export interface WireSegment {
  contractId: string;
  /** floor(slotStart / 600 000). */
  slot: number;
  kind: 'auto' | 'manual';
  trackedFrom: number;
  trackedTo: number;
  /** Exactly 10 entries, minute i of the slot; untracked minutes are [0,0,0]. Manual: all zero. */
  minutes: MinuteCounts[];
  /** Minutes with any input (0..10). */
  activeMinutes: number;
  screenshot: WireScreenshot | null;
  memo: string;
  activity: string | null;
  deviceId: string;
  /** The tracker's journal sequence number: diagnostics, and last-writer-wins for edits. */
  seq: number;
  fingerprint: string;
}

export type UnsignedSegment = Omit<WireSegment, 'fingerprint'>;

export interface SegmentsBatchRequest {
  freelancerId: string;
  deviceId: string;
  segments: WireSegment[];
}

export type ItemStatus = 'accepted' | 'duplicate' | 'rejected';

export const REJECTION_CODES = [
  'WEEK_LOCKED',
  'CONTRACT_NOT_ACTIVE',
  'CONTRACT_NOT_STARTED',
  'DEVICE_CONFLICT',
  'SLOT_CONFLICT',
  'INVALID',
  'MISSING_BLOB',
  'FUTURE_SEGMENT',
] as const;
export type RejectionCode = (typeof REJECTION_CODES)[number];

/**
 * MISSING_BLOB is the one rejection the client fixes itself (upload the blob, send again); every
 * other code is a final verdict that must be kept and shown, never retried or dropped.
 */
export function isTerminalRejection(code: RejectionCode): boolean {
  return code !== 'MISSING_BLOB';
}

export interface ItemResult {
  contractId: string;
  slot: number;
  status: ItemStatus;
  code?: RejectionCode;
  message?: string;
  /** Accepted and duplicate: the ORIGINAL receipt, so a retry is recognisably the same billing. */
  receiptId?: string;
  acceptedAt?: number;
  /** Credited minutes, split into billable (within the weekly limit) and over the limit; fixed-price bills none. */
  minutes?: number;
  billableMinutes?: number;
  overLimitMinutes?: number;
  billable?: boolean;
  overLimit?: boolean;
}

export interface SegmentsBatchResponse {
  serverTime: number;
  results: ItemResult[];
}

export interface BlobPutResponse {
  serverTime: number;
  sha256: string;
  size: number;
  /** false when the server already had it (PUT is idempotent by content address). */
  created: boolean;
}

export interface HealthResponse {
  serverTime: number;
  status: 'ok';
  protocol: number;
  service: 'reference-work-diary';
}

export interface TimeResponse {
  serverTime: number;
  iso: string;
}

// ---------------------------------------------------------------------------------------------
// Diary

export interface DiarySegment {
  slot: number;
  slotStart: number;
  kind: 'auto' | 'manual';
  minutes: number;
  activeMinutes: number;
  memo: string;
  activity: string | null;
  screenshot: WireScreenshot | null;
  deviceId: string;
  receiptId: string;
  acceptedAt: number;
  billableMinutes: number;
  overLimitMinutes: number;
  billable: boolean;
  overLimit: boolean;
}

export interface DiaryView {
  serverTime: number;
  contractId: string;
  week: string;
  weekStart: number;
  weekEnd: number;
  lockAt: number;
  locked: boolean;
  /** The limit that governs this week after the increase-now / decrease-next-week rule. */
  effectiveLimitHours: number | null;
  segments: DiarySegment[];
  totals: {
    segments: number;
    trackedMinutes: number;
    billableMinutes: number;
    overLimitMinutes: number;
    manualMinutes: number;
  };
}

// ---------------------------------------------------------------------------------------------
// Errors (non-2xx bodies)

export type ErrorCode =
  | 'BAD_REQUEST'
  | 'NOT_FOUND'
  | 'METHOD_NOT_ALLOWED'
  | 'HASH_MISMATCH'
  | 'TOO_LARGE'
  | 'MAINTENANCE'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'TIMEOUT'
  | 'INTERNAL';

export interface ErrorBody {
  serverTime: number;
  error: { code: ErrorCode; message: string };
}

// ---------------------------------------------------------------------------------------------
// Faults and admin

export interface Faults {
  /** Not listening at all: clients see connection refused. */
  offline?: boolean;
  /** Every endpoint except the admin ones answers 503 with Retry-After (seconds). */
  maintenance?: boolean;
  maintenanceRetryAfterSec?: number;
  /** Delay every response by this many ms. */
  slowMs?: number;
  /** serverTime and the HTTP Date header run this many ms ahead (negative: behind) of true time. */
  skewMs?: number;
  /** Only TLS 1.0/1.1 with SECLEVEL=0 ciphers: a modern client cannot handshake. Applied at (re)listen. */
  oldTls?: boolean;
  /** Another device of the same freelancer is live-logging: cached segments from other devices are refused. */
  deviceConflict?: boolean;
  /** The other device's id (default "device-elsewhere"). */
  conflictDeviceId?: string;
  /** Server time the other device started live-logging (default: when the fault was switched on). */
  deviceConflictSince?: number;
  /** Every non-admin endpoint but health answers 401 (the tracker shows "Sign in required"). */
  signedOut?: boolean;
}

export interface AdminContractPatch {
  /** When the client made this change (server time); default now. Lets scenarios date a change in the past. */
  at?: number;
  title?: string;
  client?: string;
  type?: ContractType;
  status?: ContractStatus;
  startDate?: number;
  weeklyLimitHours?: number | null;
  manualTimeAllowed?: boolean;
  activityRequired?: boolean;
  activities?: string[];
}

/** The paths, so client and server cannot drift apart. */
export const PATHS = {
  health: '/v1/health',
  time: '/v1/time',
  contracts: '/v1/contracts',
  blob: (sha256: string) => `/v1/blobs/sha256/${sha256}`,
  segmentsBatch: '/v1/diary/segments:batch',
  diary: (contractId: string, week: string) =>
    `/v1/diary/${encodeURIComponent(contractId)}?week=${encodeURIComponent(week)}`,
  diarySlot: (contractId: string, slot: number) => `/v1/diary/${encodeURIComponent(contractId)}/${slot}`,
  adminContract: (contractId: string) => `/v1/admin/contracts/${encodeURIComponent(contractId)}`,
  adminFaults: '/v1/admin/faults',
  adminLive: '/v1/admin/live',
  testHooks: '/__test/hooks',
} as const;

// ---------------------------------------------------------------------------------------------
// Files in <data>/engine/ written by the service

/** `<data>/engine/server.json`, written atomically after listen, removed on close. */
export interface ServerInfoFile {
  url: string;
  host: string;
  port: number;
  pid: number;
  startedAt: number;
  /** Absolute path of the local CA certificate the client must trust. */
  caPem: string;
  faults: Faults;
  protocol: number;
}

export type ConnectionState =
  'CONNECTING' | 'ONLINE' | 'ONLINE_UPLOADING' | 'OFFLINE_CACHING' | 'CACHE_FULL' | 'AUTH_REQUIRED';

export const STATUS_LABELS: Record<ConnectionState, string> = {
  CONNECTING: 'Connecting',
  ONLINE: 'Online',
  ONLINE_UPLOADING: 'Online and uploading',
  OFFLINE_CACHING: 'Offline (caching)',
  CACHE_FULL: 'Cache full',
  AUTH_REQUIRED: 'Sign in required',
};

export interface StatusRejection {
  contractId: string;
  slot: number;
  code: RejectionCode;
  at: number;
}

/** `<data>/engine/status.json`, written atomically by the running tracker/uploader. */
export interface StatusFile {
  version: 1;
  state: ConnectionState;
  label: string;
  /** When the current state was entered. */
  since: number;
  updatedAt: number;
  pid: number;
  serverUrl: string | null;
  pendingSegments: number;
  pendingMinutes: number;
  capacityMinutes: number;
  /** pendingMinutes / capacityMinutes * 100, rounded down. */
  cacheLevelPercent: number;
  oldestPendingSlotStart: number | null;
  lastAttemptAt: number | null;
  lastSuccessAt: number | null;
  lastError: string | null;
  consecutiveFailures: number;
  nextRetryAt: number | null;
  /** serverTime − local clock at the last response, ms. */
  skewMs: number | null;
  lastServerTime: number | null;
  counters: {
    attempts: number;
    accepted: number;
    duplicates: number;
    rejected: number;
    transientFailures: number;
    blobsUploaded: number;
  };
  /** Terminal rejections (kept, never dropped); newest last, capped for the file's size. */
  rejections: StatusRejection[];
}

// ---------------------------------------------------------------------------------------------
// Canonical JSON and fingerprints

/**
 * Canonical JSON: object keys sorted by UTF-16 code unit, no whitespace, undefined members omitted,
 * non-finite numbers refused. Two parties that hold the same value always produce the same bytes,
 * which is what makes fingerprints and Idempotency-Keys comparable.
 */
export function canonicalJson(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError('canonicalJson: non-finite number');
      return JSON.stringify(value);
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) {
        return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
      }
      const obj = value as Record<string, unknown>;
      const keys = Object.keys(obj)
        .filter((k) => obj[k] !== undefined)
        .sort();
      return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
    }
    default:
      throw new TypeError(`canonicalJson: cannot encode ${typeof value}`);
  }
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** sha256 of the canonical JSON of the segment without its fingerprint field. */
export function segmentFingerprint(segment: UnsignedSegment | WireSegment): string {
  const { fingerprint: _ignored, ...rest } = segment as WireSegment;
  return sha256Hex(canonicalJson(rest));
}

export function signSegment(segment: UnsignedSegment): WireSegment {
  return { ...segment, fingerprint: segmentFingerprint(segment) };
}

/** Credited minutes of a segment: its tracked minutes (README decision: partial credit by tracked minutes). */
export function creditedMinutes(segment: Pick<WireSegment, 'trackedFrom' | 'trackedTo'>): number {
  return Math.max(0, Math.min(10, Math.round((segment.trackedTo - segment.trackedFrom) / MINUTE_MS)));
}

/** The natural idempotency key of a segment on the server: (freelancer, contract, slot). */
export function segmentKey(freelancerId: string, contractId: string, slot: number): string {
  return `${freelancerId}\u0000${contractId}\u0000${slot}`;
}

/** Request-level Idempotency-Key header value: sha256 of the canonical body. */
export function idempotencyKey(body: unknown): string {
  return sha256Hex(canonicalJson(body));
}
