/**
 * Shared test fixtures for the work-diary server and the uploader: throwaway data folders (with a
 * CA generated once per worker, since RSA generation is the slow part), a fixed simulated "now",
 * and signed segments built straight from the wire protocol.
 */
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureServerCert } from '../../../src/engine/ca.js';
import { FakeClock } from '../../../src/engine/clock.js';
import { signSegment, SLOT_MS, type MinuteCounts, type WireSegment } from '../../../src/engine/protocol.js';
import {
  startServer,
  type RunningServer,
  type StartServerOptions,
} from '../../../src/engine/server/index.js';
import { WorkDiaryClient } from '../../../src/engine/server/client.js';

/** Wednesday 2025-01-08 12:00:00 UTC: mid-week, so the current week is open and last week locked. */
export const T0 = Date.UTC(2025, 0, 8, 12, 0, 0);
export const SLOT0 = T0 / SLOT_MS;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;

const tmpDirs: string[] = [];
let caTemplate: Promise<string> | undefined;

async function template(): Promise<string> {
  caTemplate ??= (async () => {
    const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'uwd-ca-'));
    tmpDirs.push(dir);
    await ensureServerCert(dir);
    return dir;
  })();
  return caTemplate;
}

/** An empty engine data folder holding a copy of the worker's CA and server certificate. */
export async function freshDataDir(withCa = true): Promise<string> {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'uwd-svc-'));
  tmpDirs.push(dir);
  if (withCa) {
    const from = path.join(await template(), 'engine', 'ca');
    await fsp.cp(from, path.join(dir, 'engine', 'ca'), { recursive: true });
  }
  return dir;
}

export async function removeTmpDirs(): Promise<void> {
  await Promise.all(tmpDirs.splice(0).map((d) => fsp.rm(d, { recursive: true, force: true })));
}

export function pngBytes(tag: string): Buffer {
  // Not a real image: the server stores screenshots by hash and never decodes them.
  return Buffer.from(`\x89PNG\r\n\x1a\nsynthetic screenshot ${tag}`, 'latin1');
}

export function sha256(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}

export interface SegmentSpec {
  contractId?: string;
  slot: number;
  deviceId?: string;
  kind?: 'auto' | 'manual';
  /** Tracked minutes from the slot start (default 10). */
  minutes?: number;
  screenshot?: boolean;
  memo?: string;
  seq?: number;
}

export function makeSegment(spec: SegmentSpec): { segment: WireSegment; png: Buffer | null } {
  const start = spec.slot * SLOT_MS;
  const tracked = spec.minutes ?? 10;
  const kind = spec.kind ?? 'auto';
  const counts: MinuteCounts[] = Array.from({ length: 10 }, (_, i) =>
    kind === 'auto' && i < tracked ? ([5 + i, 2, i % 2] as MinuteCounts) : ([0, 0, 0] as MinuteCounts),
  );
  const png =
    kind === 'auto' && spec.screenshot !== false
      ? pngBytes(`${spec.contractId ?? 'c-1'}-${spec.slot}`)
      : null;
  const segment = signSegment({
    contractId: spec.contractId ?? 'c-1',
    slot: spec.slot,
    kind,
    trackedFrom: start,
    trackedTo: start + tracked * 60_000,
    minutes: counts,
    activeMinutes: counts.filter((m) => m[0] + m[1] + m[2] > 0).length,
    screenshot: png ? { sha256: sha256(png), takenAt: start + 60_000 } : null,
    memo: spec.memo ?? 'Fixing the checkout page',
    activity: null,
    deviceId: spec.deviceId ?? 'device-a',
    seq: spec.seq ?? spec.slot,
  });
  return { segment, png };
}

export const TEST_CONTRACTS: NonNullable<StartServerOptions['seedContracts']> = [
  {
    id: 'c-1',
    at: T0 - 60 * DAY,
    title: 'API work',
    type: 'hourly',
    status: 'active',
    startDate: T0 - 60 * DAY,
    weeklyLimitHours: null,
    manualTimeAllowed: true,
  },
  {
    id: 'c-limit',
    at: T0 - 60 * DAY,
    title: 'Limited',
    type: 'hourly',
    status: 'active',
    startDate: T0 - 60 * DAY,
    weeklyLimitHours: 1,
  },
  {
    id: 'c-fixed',
    at: T0 - 60 * DAY,
    title: 'Logo',
    type: 'fixed',
    status: 'active',
    startDate: T0 - 60 * DAY,
    weeklyLimitHours: null,
  },
  {
    id: 'c-paused',
    at: T0 - 60 * DAY,
    title: 'Paused',
    type: 'hourly',
    status: 'paused',
    startDate: T0 - 60 * DAY,
  },
  {
    id: 'c-tomorrow',
    at: T0 - DAY,
    title: 'Starts tomorrow',
    type: 'hourly',
    status: 'active',
    startDate: T0 + DAY,
  },
];

export interface TestServer {
  server: RunningServer;
  client: WorkDiaryClient;
  clock: FakeClock;
  dataDir: string;
}

export async function startTestServer(opts: Partial<StartServerOptions> = {}): Promise<TestServer> {
  const dataDir = opts.dataDir ?? (await freshDataDir());
  const clock = (opts.clock as FakeClock | undefined) ?? new FakeClock(T0);
  const server = await startServer({
    seedContracts: TEST_CONTRACTS,
    testHooks: true,
    ...opts,
    dataDir,
    clock,
  });
  const client = new WorkDiaryClient({ url: server.url, ca: server.caPem, timeoutMs: 5_000, adminSecret: server.adminSecret });
  return { server, client, clock, dataDir };
}
