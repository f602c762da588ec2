/**
 * The work-diary server's routes, one handler each. A handler gets the server's core (state,
 * journal, blobs, clocks, faults) and the parsed request, and returns an answer or throws an
 * HttpError; it never writes to the socket, so the dispatcher alone decides how (or whether, under
 * a test hook) an answer goes out.
 */
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import path from 'node:path';
import {
  DEFAULT_FREELANCER_ID,
  MAX_BATCH,
  MAX_BLOB_BYTES,
  parseWeekId,
  PROTOCOL_VERSION,
  segmentKey,
  slotIndexOf,
  type Faults,
  type ItemResult,
  type WireSegment,
} from '../protocol.js';
import { weekStart } from '../rules/time.js';
import { requireAdmin, validateContractPatch, validateFaults } from './admin.js';
import { syncDir } from './atomic.js';
import { decodePathPart, HttpError, readBody, readObject, type Answer } from './http.js';
import type { ServerJournal } from './journal.js';
import type { DiaryState, LiveCursor, ServerRecord, ServerSettings } from './state.js';
import type { HookControl } from './hooks.js';

export type ServerStep = 'server.beforeCommit' | 'server.afterCommitBeforeRespond';

/** What every handler may use: the server's state and its side effects. */
export interface ServerCore {
  state: DiaryState;
  journal: ServerJournal;
  blobs: Set<string>;
  blobDir: string;
  settings: ServerSettings;
  adminSecret: string;
  hooks: HookControl | undefined;
  log(line: string): void;
  /** Server time (true time + skew fault) and the Work Diary's business time (+ scenario offset). */
  serverNow(): number;
  businessNow(): number;
  faults(): Faults;
  /** Applied after the answer is sent: an "offline" fault closes the listener the answer uses. */
  setFaultsLater(patch: Faults): void;
  conflictCursor(): LiveCursor | undefined;
  /** Mutations run one after another, so nobody hears "duplicate" about a not-yet-durable item. */
  exclusive<T>(fn: () => Promise<T>): Promise<T>;
  /** The journal failed: refuse all service until a restart replays it. */
  markBroken(e: unknown): void;
  onStep?: (step: ServerStep) => void;
}

export interface RouteRequest {
  req: IncomingMessage;
  method: string;
  url: URL;
  /** Capture groups of the route's pattern. */
  params: string[];
}

export interface Route {
  pattern: RegExp;
  methods: readonly string[];
  /** Admin routes need the folder's secret and are exempt from faults and test hooks. */
  admin?: boolean;
  handle(core: ServerCore, r: RouteRequest): Promise<Answer>;
}

const ok = (body: unknown): Answer => ({ status: 200, body });

async function health(core: ServerCore): Promise<Answer> {
  return ok({
    serverTime: core.serverNow(),
    status: 'ok',
    protocol: PROTOCOL_VERSION,
    service: 'reference-work-diary',
  });
}

async function time(core: ServerCore): Promise<Answer> {
  const now = core.serverNow();
  return ok({ serverTime: now, iso: new Date(now).toISOString() });
}

async function contracts(core: ServerCore): Promise<Answer> {
  const now = core.serverNow();
  return ok({ serverTime: now, contracts: core.state.contractsAt(now) });
}

async function blobGet(core: ServerCore, { params }: RouteRequest): Promise<Answer> {
  const hash = params[0]!;
  if (!core.blobs.has(hash)) throw new HttpError(404, 'NOT_FOUND', 'no such blob');
  return {
    raw: await fsp.readFile(path.join(core.blobDir, hash.slice(0, 2), `${hash}.png`)),
    type: 'image/png',
  };
}

async function blobPut(core: ServerCore, { req, params }: RouteRequest): Promise<Answer> {
  const hash = params[0]!;
  const bytes = await readBody(req, MAX_BLOB_BYTES);
  const actual = createHash('sha256').update(bytes).digest('hex');
  if (actual !== hash) throw new HttpError(400, 'HASH_MISMATCH', `content hashes to ${actual}, not ${hash}`);
  return core.exclusive(async () => {
    const created = !core.blobs.has(hash);
    if (created) {
      const dir = path.join(core.blobDir, hash.slice(0, 2));
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
      core.blobs.add(hash);
    }
    return {
      status: created ? 201 : 200,
      body: { serverTime: core.serverNow(), sha256: hash, size: bytes.length, created },
    };
  });
}

interface BatchInput {
  deviceId: string;
  freelancerId: string;
  segments: unknown[];
}

function batchInput(body: Record<string, unknown>): BatchInput {
  const { deviceId, segments } = body;
  const freelancerId = body.freelancerId ?? DEFAULT_FREELANCER_ID;
  if (typeof deviceId !== 'string' || deviceId === '')
    throw new HttpError(400, 'BAD_REQUEST', 'deviceId missing');
  if (typeof freelancerId !== 'string' || freelancerId === '')
    throw new HttpError(400, 'BAD_REQUEST', 'freelancerId must be a string');
  if (!Array.isArray(segments) || segments.length === 0 || segments.length > MAX_BATCH)
    throw new HttpError(400, 'BAD_REQUEST', `segments must hold 1..${MAX_BATCH} items`);
  return { deviceId, freelancerId, segments };
}

type Provisional = ItemResult | { key: string; status: 'accepted' | 'duplicate' };

/** Decide every item; accepted ones are applied at once so a second copy in the batch is a duplicate. */
function decideBatch(core: ServerCore, input: BatchInput, now: number) {
  const accepted: ServerRecord[] = [];
  const results: Provisional[] = [];
  for (const raw of input.segments) {
    const d = core.state.decide(
      input.freelancerId,
      input.deviceId,
      raw as WireSegment,
      now,
      (h) => core.blobs.has(h),
      core.conflictCursor(),
    );
    if (d.kind === 'rejected') {
      const seg = (typeof raw === 'object' && raw !== null ? raw : {}) as Partial<WireSegment>;
      results.push({
        contractId: typeof seg.contractId === 'string' ? seg.contractId : '',
        slot: typeof seg.slot === 'number' ? seg.slot : -1,
        status: 'rejected',
        code: d.code,
        message: d.message,
      });
    } else if (d.kind === 'duplicate') {
      results.push({ key: d.stored.key, status: 'duplicate' });
    } else {
      core.state.apply(d.record);
      accepted.push(d.record);
      results.push({
        key: segmentKey(input.freelancerId, d.record.seg.contractId, d.record.seg.slot),
        status: 'accepted',
      });
    }
  }
  return { accepted, results };
}

async function batch(core: ServerCore, { req }: RouteRequest): Promise<Answer> {
  const input = batchInput(await readObject(req));
  return core.exclusive(async () => {
    const now = core.businessNow();
    const { accepted, results } = decideBatch(core, input, now);
    if (accepted.length > 0) core.onStep?.('server.beforeCommit');
    try {
      await core.journal.append(accepted);
    } catch (e) {
      // Memory already holds these items; answering anything more could call a non-durable item a duplicate.
      core.markBroken(e);
      throw e;
    }
    if (accepted.length > 0) core.onStep?.('server.afterCommitBeforeRespond');
    const out: ItemResult[] = results.map((r) => {
      if (!('key' in r)) return r;
      const stored = core.state.segments.get(r.key);
      if (!stored) throw new Error('accepted item vanished');
      return core.state.resultFor(stored, r.status, now);
    });
    const counts = new Map<string, number>();
    for (const r of out) counts.set(r.code ?? r.status, (counts.get(r.code ?? r.status) ?? 0) + 1);
    core.log(`batch from ${input.deviceId}: ${[...counts].map(([k, v]) => `${v} ${k}`).join(', ')}`);
    return ok({ serverTime: core.serverNow(), results: out });
  });
}

function freelancerOf(url: URL): string {
  return url.searchParams.get('freelancer') ?? DEFAULT_FREELANCER_ID;
}

async function deleteSlot(core: ServerCore, { url, params }: RouteRequest): Promise<Answer> {
  const contractId = decodePathPart(params[0]!);
  const slot = Number(params[1]);
  if (!Number.isSafeInteger(slot)) throw new HttpError(400, 'BAD_REQUEST', 'slot must be an integer');
  const key = segmentKey(freelancerOf(url), contractId, slot);
  return core.exclusive(async () => {
    const now = core.businessNow();
    const stored = core.state.segments.get(key);
    const problem = core.state.deleteProblem(stored, now);
    if (problem) return { status: 409, body: { serverTime: now, deleted: false, code: problem } };
    if (stored && !stored.deleted) {
      const rec: ServerRecord = { t: 'DELETE', at: now, key };
      await core.journal.append([rec]);
      core.state.apply(rec);
    }
    return ok({ serverTime: now, deleted: Boolean(stored) });
  });
}

async function diary(core: ServerCore, { url, params }: RouteRequest): Promise<Answer> {
  const now = core.serverNow();
  const contractId = decodePathPart(params[0]!);
  const weekParam = url.searchParams.get('week');
  const w = weekParam === null ? weekStart(now) : parseWeekId(weekParam);
  if (w === undefined)
    throw new HttpError(400, 'BAD_REQUEST', 'week must be the date of a Monday, YYYY-MM-DD');
  if (!core.state.contracts.has(contractId)) throw new HttpError(404, 'NOT_FOUND', 'no such contract');
  return ok({ serverTime: now, ...core.state.diary(freelancerOf(url), contractId, w, now) });
}

async function adminState(core: ServerCore): Promise<Answer> {
  const s = core.state;
  return ok({
    serverTime: core.serverNow(),
    faults: core.faults(),
    settings: core.settings,
    contracts: [...s.contracts.values()],
    live: Object.fromEntries(s.live),
    segments: s.segments.size,
  });
}

async function adminContract(core: ServerCore, { req, params }: RouteRequest): Promise<Answer> {
  const patch = validateContractPatch(await readObject(req));
  const id = decodePathPart(params[0]!);
  const contract = await core.exclusive(async () => {
    const rec = core.state.contractRecord(id, patch, core.serverNow());
    await core.journal.append([rec]);
    core.state.apply(rec);
    core.log(`contract ${id} changed: ${JSON.stringify(patch)}`);
    return rec.contract;
  });
  return ok({ serverTime: core.serverNow(), contract });
}

async function adminFaults(core: ServerCore, { req }: RouteRequest): Promise<Answer> {
  const patch = validateFaults(await readObject(req));
  core.setFaultsLater(patch);
  return ok({ serverTime: core.serverNow(), faults: { ...core.faults(), ...patch } });
}

async function adminLive(core: ServerCore, { req }: RouteRequest): Promise<Answer> {
  const body = await readObject(req);
  if (typeof body.deviceId !== 'string' || body.deviceId === '' || body.deviceId.length > 200)
    throw new HttpError(400, 'BAD_REQUEST', 'deviceId missing');
  if (body.slot !== undefined && !Number.isSafeInteger(body.slot))
    throw new HttpError(400, 'BAD_REQUEST', 'slot must be an integer');
  const now = core.serverNow();
  const rec: ServerRecord = {
    t: 'LIVE',
    at: now,
    freelancerId: typeof body.freelancerId === 'string' ? body.freelancerId : DEFAULT_FREELANCER_ID,
    cursor: {
      deviceId: body.deviceId,
      fromSlot: typeof body.slot === 'number' ? body.slot : slotIndexOf(now),
    },
  };
  await core.exclusive(async () => {
    await core.journal.append([rec]);
    core.state.apply(rec);
  });
  return ok({ serverTime: now, cursor: rec.cursor });
}

async function testHooks(core: ServerCore, { req }: RouteRequest): Promise<Answer> {
  const hooks = core.hooks;
  if (!hooks) throw new HttpError(404, 'NOT_FOUND', 'no route for POST /__test/hooks');
  const body = await readObject(req);
  const prefix = typeof body.path === 'string' ? body.path : '/';
  if (typeof body.dropRequests === 'number') hooks.dropNext('request', body.dropRequests, prefix);
  if (typeof body.dropResponses === 'number') hooks.dropNext('response', body.dropResponses, prefix);
  return ok({ serverTime: core.serverNow(), stats: hooks.stats() });
}

export const ROUTES: readonly Route[] = [
  { pattern: /^\/v1\/health$/, methods: ['GET'], handle: health },
  { pattern: /^\/v1\/time$/, methods: ['GET'], handle: time },
  { pattern: /^\/v1\/contracts$/, methods: ['GET'], handle: contracts },
  { pattern: /^\/v1\/blobs\/sha256\/([0-9a-f]{64})$/, methods: ['GET', 'HEAD'], handle: blobGet },
  { pattern: /^\/v1\/blobs\/sha256\/([0-9a-f]{64})$/, methods: ['PUT'], handle: blobPut },
  { pattern: /^\/v1\/diary\/segments:batch$/, methods: ['POST'], handle: batch },
  { pattern: /^\/v1\/diary\/([^/]+)\/(\d+)$/, methods: ['DELETE'], handle: deleteSlot },
  { pattern: /^\/v1\/diary\/([^/]+)$/, methods: ['GET'], handle: diary },
  { pattern: /^\/v1\/admin\/state$/, methods: ['GET'], admin: true, handle: adminState },
  { pattern: /^\/v1\/admin\/contracts\/([^/]+)$/, methods: ['POST'], admin: true, handle: adminContract },
  { pattern: /^\/v1\/admin\/faults$/, methods: ['POST'], admin: true, handle: adminFaults },
  { pattern: /^\/v1\/admin\/live$/, methods: ['POST'], admin: true, handle: adminLive },
  { pattern: /^\/__test\/hooks$/, methods: ['POST'], admin: true, handle: testHooks },
];

/** The route for a request, or a 404 / 405 HttpError. Admin routes check the secret here. */
export function findRoute(core: ServerCore, req: IncomingMessage, method: string, url: URL) {
  let pathKnown = false;
  for (const route of ROUTES) {
    const m = route.pattern.exec(url.pathname);
    if (!m) continue;
    pathKnown = true;
    if (!route.methods.includes(method)) continue;
    if (route.admin) requireAdmin(req, core.adminSecret);
    return { route, params: m.slice(1) };
  }
  if (pathKnown && !(url.pathname === '/__test/hooks' && !core.hooks))
    throw new HttpError(405, 'METHOD_NOT_ALLOWED', `${method} not allowed`);
  throw new HttpError(404, 'NOT_FOUND', `no route for ${method} ${url.pathname}`);
}

/** Admin and test-hook paths are not subject to faults or dropped by hooks. */
export function isControlPath(p: string): boolean {
  return p.startsWith('/v1/admin/') || p.startsWith('/__test/');
}
