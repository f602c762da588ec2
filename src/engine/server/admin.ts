/**
 * The admin side of the reference server (scenarios and tests change contracts and switch faults
 * through it). Any local process can reach a loopback port, and one unchecked fault (`oldTls`)
 * downgrades TLS for every client, so admin requests must carry a secret that only the owner of
 * the engine folder can read (`<data>/engine/admin.secret`, mode 0600), and bodies are validated
 * field by field.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import path from 'node:path';
import type { AdminContractPatch, Faults } from '../protocol.js';
import { writeFileAtomic } from './atomic.js';
import { HttpError } from './http.js';

export const ADMIN_SECRET_HEADER = 'x-admin-secret';

export function adminSecretPath(dataDir: string): string {
  return path.join(dataDir, 'engine', 'admin.secret');
}

/** The folder's admin secret, or undefined when there is none (or it cannot be read). */
export async function readAdminSecret(dataDir: string): Promise<string | undefined> {
  try {
    const s = (await fsp.readFile(adminSecretPath(dataDir), 'utf8')).trim();
    return /^[0-9a-f]{64}$/.test(s) ? s : undefined;
  } catch {
    return undefined;
  }
}

/** Read the secret, creating it (owner-only) on first use; a loose mode is tightened. */
export async function ensureAdminSecret(dataDir: string): Promise<string> {
  const file = adminSecretPath(dataDir);
  const existing = await readAdminSecret(dataDir);
  if (existing) {
    await fsp.chmod(file, 0o600).catch(() => undefined);
    return existing;
  }
  const secret = randomBytes(32).toString('hex');
  await writeFileAtomic(file, `${secret}\n`, 0o600);
  return secret;
}

export function requireAdmin(req: IncomingMessage, secret: string): void {
  const given = req.headers[ADMIN_SECRET_HEADER];
  const a = Buffer.from(typeof given === 'string' ? given : '');
  const b = Buffer.from(secret);
  if (a.length !== b.length || !timingSafeEqual(a, b))
    throw new HttpError(403, 'FORBIDDEN', 'admin requests need the secret in engine/admin.secret');
}

type Kind = 'boolean' | 'number' | 'string' | 'int' | 'string[]' | 'number|null';

function fits(v: unknown, kind: Kind): boolean {
  switch (kind) {
    case 'boolean':
      return typeof v === 'boolean';
    case 'number':
      return typeof v === 'number' && Number.isFinite(v);
    case 'int':
      return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
    case 'string':
      return typeof v === 'string' && v.length <= 200;
    case 'string[]':
      return Array.isArray(v) && v.length <= 100 && v.every((x) => typeof x === 'string' && x.length <= 200);
    case 'number|null':
      return v === null || (typeof v === 'number' && Number.isFinite(v) && v >= 0);
  }
}

function validate<T>(body: Record<string, unknown>, schema: Record<string, Kind>, what: string): T {
  for (const [k, v] of Object.entries(body)) {
    const kind = schema[k];
    if (!kind) throw new HttpError(400, 'BAD_REQUEST', `${what}: unknown field "${k}"`);
    if (!fits(v, kind)) throw new HttpError(400, 'BAD_REQUEST', `${what}: "${k}" must be ${kind}`);
  }
  return body as T;
}

const FAULTS: Record<keyof Faults, Kind> = {
  offline: 'boolean',
  maintenance: 'boolean',
  maintenanceRetryAfterSec: 'int',
  slowMs: 'int',
  skewMs: 'number',
  oldTls: 'boolean',
  deviceConflict: 'boolean',
  conflictDeviceId: 'string',
  deviceConflictSince: 'number',
  signedOut: 'boolean',
};

const CONTRACT: Record<keyof AdminContractPatch, Kind> = {
  at: 'number',
  title: 'string',
  client: 'string',
  type: 'string',
  status: 'string',
  startDate: 'number',
  weeklyLimitHours: 'number|null',
  manualTimeAllowed: 'boolean',
  activityRequired: 'boolean',
  activities: 'string[]',
};

export function validateFaults(body: Record<string, unknown>): Faults {
  const f = validate<Faults>(body, FAULTS, 'faults');
  if (f.slowMs !== undefined && f.slowMs > 120_000)
    throw new HttpError(400, 'BAD_REQUEST', 'faults: "slowMs" must be at most 120000');
  return f;
}

export function validateContractPatch(body: Record<string, unknown>): AdminContractPatch {
  const p = validate<AdminContractPatch>(body, CONTRACT, 'contract');
  if (p.type !== undefined && p.type !== 'hourly' && p.type !== 'fixed')
    throw new HttpError(400, 'BAD_REQUEST', 'contract: "type" must be hourly or fixed');
  if (p.status !== undefined && !['active', 'paused', 'ended'].includes(p.status))
    throw new HttpError(400, 'BAD_REQUEST', 'contract: "status" must be active, paused or ended');
  return p;
}
