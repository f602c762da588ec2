/**
 * The client half of the work-diary protocol: one HTTPS request per call, trusting only the local
 * CA, with a hard timeout. It classifies what went wrong (refused, timed out, TLS handshake, reset
 * mid-request, HTTP status) because the uploader and the status machine act differently on each,
 * and the logs a support agent reads must say which it was.
 */
import https from 'node:https';
import { ADMIN_SECRET_HEADER } from './admin.js';
import {
  PATHS,
  type AdminContractPatch,
  type BlobPutResponse,
  type ContractsResponse,
  type DiaryView,
  type ErrorBody,
  type Faults,
  type HealthResponse,
  type SegmentsBatchRequest,
  type SegmentsBatchResponse,
  type TimeResponse,
  type WireContract,
} from '../protocol.js';

export type TransportFailure = 'refused' | 'timeout' | 'tls' | 'reset' | 'network';

/** The request never produced an HTTP response. Whether the server acted on it is unknown. */
export class TransportError extends Error {
  constructor(
    readonly kind: TransportFailure,
    message: string,
    readonly code?: string,
  ) {
    super(message);
    this.name = 'TransportError';
  }
}

/** The server answered with a non-2xx status. */
export class HttpStatusError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly retryAfterMs: number | undefined,
    readonly serverTime: number | undefined,
  ) {
    super(message);
    this.name = 'HttpStatusError';
  }
}

export interface ClientOptions {
  url: string;
  /** PEM of the CA to trust (the engine's local CA). */
  ca: string | Buffer;
  timeoutMs?: number;
  /** Lowest TLS version the client offers (default TLSv1.2, like the real tracker on a sane system). */
  minVersion?: 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';
  /**
   * Highest TLS version the client offers (default: Node's). A tracker on a computer where TLS 1.2
   * is switched off (Windows Internet Options) offers at most TLS 1.1 and fails every handshake.
   */
  maxVersion?: 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';
  /** Sent on admin and test-hook requests (the server's `<data>/engine/admin.secret`). */
  adminSecret?: string;
}

export interface ClientResponse<T> {
  status: number;
  body: T;
  /** The HTTP Date header, parsed (ms). */
  date: number | undefined;
}

const TLS_CODES = /^(ERR_SSL_|ERR_TLS_|EPROTO$|CERT_|UNABLE_TO_|DEPTH_ZERO|SELF_SIGNED|ERR_OSSL)/;

function classify(e: NodeJS.ErrnoException): TransportError {
  const code = e.code ?? '';
  // OpenSSL's messages end in a newline: one line, so the log and status.json stay one line per event.
  const message = e.message.trim().replace(/\s*\n\s*/g, ' ');
  if (code === 'ECONNREFUSED') return new TransportError('refused', `connection refused (${message})`, code);
  if (TLS_CODES.test(code) || /SSL|TLS|certificate/i.test(message)) {
    return new TransportError('tls', `TLS handshake failed: ${message}`, code);
  }
  if (code === 'ECONNRESET' || /socket hang up/i.test(message)) {
    return new TransportError('reset', `connection dropped before a response (${message})`, code);
  }
  return new TransportError('network', message, code);
}

export class WorkDiaryClient {
  readonly url: string;
  private readonly ca: string | Buffer;
  private readonly timeoutMs: number;
  private readonly minVersion: ClientOptions['minVersion'];
  private readonly maxVersion: ClientOptions['maxVersion'];
  private readonly adminSecret: string | undefined;

  constructor(opts: ClientOptions) {
    this.url = opts.url.replace(/\/$/, '');
    this.ca = opts.ca;
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.minVersion = opts.minVersion ?? 'TLSv1.2';
    this.maxVersion = opts.maxVersion;
    this.adminSecret = opts.adminSecret;
  }

  request<T>(
    method: string,
    path: string,
    body?: unknown,
    extraHeaders: Record<string, string> = {},
  ): Promise<ClientResponse<T>> {
    const payload =
      body === undefined
        ? undefined
        : Buffer.isBuffer(body) || body instanceof Uint8Array
          ? Buffer.from(body)
          : Buffer.from(JSON.stringify(body));
    const headers: Record<string, string> = { Accept: 'application/json', ...extraHeaders };
    if (this.adminSecret && (path.startsWith('/v1/admin/') || path.startsWith('/__test/')))
      headers[ADMIN_SECRET_HEADER] = this.adminSecret;
    if (payload) {
      headers['Content-Length'] = String(payload.length);
      headers['Content-Type'] ??= 'application/json';
    }
    return new Promise((resolve, reject) => {
      let settled = false;
      const fail = (e: Error) => {
        if (settled) return;
        settled = true;
        reject(e);
      };
      const req = https.request(
        `${this.url}${path}`,
        {
          method,
          ca: this.ca,
          headers,
          agent: false,
          minVersion: this.minVersion,
          ...(this.maxVersion ? { maxVersion: this.maxVersion } : {}),
          timeout: this.timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', (e) => fail(classify(e)));
          res.on('aborted', () => fail(new TransportError('reset', 'response cut off')));
          res.on('end', () => {
            if (settled) return;
            settled = true;
            clearTimeout(timer);
            const status = res.statusCode ?? 0;
            const text = Buffer.concat(chunks).toString('utf8');
            const dateHeader = res.headers.date;
            const date = dateHeader ? Date.parse(dateHeader) : undefined;
            let parsed: unknown = text;
            if ((res.headers['content-type'] ?? '').includes('json')) {
              try {
                parsed = JSON.parse(text) as unknown;
              } catch {
                reject(
                  new HttpStatusError(status, 'BAD_RESPONSE', 'response is not JSON', undefined, undefined),
                );
                return;
              }
            }
            if (status < 200 || status > 299) {
              const err = (parsed as Partial<ErrorBody>)?.error;
              const retryHeader = res.headers['retry-after'];
              const retryAfterMs =
                retryHeader !== undefined && /^\d+$/.test(retryHeader)
                  ? Number(retryHeader) * 1000
                  : undefined;
              reject(
                new HttpStatusError(
                  status,
                  err?.code ?? `HTTP_${status}`,
                  err?.message ?? `HTTP ${status}`,
                  retryAfterMs,
                  (parsed as Partial<ErrorBody>)?.serverTime,
                ),
              );
              return;
            }
            resolve({ status, body: parsed as T, date: Number.isFinite(date) ? date : undefined });
          });
        },
      );
      // A whole-request deadline, not only an idle-socket one: a slow server must not hang the uploader.
      const timer = setTimeout(() => {
        fail(new TransportError('timeout', `no response within ${this.timeoutMs} ms`));
        req.destroy();
      }, this.timeoutMs);
      req.on('timeout', () => {
        fail(new TransportError('timeout', `no response within ${this.timeoutMs} ms`));
        req.destroy();
      });
      req.on('error', (e: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        fail(classify(e));
      });
      req.on('close', () => clearTimeout(timer));
      req.end(payload);
    });
  }

  health() {
    return this.request<HealthResponse>('GET', PATHS.health);
  }
  time() {
    return this.request<TimeResponse>('GET', PATHS.time);
  }
  contracts() {
    return this.request<ContractsResponse>('GET', PATHS.contracts);
  }
  putBlob(sha256: string, bytes: Uint8Array) {
    return this.request<BlobPutResponse>('PUT', PATHS.blob(sha256), Buffer.from(bytes), {
      'Content-Type': 'image/png',
    });
  }
  postBatch(body: SegmentsBatchRequest, idempotencyKey?: string) {
    return this.request<SegmentsBatchResponse>(
      'POST',
      PATHS.segmentsBatch,
      body,
      idempotencyKey ? { 'Idempotency-Key': idempotencyKey } : {},
    );
  }
  diary(contractId: string, week: string) {
    return this.request<DiaryView>('GET', PATHS.diary(contractId, week));
  }
  deleteSlot(contractId: string, slot: number) {
    return this.request<{ serverTime: number; deleted: boolean }>(
      'DELETE',
      PATHS.diarySlot(contractId, slot),
    );
  }
  adminContract(id: string, patch: AdminContractPatch) {
    return this.request<{ serverTime: number; contract: WireContract }>(
      'POST',
      PATHS.adminContract(id),
      patch,
    );
  }
  adminFaults(patch: Faults) {
    return this.request<{ serverTime: number; faults: Faults }>('POST', PATHS.adminFaults, patch);
  }
  adminLive(deviceId: string, slot?: number) {
    return this.request<{ serverTime: number }>('POST', PATHS.adminLive, { deviceId, slot });
  }
}
