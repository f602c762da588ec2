/**
 * The reference work-diary server: real HTTPS on loopback, certificate from the local CA, the
 * upload protocol of protocol.ts, durable state under `<data>/server/`, and the fault modes the
 * scenarios need (offline, maintenance, slow, skewed clock, old TLS only, device conflict, signed
 * out). Every response carries `serverTime` and a matching HTTP `Date` header, because the doctor's
 * clock-skew check reads the header exactly as it would from the real service.
 *
 * Accepted items are journaled and fsynced before the response is written; mutating requests run
 * one at a time so no client ever hears "duplicate" about an item that is not yet durable. Routes
 * live in routes.ts (one handler each), HTTP plumbing in http.ts, the admin secret in admin.ts.
 */
import { promises as fsp } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { realClock, type Clock } from '../clock.js';
import { ensureServerCert } from '../ca.js';
import {
  PROTOCOL_VERSION,
  slotIndexOf,
  type AdminContractPatch,
  type Faults,
  type ServerInfoFile,
} from '../protocol.js';
import { ensureAdminSecret } from './admin.js';
import { writeJsonAtomic } from './atomic.js';
import { createHooks, type HookControl, type TestHooksControl } from './hooks.js';
import { errorAnswer, HttpError, MAX_HEADER_BYTES, parseTarget, sendAnswer, type Answer } from './http.js';
import { ServerJournal } from './journal.js';
import { findRoute, isControlPath, type ServerCore, type ServerStep } from './routes.js';
import { DEFAULT_SERVER_SETTINGS, DiaryState, type ServerRecord, type ServerSettings } from './state.js';

export type { HookAction, HookRequest, TestHooksControl } from './hooks.js';
export type { ServerStep } from './routes.js';

export interface SeedContract extends AdminContractPatch {
  id: string;
}

/** How long a connection may take at each stage before the server drops it (ms). */
export interface ServerTimeouts {
  /** TLS handshake. */
  handshakeMs: number;
  /** Receiving the request head. */
  headersMs: number;
  /** Receiving the whole request. */
  requestMs: number;
  /** A socket with nothing happening on it. */
  idleMs: number;
}

export const DEFAULT_TIMEOUTS: ServerTimeouts = {
  handshakeMs: 10_000,
  headersMs: 10_000,
  requestMs: 60_000,
  idleMs: 30_000,
};

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
  timeouts?: Partial<ServerTimeouts>;
  /** Write `<data>/engine/server.json` (default true). */
  writeServerJson?: boolean;
  /** One line per request and per state change, for the engine's logs. */
  log?: (line: string) => void;
  /** Called at each named durable step of a batch; the kill -9 harness crashes the process there. */
  onStep?: (step: ServerStep) => void;
}

export const SERVER_STEPS: readonly ServerStep[] = ['server.beforeCommit', 'server.afterCommitBeforeRespond'];

export interface RunningServer {
  url: string;
  host: string;
  port: number;
  caPem: string;
  caPath: string;
  /** The admin secret (also in `<data>/engine/admin.secret`, readable by the folder's owner only). */
  adminSecret: string;
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

/** Replay the server's journal and add the seed contracts it does not know yet. */
async function loadDiary(opts: StartServerOptions, root: string, settings: ServerSettings, now: number) {
  const { journal, records, repairedBytes } = await ServerJournal.open(root);
  if (repairedBytes > 0) opts.log?.(`journal: trimmed a torn tail of ${repairedBytes} bytes`);
  const state = new DiaryState(settings);
  for (const r of records) state.apply(r as ServerRecord);
  const seeds = opts.seedContracts ?? (state.contracts.size === 0 ? defaultContracts(now) : []);
  const seedRecords = seeds
    .filter((s) => !state.contracts.has(s.id))
    .map((s) => state.contractRecord(s.id, s, now));
  await journal.append(seedRecords);
  seedRecords.forEach((r) => state.apply(r));
  return { journal, state };
}

async function loadBlobs(blobDir: string): Promise<Set<string>> {
  const blobs = new Set<string>();
  await fsp.mkdir(blobDir, { recursive: true });
  for (const sub of await fsp.readdir(blobDir)) {
    const subDir = path.join(blobDir, sub);
    if (!(await fsp.stat(subDir)).isDirectory()) continue;
    for (const f of await fsp.readdir(subDir)) if (/^[0-9a-f]{64}\.png$/.test(f)) blobs.add(f.slice(0, 64));
  }
  return blobs;
}

function serialiser(): <T>(fn: () => Promise<T>) => Promise<T> {
  let lock: Promise<unknown> = Promise.resolve();
  return <T>(fn: () => Promise<T>): Promise<T> => {
    const run = lock.then(fn);
    lock = run.catch(() => undefined);
    return run;
  };
}

/** Faults answered before any route: a broken journal, slowness, maintenance, signed out. */
async function applyFaults(core: ServerCore & { broken(): Error | undefined }, p: string): Promise<void> {
  const broken = core.broken();
  if (broken)
    throw new HttpError(500, 'INTERNAL', `the server's journal failed (${broken.message}); restart it`);
  if (isControlPath(p)) return;
  const faults = core.faults();
  if (faults.slowMs) await new Promise((r) => setTimeout(r, faults.slowMs));
  if (faults.maintenance) {
    const retry = String(faults.maintenanceRetryAfterSec ?? 60);
    throw new HttpError(503, 'MAINTENANCE', 'the work diary is down for maintenance', retry);
  }
  if (faults.signedOut && p !== '/v1/health' && p !== '/v1/time')
    throw new HttpError(401, 'UNAUTHORIZED', 'sign in again');
}

/**
 * One request, start to end. Everything, the parsing of the request target included, runs inside
 * the try: no request shape may reject outside it (an unhandled rejection ends the process).
 */
async function serve(
  core: ServerCore & { broken(): Error | undefined },
  req: IncomingMessage,
  res: ServerResponse,
) {
  const method = req.method ?? 'GET';
  let p = '(unparsed)';
  let action = 'pass';
  try {
    const url = parseTarget(req.url);
    p = url.pathname;
    action = isControlPath(p) || !core.hooks ? 'pass' : core.hooks.decide(method, p);
    if (action === 'drop-request') return void req.socket.destroy();
    await applyFaults(core, p);
    const { route, params } = findRoute(core, req, method, url);
    const out: Answer = await route.handle(core, { req, method, url, params });
    if (action === 'drop-response') return void req.socket.destroy();
    sendAnswer(res, out, core.serverNow(), method === 'HEAD');
    core.log(`${method} ${p} ${'raw' in out ? 200 : out.status}`);
  } catch (e) {
    if (action === 'drop-response') return void req.socket.destroy();
    const { answer, error } = errorAnswer(e, core.serverNow());
    sendAnswer(res, answer, core.serverNow(), false);
    core.log(`${method} ${p} ${error.status} ${error.code}`);
  }
}

/** How long a refused connection gets to read its 400 before it is closed. */
const CLOSE_GRACE_MS = 500;

function createHttps(
  core: ServerCore & { broken(): Error | undefined },
  cert: { certPem: string; keyPem: string },
  oldTls: boolean | undefined,
  t: ServerTimeouts,
) {
  const server = https.createServer(
    {
      key: cert.keyPem,
      cert: cert.certPem,
      ...tlsOptions(oldTls),
      maxHeaderSize: MAX_HEADER_BYTES,
      handshakeTimeout: t.handshakeMs,
      headersTimeout: t.headersMs,
      requestTimeout: t.requestMs,
      connectionsCheckingInterval: Math.min(1000, t.headersMs),
      keepAliveTimeout: Math.min(2000, t.idleMs),
    },
    (req, res) => {
      serve(core, req, res).catch((e: unknown) => {
        // serve() answers every error itself; this only guards the process against a bug.
        core.log(`request failed: ${e instanceof Error ? e.message : String(e)}`);
        res.destroy();
      });
    },
  );
  server.setTimeout(t.idleMs, (socket) => socket.destroy());
  // A malformed request line or head: answer 400 (or just close), never let it reach 'error'.
  server.on('clientError', (_err, socket) => {
    if (socket.writable) {
      socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      // The server is half-open (http's allowHalfOpen): a client that never closes its side would
      // keep the socket forever, so close it ourselves once the answer has had time to leave.
      setTimeout(() => socket.destroy(), CLOSE_GRACE_MS).unref();
    } else socket.destroy();
  });
  server.on('tlsClientError', (_err, socket) => socket.destroy());
  return server;
}

function listener(server: https.Server, host: string, port0: number) {
  let port = port0;
  let listening = false;
  return {
    port: () => port,
    listening: () => listening,
    listen: () =>
      new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          port = (server.address() as AddressInfo).port;
          listening = true;
          resolve();
        });
      }),
    unlisten: () =>
      new Promise<void>((resolve) => {
        listening = false;
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function removeServerJsonIfOurs(dataDir: string, port: number): Promise<void> {
  try {
    const info = JSON.parse(await fsp.readFile(serverJsonPath(dataDir), 'utf8')) as ServerInfoFile;
    if (info.pid === process.pid && info.port === port)
      await fsp.rm(serverJsonPath(dataDir), { force: true });
  } catch {
    // Already gone or unreadable: nothing of ours to remove.
  }
}

export async function startServer(opts: StartServerOptions): Promise<RunningServer> {
  const host = opts.host ?? '127.0.0.1';
  const clock = opts.clock ?? realClock;
  const settings: ServerSettings = { ...DEFAULT_SERVER_SETTINGS, ...opts.settings };
  const log = opts.log ?? (() => undefined);
  let faults: Faults = { ...opts.faults };
  const serverNow = () => clock.now() + (faults.skewMs ?? 0);
  if (faults.deviceConflict && faults.deviceConflictSince === undefined)
    faults.deviceConflictSince = serverNow();

  const root = path.join(opts.dataDir, 'server');
  const blobDir = path.join(root, 'blobs', 'sha256');
  // Certificates are checked against the real clock by every TLS client, whatever time the server
  // simulates, so they are issued in real time.
  const cert = await ensureServerCert(opts.dataDir, Date.now());
  const { journal, state } = await loadDiary(opts, root, settings, serverNow());
  const blobs = await loadBlobs(blobDir);
  const adminSecret = await ensureAdminSecret(opts.dataDir);
  const hooks: HookControl | undefined = opts.testHooks ? createHooks() : undefined;
  let broken: Error | undefined;
  const core: ServerCore & { broken(): Error | undefined } = {
    state,
    journal,
    blobs,
    blobDir,
    settings,
    adminSecret,
    hooks,
    log,
    serverNow,
    businessNow: () => serverNow() + (opts.businessOffsetMs ?? 0),
    faults: () => ({ ...faults }),
    setFaultsLater: (patch) =>
      setImmediate(() => void control.setFaults(patch).catch((e: unknown) => log(`faults: ${String(e)}`))),
    conflictCursor: () =>
      faults.deviceConflict
        ? {
            deviceId: faults.conflictDeviceId ?? 'device-elsewhere',
            fromSlot: slotIndexOf(faults.deviceConflictSince ?? serverNow()),
          }
        : undefined,
    exclusive: serialiser(),
    markBroken: (e) => {
      broken = e instanceof Error ? e : new Error(String(e));
    },
    broken: () => broken,
    ...(opts.onStep ? { onStep: opts.onStep } : {}),
  };

  const server = createHttps(core, cert, faults.oldTls, { ...DEFAULT_TIMEOUTS, ...opts.timeouts });
  const net = listener(server, host, opts.port ?? 0);
  // Offline from the start still needs a port, so the URL points where the server will come back.
  await net.listen();
  if (faults.offline) await net.unlisten();

  const url = `https://${host.includes(':') ? `[${host}]` : host}:${net.port()}`;
  const writeInfo = async () => {
    if (opts.writeServerJson === false) return;
    const info: ServerInfoFile = {
      url,
      host,
      port: net.port(),
      pid: process.pid,
      startedAt: clock.now(),
      caPem: cert.ca.certPath,
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
    port: net.port(),
    caPem: cert.ca.certPem,
    caPath: cert.ca.certPath,
    adminSecret,
    now: serverNow,
    faults: () => ({ ...faults }),
    state,
    hooks,
    async setFaults(patch) {
      const before = faults;
      faults = { ...faults, ...patch };
      if (faults.deviceConflict && !before.deviceConflict && patch.deviceConflictSince === undefined)
        faults.deviceConflictSince = serverNow();
      if (!faults.deviceConflict) delete faults.deviceConflictSince;
      if (Boolean(before.oldTls) !== Boolean(faults.oldTls)) {
        server.setSecureContext({ key: cert.keyPem, cert: cert.certPem, ...tlsOptions(faults.oldTls) });
        server.closeIdleConnections();
      }
      if (!closed) {
        if (faults.offline && net.listening()) await net.unlisten();
        else if (!faults.offline && !net.listening()) await net.listen();
        await writeInfo();
      }
      log(`faults: ${JSON.stringify(faults)}`);
      return { ...faults };
    },
    async close() {
      if (closed) return;
      closed = true;
      if (net.listening()) await net.unlisten();
      await core.exclusive(async () => undefined);
      await journal.close();
      if (opts.writeServerJson !== false) await removeServerJsonIfOurs(opts.dataDir, net.port());
      log('stopped');
    },
  };
  return control;
}

export type { ServerSettings } from './state.js';
export { DEFAULT_SERVER_SETTINGS, DiaryState } from './state.js';
