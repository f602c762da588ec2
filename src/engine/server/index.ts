/**
 * The reference work-diary server: real HTTPS on loopback, certificate from the local CA, the
 * upload protocol of protocol.ts, durable state under `<data>/server/`, and the fault modes the
 * scenarios need (offline, maintenance, slow, skewed clock, old TLS only, device conflict, signed
 * out). Every response carries `serverTime` and a matching HTTP `Date` header, because the doctor's
 * clock-skew check reads the header exactly as it would from the real service.
 *
 * Accepted items are journaled and fsynced before the response is written; mutating requests run
 * one at a time so no client ever hears "duplicate" about an item that is not yet durable.
 */
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { realClock, type Clock } from '../clock.js';
import { ensureServerCert } from '../ca.js';
import {
  DEFAULT_FREELANCER_ID,
  MAX_BATCH,
  MAX_BLOB_BYTES,
  parseWeekId,
  PROTOCOL_VERSION,
  segmentKey,
  slotIndexOf,
  type AdminContractPatch,
  type ErrorCode,
  type Faults,
  type ItemResult,
  type SegmentsBatchRequest,
  type ServerInfoFile,
  type WireSegment,
} from '../protocol.js';
import { weekStart } from '../rules/time.js';
import { syncDir, writeJsonAtomic } from './atomic.js';
import { ServerJournal } from './journal.js';
import {
  DEFAULT_SERVER_SETTINGS,
  DiaryState,
  type LiveCursor,
  type ServerRecord,
  type ServerSettings,
} from './state.js';

export type HookAction = 'pass' | 'drop-request' | 'drop-response';

export interface HookRequest {
  method: string;
  path: string;
  /** 1-based count of requests the hooks have seen. */
  index: number;
}

/** Network faults for tests: only present when the server was started with `testHooks: true`. */
export interface TestHooksControl {
  /** Decide each non-admin request's fate; overrides the counters below while set. */
  setPlan(plan: ((req: HookRequest) => HookAction) | undefined): void;
  /** Drop the next n requests (never processed) / responses (processed and committed, never answered) to paths starting with `pathPrefix`. */
  dropNext(kind: 'request' | 'response', n: number, pathPrefix?: string): void;
  stats(): { requests: number; droppedRequests: number; droppedResponses: number };
}

export interface SeedContract extends AdminContractPatch {
  id: string;
}

export interface StartServerOptions {
  dataDir: string;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  clock?: Clock;
  /**
   * A scenario's simulated moment, as an offset from the clock: the Work Diary decides locks,
   * future segments and deletes at clock + offset, while the time it shows (the `Date` header,
   * `serverTime`) stays the clock's, so a doctor run on a scenario sees no clock skew.
   */
  businessOffsetMs?: number;
  faults?: Faults;
  settings?: Partial<ServerSettings>;
  /** Contracts created if the server does not know them yet; default: DEFAULT_CONTRACTS on an empty server. */
  seedContracts?: SeedContract[];
  testHooks?: boolean;
  /** Write `<data>/engine/server.json` (default true). */
  writeServerJson?: boolean;
  /** One line per request and per state change, for the engine's logs. */
  log?: (line: string) => void;
  /** Called at each named durable step of a batch; the kill -9 harness crashes the process there. */
  onStep?: (step: ServerStep) => void;
}

export type ServerStep = 'server.beforeCommit' | 'server.afterCommitBeforeRespond';
export const SERVER_STEPS: readonly ServerStep[] = ['server.beforeCommit', 'server.afterCommitBeforeRespond'];

export interface RunningServer {
  url: string;
  host: string;
  port: number;
  caPem: string;
  caPath: string;
  /** Server time now (true time + skew fault). */
  now(): number;
  faults(): Faults;
  setFaults(patch: Faults): Promise<Faults>;
  /** Read-only view of the server's state, for tests and scenario loaders. */
  state: DiaryState;
  hooks: TestHooksControl | undefined;
  close(): Promise<void>;
}

/** A fresh server knows two contracts, so the first run of the engine has something to track. */
export function defaultContracts(now: number): SeedContract[] {
  const start = now - 90 * 86_400_000;
  return [
    {
      id: 'c-1001',
      at: start,
      title: 'Website maintenance',
      client: 'Acme Corp',
      type: 'hourly',
      status: 'active',
      startDate: start,
      weeklyLimitHours: 40,
      manualTimeAllowed: true,
      activities: ['Development', 'Code review'],
    },
    {
      id: 'c-1002',
      at: start,
      title: 'Logo redesign',
      client: 'Northwind',
      type: 'fixed',
      status: 'active',
      startDate: start,
      weeklyLimitHours: null,
    },
  ];
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

const JSON_LIMIT = 1024 * 1024;

function serverJsonPath(dataDir: string): string {
  return path.join(dataDir, 'engine', 'server.json');
}

function tlsOptions(oldTls: boolean | undefined) {
  // SECLEVEL=0 is what lets OpenSSL 3 negotiate TLS 1.0/1.1 at all; a modern client (min TLS 1.2)
  // then fails the handshake, which is the "TLS disabled / too old" cause of stuck caching mode.
  return oldTls
    ? { minVersion: 'TLSv1' as const, maxVersion: 'TLSv1.1' as const, ciphers: 'DEFAULT@SECLEVEL=0' }
    : { minVersion: 'TLSv1.2' as const };
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(new HttpError(413, 'TOO_LARGE', `body over ${limit} bytes`));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const body = await readBody(req, JSON_LIMIT);
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    throw new HttpError(400, 'BAD_REQUEST', 'body is not valid JSON');
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export async function startServer(opts: StartServerOptions): Promise<RunningServer> {
  const host = opts.host ?? '127.0.0.1';
  const clock = opts.clock ?? realClock;
  const settings: ServerSettings = { ...DEFAULT_SERVER_SETTINGS, ...opts.settings };
  const log = opts.log ?? (() => undefined);
  let faults: Faults = { ...opts.faults };
  const serverNow = () => clock.now() + (faults.skewMs ?? 0);
  const businessNow = () => serverNow() + (opts.businessOffsetMs ?? 0);
  if (faults.deviceConflict && faults.deviceConflictSince === undefined)
    faults.deviceConflictSince = serverNow();

  const root = path.join(opts.dataDir, 'server');
  const blobDir = path.join(root, 'blobs', 'sha256');
  // Certificates are checked against the real clock by every TLS client, whatever time the server
  // simulates, so they are issued in real time.
  const { certPem, keyPem, ca } = await ensureServerCert(opts.dataDir, Date.now());
  const { journal, records, repairedBytes } = await ServerJournal.open(root);
  if (repairedBytes > 0) log(`journal: trimmed a torn tail of ${repairedBytes} bytes`);
  const state = new DiaryState(settings);
  for (const r of records) state.apply(r as ServerRecord);

  const seeds = opts.seedContracts ?? (state.contracts.size === 0 ? defaultContracts(serverNow()) : []);
  const seedRecords = seeds
    .filter((s) => !state.contracts.has(s.id))
    .map((s) => state.contractRecord(s.id, s, serverNow()));
  await journal.append(seedRecords);
  seedRecords.forEach((r) => state.apply(r));

  const blobs = new Set<string>();
  await fsp.mkdir(blobDir, { recursive: true });
  for (const sub of await fsp.readdir(blobDir)) {
    const subDir = path.join(blobDir, sub);
    if (!(await fsp.stat(subDir)).isDirectory()) continue;
    for (const f of await fsp.readdir(subDir)) if (/^[0-9a-f]{64}\.png$/.test(f)) blobs.add(f.slice(0, 64));
  }

  let broken: Error | undefined;
  // Mutations run one after another (see the header comment).
  let lock: Promise<unknown> = Promise.resolve();
  const exclusive = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = lock.then(fn);
    lock = run.catch(() => undefined);
    return run;
  };

  // ---- test hooks
  let plan: ((req: HookRequest) => HookAction) | undefined;
  const pending: Array<{ kind: 'request' | 'response'; left: number; prefix: string }> = [];
  const hookStats = { requests: 0, droppedRequests: 0, droppedResponses: 0 };
  const hooks: TestHooksControl | undefined = opts.testHooks
    ? {
        setPlan: (p) => {
          plan = p;
        },
        dropNext: (kind, n, prefix = '/') => {
          pending.push({ kind, left: n, prefix });
        },
        stats: () => ({ ...hookStats }),
      }
    : undefined;
  const hookDecide = (method: string, p: string): HookAction => {
    if (!hooks) return 'pass';
    hookStats.requests++;
    const req = { method, path: p, index: hookStats.requests };
    let action: HookAction = 'pass';
    if (plan) action = plan(req);
    else {
      const rule = pending.find((r) => r.left > 0 && p.startsWith(r.prefix));
      if (rule) {
        rule.left--;
        action = rule.kind === 'request' ? 'drop-request' : 'drop-response';
      }
    }
    if (action === 'drop-request') hookStats.droppedRequests++;
    if (action === 'drop-response') hookStats.droppedResponses++;
    return action;
  };

  const conflictCursor = (): LiveCursor | undefined =>
    faults.deviceConflict
      ? {
          deviceId: faults.conflictDeviceId ?? 'device-elsewhere',
          fromSlot: slotIndexOf(faults.deviceConflictSince ?? serverNow()),
        }
      : undefined;

  // ---- handlers
  const handleBatch = async (req: IncomingMessage) => {
    const body = await readJson(req);
    if (!isObject(body)) throw new HttpError(400, 'BAD_REQUEST', 'body must be an object');
    const { deviceId, segments } = body as Partial<SegmentsBatchRequest>;
    const freelancerId = (body as Partial<SegmentsBatchRequest>).freelancerId ?? DEFAULT_FREELANCER_ID;
    if (typeof deviceId !== 'string' || deviceId === '')
      throw new HttpError(400, 'BAD_REQUEST', 'deviceId missing');
    if (typeof freelancerId !== 'string' || freelancerId === '') {
      throw new HttpError(400, 'BAD_REQUEST', 'freelancerId must be a string');
    }
    if (!Array.isArray(segments) || segments.length === 0 || segments.length > MAX_BATCH) {
      throw new HttpError(400, 'BAD_REQUEST', `segments must hold 1..${MAX_BATCH} items`);
    }
    return exclusive(async () => {
      const now = businessNow();
      const accepted: ServerRecord[] = [];
      const results: Array<ItemResult | { key: string; status: 'accepted' | 'duplicate' }> = [];
      for (const raw of segments as WireSegment[]) {
        const decision = state.decide(
          freelancerId,
          deviceId,
          raw,
          now,
          (h) => blobs.has(h),
          conflictCursor(),
        );
        if (decision.kind === 'rejected') {
          const seg = raw as Partial<WireSegment>;
          results.push({
            contractId: typeof seg.contractId === 'string' ? seg.contractId : '',
            slot: typeof seg.slot === 'number' ? seg.slot : -1,
            status: 'rejected',
            code: decision.code,
            message: decision.message,
          });
        } else if (decision.kind === 'duplicate') {
          results.push({ key: decision.stored.key, status: 'duplicate' });
        } else {
          // Applied at once so a second copy in the same batch is a duplicate; durable before any reply.
          state.apply(decision.record);
          accepted.push(decision.record);
          results.push({ key: segmentKey(freelancerId, raw.contractId, raw.slot), status: 'accepted' });
        }
      }
      if (accepted.length > 0) opts.onStep?.('server.beforeCommit');
      try {
        await journal.append(accepted);
      } catch (e) {
        // Memory already holds these items; answering anything more could call a non-durable
        // item a duplicate. Refuse all service until a restart replays the journal.
        broken = e instanceof Error ? e : new Error(String(e));
        throw e;
      }
      if (accepted.length > 0) opts.onStep?.('server.afterCommitBeforeRespond');
      const out: ItemResult[] = results.map((r) => {
        if (!('key' in r)) return r;
        const stored = state.segments.get(r.key);
        if (!stored) throw new Error('accepted item vanished');
        return state.resultFor(stored, r.status, now);
      });
      const counts = out.reduce<Record<string, number>>(
        (m, r) => ((m[r.code ?? r.status] = (m[r.code ?? r.status] ?? 0) + 1), m),
        {},
      );
      log(
        `batch from ${deviceId}: ${Object.entries(counts)
          .map(([k, v]) => `${v} ${k}`)
          .join(', ')}`,
      );
      return { serverTime: serverNow(), results: out };
    });
  };

  const handleBlobPut = async (req: IncomingMessage, hash: string) => {
    const bytes = await readBody(req, MAX_BLOB_BYTES);
    const actual = createHash('sha256').update(bytes).digest('hex');
    if (actual !== hash)
      throw new HttpError(400, 'HASH_MISMATCH', `content hashes to ${actual}, not ${hash}`);
    return exclusive(async () => {
      if (blobs.has(hash))
        return {
          status: 200,
          body: { serverTime: serverNow(), sha256: hash, size: bytes.length, created: false },
        };
      const dir = path.join(blobDir, hash.slice(0, 2));
      await fsp.mkdir(dir, { recursive: true });
      const tmp = path.join(dir, `.${hash}.${process.pid}.tmp`);
      const fh = await fsp.open(tmp, 'w');
      try {
        await fh.writeFile(bytes);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await fsp.rename(tmp, path.join(dir, `${hash}.png`));
      await syncDir(dir);
      blobs.add(hash);
      return {
        status: 201,
        body: { serverTime: serverNow(), sha256: hash, size: bytes.length, created: true },
      };
    });
  };

  const handleDelete = (contractId: string, slot: number, freelancerId: string) =>
    exclusive(async () => {
      const now = businessNow();
      const key = segmentKey(freelancerId, contractId, slot);
      const stored = state.segments.get(key);
      const problem = state.deleteProblem(stored, now);
      if (problem) return { status: 409, body: { serverTime: now, deleted: false, code: problem } };
      if (stored && !stored.deleted) {
        const rec: ServerRecord = { t: 'DELETE', at: now, key };
        await journal.append([rec]);
        state.apply(rec);
      }
      return { status: 200, body: { serverTime: now, deleted: Boolean(stored) } };
    });

  const route = async (
    req: IncomingMessage,
    url: URL,
  ): Promise<
    { status: number; body: unknown; headers?: Record<string, string> } | { raw: Buffer; type: string }
  > => {
    const method = req.method ?? 'GET';
    const p = url.pathname;
    const now = serverNow();
    if (p === '/v1/health' && method === 'GET') {
      return {
        status: 200,
        body: { serverTime: now, status: 'ok', protocol: PROTOCOL_VERSION, service: 'reference-work-diary' },
      };
    }
    if (p === '/v1/time' && method === 'GET')
      return { status: 200, body: { serverTime: now, iso: new Date(now).toISOString() } };
    if (p === '/v1/contracts' && method === 'GET')
      return { status: 200, body: { serverTime: now, contracts: state.contractsAt(now) } };
    const blob = /^\/v1\/blobs\/sha256\/([0-9a-f]{64})$/.exec(p);
    if (blob) {
      const hash = blob[1] as string;
      if (method === 'PUT') return handleBlobPut(req, hash);
      if (method === 'GET' || method === 'HEAD') {
        if (!blobs.has(hash)) throw new HttpError(404, 'NOT_FOUND', 'no such blob');
        return {
          raw: await fsp.readFile(path.join(blobDir, hash.slice(0, 2), `${hash}.png`)),
          type: 'image/png',
        };
      }
      throw new HttpError(405, 'METHOD_NOT_ALLOWED', `${method} not allowed`);
    }
    if (p === '/v1/diary/segments:batch') {
      if (method !== 'POST') throw new HttpError(405, 'METHOD_NOT_ALLOWED', `${method} not allowed`);
      return { status: 200, body: await handleBatch(req) };
    }
    const freelancer = url.searchParams.get('freelancer') ?? DEFAULT_FREELANCER_ID;
    const slotPath = /^\/v1\/diary\/([^/]+)\/(\d+)$/.exec(p);
    if (slotPath && method === 'DELETE') {
      return handleDelete(decodeURIComponent(slotPath[1] as string), Number(slotPath[2]), freelancer);
    }
    const diary = /^\/v1\/diary\/([^/]+)$/.exec(p);
    if (diary && method === 'GET') {
      const contractId = decodeURIComponent(diary[1] as string);
      const weekParam = url.searchParams.get('week');
      const w = weekParam === null ? weekStart(now) : parseWeekId(weekParam);
      if (w === undefined)
        throw new HttpError(400, 'BAD_REQUEST', 'week must be the date of a Monday, YYYY-MM-DD');
      if (!state.contracts.has(contractId)) throw new HttpError(404, 'NOT_FOUND', 'no such contract');
      return { status: 200, body: { serverTime: now, ...state.diary(freelancer, contractId, w, now) } };
    }
    // ---- admin (scenarios and tests)
    if (p === '/v1/admin/state' && method === 'GET') {
      return {
        status: 200,
        body: {
          serverTime: now,
          faults,
          settings,
          contracts: [...state.contracts.values()],
          live: Object.fromEntries(state.live),
          segments: state.segments.size,
        },
      };
    }
    const admin = /^\/v1\/admin\/contracts\/([^/]+)$/.exec(p);
    if (admin && method === 'POST') {
      const patch = await readJson(req);
      if (!isObject(patch)) throw new HttpError(400, 'BAD_REQUEST', 'body must be an object');
      const id = decodeURIComponent(admin[1] as string);
      const contract = await exclusive(async () => {
        const rec = state.contractRecord(id, patch as AdminContractPatch, serverNow());
        await journal.append([rec]);
        state.apply(rec);
        log(`contract ${id} changed: ${JSON.stringify(patch)}`);
        return rec.contract;
      });
      return { status: 200, body: { serverTime: serverNow(), contract } };
    }
    if (p === '/v1/admin/faults' && method === 'POST') {
      const patch = await readJson(req);
      if (!isObject(patch)) throw new HttpError(400, 'BAD_REQUEST', 'body must be an object');
      // Answer first: an "offline" fault closes the listener this response travels on.
      setImmediate(
        () => void control.setFaults(patch as Faults).catch((e: unknown) => log(`faults: ${String(e)}`)),
      );
      return { status: 200, body: { serverTime: now, faults: { ...faults, ...(patch as Faults) } } };
    }
    if (p === '/v1/admin/live' && method === 'POST') {
      const body = await readJson(req);
      if (!isObject(body) || typeof body.deviceId !== 'string')
        throw new HttpError(400, 'BAD_REQUEST', 'deviceId missing');
      const rec: ServerRecord = {
        t: 'LIVE',
        at: now,
        freelancerId: typeof body.freelancerId === 'string' ? body.freelancerId : DEFAULT_FREELANCER_ID,
        cursor: {
          deviceId: body.deviceId,
          fromSlot: typeof body.slot === 'number' ? body.slot : slotIndexOf(now),
        },
      };
      await exclusive(async () => {
        await journal.append([rec]);
        state.apply(rec);
      });
      return { status: 200, body: { serverTime: now, cursor: rec.cursor } };
    }
    if (p === '/__test/hooks' && method === 'POST' && hooks) {
      const body = await readJson(req);
      if (!isObject(body)) throw new HttpError(400, 'BAD_REQUEST', 'body must be an object');
      const prefix = typeof body.path === 'string' ? body.path : '/';
      if (typeof body.dropRequests === 'number') hooks.dropNext('request', body.dropRequests, prefix);
      if (typeof body.dropResponses === 'number') hooks.dropNext('response', body.dropResponses, prefix);
      return { status: 200, body: { serverTime: now, stats: hooks.stats() } };
    }
    throw new HttpError(404, 'NOT_FOUND', `no route for ${method} ${p}`);
  };

  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    const text = JSON.stringify(body);
    res.writeHead(status, {
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': String(Buffer.byteLength(text)),
      'Cache-Control': 'no-store',
      Date: new Date(serverNow()).toUTCString(),
      ...headers,
    });
    res.end(text);
  };

  const handler = (req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'https://localhost');
      const p = url.pathname;
      const method = req.method ?? 'GET';
      const control = p.startsWith('/v1/admin/') || p.startsWith('/__test/');
      const action = control ? 'pass' : hookDecide(method, p);
      if (action === 'drop-request') {
        req.socket.destroy();
        return;
      }
      try {
        if (broken)
          throw new HttpError(500, 'INTERNAL', `the server's journal failed (${broken.message}); restart it`);
        if (!control && faults.slowMs) await new Promise((r) => setTimeout(r, faults.slowMs));
        if (!control && faults.maintenance) {
          const retry = String(faults.maintenanceRetryAfterSec ?? 60);
          throw Object.assign(new HttpError(503, 'MAINTENANCE', 'the work diary is down for maintenance'), {
            retry,
          });
        }
        if (!control && faults.signedOut && p !== '/v1/health' && p !== '/v1/time') {
          throw new HttpError(401, 'UNAUTHORIZED', 'sign in again');
        }
        const out = await route(req, url);
        if (action === 'drop-response') {
          req.socket.destroy();
          return;
        }
        if ('raw' in out) {
          res.writeHead(200, {
            'Content-Type': out.type,
            'Content-Length': String(out.raw.length),
            Date: new Date(serverNow()).toUTCString(),
          });
          res.end(method === 'HEAD' ? undefined : out.raw);
        } else {
          send(res, out.status, out.body, out.headers);
        }
        log(`${method} ${p} ${'raw' in out ? 200 : out.status}`);
      } catch (e) {
        if (action === 'drop-response') {
          req.socket.destroy();
          return;
        }
        const err =
          e instanceof HttpError ? e : new HttpError(500, 'INTERNAL', (e as Error).message ?? String(e));
        const retry = (e as { retry?: string }).retry;
        send(
          res,
          err.status,
          { serverTime: serverNow(), error: { code: err.code, message: err.message } },
          retry ? { 'Retry-After': retry } : {},
        );
        log(`${method} ${p} ${err.status} ${err.code}`);
      }
    })();
  };

  const server = https.createServer({ key: keyPem, cert: certPem, ...tlsOptions(faults.oldTls) }, handler);
  server.keepAliveTimeout = 2000;
  let port = opts.port ?? 0;
  let listening = false;
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        port = (server.address() as AddressInfo).port;
        listening = true;
        resolve();
      });
    });
  const unlisten = () =>
    new Promise<void>((resolve) => {
      listening = false;
      server.close(() => resolve());
      server.closeAllConnections();
    });

  // Offline from the start still needs a port, so the URL points where the server will come back.
  await listen();
  if (faults.offline) await unlisten();

  const urlHost = host.includes(':') ? `[${host}]` : host;
  const url = `https://${urlHost}:${port}`;
  const writeInfo = async () => {
    if (opts.writeServerJson === false) return;
    const info: ServerInfoFile = {
      url,
      host,
      port,
      pid: process.pid,
      startedAt: clock.now(),
      caPem: ca.certPath,
      faults,
      protocol: PROTOCOL_VERSION,
    };
    await writeJsonAtomic(serverJsonPath(opts.dataDir), info);
  };
  await writeInfo();
  log(`listening on ${url}${faults.offline ? ' (offline fault: not accepting connections)' : ''}`);

  let closed = false;
  const control: RunningServer = {
    url,
    host,
    port,
    caPem: ca.certPem,
    caPath: ca.certPath,
    now: serverNow,
    faults: () => ({ ...faults }),
    state,
    hooks,
    async setFaults(patch) {
      const before = faults;
      faults = { ...faults, ...patch };
      if (faults.deviceConflict && !before.deviceConflict && patch.deviceConflictSince === undefined) {
        faults.deviceConflictSince = serverNow();
      }
      if (!faults.deviceConflict) delete faults.deviceConflictSince;
      if (Boolean(before.oldTls) !== Boolean(faults.oldTls)) {
        server.setSecureContext({ key: keyPem, cert: certPem, ...tlsOptions(faults.oldTls) });
        server.closeIdleConnections();
      }
      if (!closed) {
        if (faults.offline && listening) await unlisten();
        else if (!faults.offline && !listening) await listen();
        await writeInfo();
      }
      log(`faults: ${JSON.stringify(faults)}`);
      return { ...faults };
    },
    async close() {
      if (closed) return;
      closed = true;
      if (listening) await unlisten();
      await exclusive(async () => undefined);
      await journal.close();
      if (opts.writeServerJson !== false) {
        // Only remove the file if it is still ours (another server may have taken over the folder).
        try {
          const info = JSON.parse(await fsp.readFile(serverJsonPath(opts.dataDir), 'utf8')) as ServerInfoFile;
          if (info.pid === process.pid && info.port === port)
            await fsp.rm(serverJsonPath(opts.dataDir), { force: true });
        } catch {
          // Already gone or unreadable: nothing of ours to remove.
        }
      }
      log('stopped');
    },
  };
  return control;
}

export type { ServerSettings } from './state.js';
export { DEFAULT_SERVER_SETTINGS, DiaryState } from './state.js';
