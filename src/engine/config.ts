/**
 * Engine settings with their defaults, stored in <data>/engine/config.json, plus the engine's
 * other small files (device id, cached contract list) and the folder layout shared by the tracker,
 * the service and the doctor's collectors.
 */
import { randomUUID } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { WireContract } from './protocol.js';
import { writeFileAtomic } from './store/fsutil.js';

export interface EngineSettings {
  /** Cached (not yet uploaded) auto-tracked minutes the cache may hold; at capacity tracking stops on every contract. */
  capacityMinutes: number;
  /** Minutes without any input after which the tracker turns itself off. */
  idleStopMinutes: number;
  /** Whether fixed-price contracts can be tracked (they are never billable). */
  trackFixedPrice: boolean;
  /** How long the app takes to see a contract change made on the server (weekly-limit increases, status). */
  refreshLagMs: number;
  /** A memo is needed to start tracking. */
  requireMemo: boolean;
  /** The tracker refuses to log past the weekly limit the app currently sees. */
  stopAtWeeklyLimit: boolean;
  /** How a partial segment is credited: its tracked minutes (the Work Diary rounds only for display). */
  creditPolicy: 'tracked-minutes';
  /** Journal records between snapshots (compaction). */
  snapshotEveryRecords: number;
  /** A journal file is rotated when it grows past this many bytes. */
  journalMaxBytes: number;
  /** The freelancer this tracker is signed in as. */
  freelancerId: string;
  uploadBatchSize: number;
  uploadBackoffBaseMs: number;
  uploadBackoffCapMs: number;
  uploadTimeoutMs: number;
  /** Server-side rule for a second computer logging while a cache waits. */
  deviceConflictRule: 'live-cursor' | 'off';
  /** Wall clock ahead of the monotonic clock by more than this between two ticks: the machine slept. */
  suspendThresholdMs: number;
  /** Wall and monotonic clocks apart by more than this between two ticks: the wall clock was stepped. */
  stepThresholdMs: number;
}

export const DEFAULT_SETTINGS: Readonly<EngineSettings> = Object.freeze({
  capacityMinutes: 1440,
  idleStopMinutes: 10,
  trackFixedPrice: true,
  refreshLagMs: 24 * 60 * 60 * 1000,
  requireMemo: true,
  stopAtWeeklyLimit: true,
  creditPolicy: 'tracked-minutes',
  snapshotEveryRecords: 500,
  journalMaxBytes: 4 * 1024 * 1024,
  freelancerId: 'freelancer-1',
  uploadBatchSize: 25,
  uploadBackoffBaseMs: 1000,
  uploadBackoffCapMs: 300_000,
  uploadTimeoutMs: 30_000,
  deviceConflictRule: 'live-cursor',
  suspendThresholdMs: 60_000,
  stepThresholdMs: 2_000,
});

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Kind = 'int' | 'bool' | 'string' | readonly string[];
const SCHEMA: Record<keyof EngineSettings, { kind: Kind; min?: number }> = {
  capacityMinutes: { kind: 'int', min: 10 },
  idleStopMinutes: { kind: 'int', min: 1 },
  trackFixedPrice: { kind: 'bool' },
  refreshLagMs: { kind: 'int', min: 0 },
  requireMemo: { kind: 'bool' },
  stopAtWeeklyLimit: { kind: 'bool' },
  creditPolicy: { kind: ['tracked-minutes'] },
  snapshotEveryRecords: { kind: 'int', min: 10 },
  journalMaxBytes: { kind: 'int', min: 4096 },
  freelancerId: { kind: 'string' },
  uploadBatchSize: { kind: 'int', min: 1 },
  uploadBackoffBaseMs: { kind: 'int', min: 0 },
  uploadBackoffCapMs: { kind: 'int', min: 0 },
  uploadTimeoutMs: { kind: 'int', min: 1 },
  deviceConflictRule: { kind: ['live-cursor', 'off'] },
  // Below a second, scheduling jitter between reading the two clocks would look like a step.
  suspendThresholdMs: { kind: 'int', min: 1000 },
  stepThresholdMs: { kind: 'int', min: 1000 },
};

/** Validate a (partial) settings object over the defaults. Unknown keys and wrong types are errors: fail closed. */
export function parseSettings(raw: unknown, where = 'config.json'): EngineSettings {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError(`${where}: expected a JSON object`);
  }
  const out: Record<string, unknown> = { ...DEFAULT_SETTINGS };
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    const spec = SCHEMA[k as keyof EngineSettings];
    if (!spec) throw new ConfigError(`${where}: unknown setting "${k}"`);
    const bad = (): never => {
      throw new ConfigError(`${where}: setting "${k}" has an invalid value ${JSON.stringify(v)}`);
    };
    if (spec.kind === 'int') {
      if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < (spec.min ?? -Infinity)) bad();
    } else if (spec.kind === 'bool') {
      if (typeof v !== 'boolean') bad();
    } else if (spec.kind === 'string') {
      if (typeof v !== 'string' || v.length === 0) bad();
    } else if (typeof v !== 'string' || !spec.kind.includes(v)) {
      bad();
    }
    out[k] = v;
  }
  return out as unknown as EngineSettings;
}

export interface EnginePaths {
  dataDir: string;
  upworkDir: string;
  logsDir: string;
  cacheDir: string;
  engineDir: string;
  configFile: string;
  deviceFile: string;
  contractsFile: string;
  statusFile: string;
  serverFile: string;
  caDir: string;
  serverDir: string;
}

export function enginePaths(dataDir: string): EnginePaths {
  const engineDir = path.join(dataDir, 'engine');
  const upworkDir = path.join(dataDir, 'Upwork');
  return {
    dataDir,
    upworkDir,
    logsDir: path.join(upworkDir, 'Logs'),
    cacheDir: path.join(upworkDir, 'Cache'),
    engineDir,
    configFile: path.join(engineDir, 'config.json'),
    deviceFile: path.join(engineDir, 'device.json'),
    contractsFile: path.join(engineDir, 'contracts.json'),
    statusFile: path.join(engineDir, 'status.json'),
    serverFile: path.join(engineDir, 'server.json'),
    caDir: path.join(engineDir, 'ca'),
    serverDir: path.join(dataDir, 'server'),
  };
}

async function readJson(file: string): Promise<unknown | undefined> {
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ConfigError(`${file}: not valid JSON`);
  }
}

/** Settings from config.json over the defaults (the defaults alone when the file does not exist). */
export async function loadSettings(dataDir: string): Promise<EngineSettings> {
  const file = enginePaths(dataDir).configFile;
  const raw = await readJson(file);
  return raw === undefined ? { ...DEFAULT_SETTINGS } : parseSettings(raw, file);
}

/** Merge `patch` into config.json (validated, written atomically); returns the full settings. */
export async function saveSettings(dataDir: string, patch: Partial<EngineSettings>): Promise<EngineSettings> {
  const p = enginePaths(dataDir);
  const current = (await readJson(p.configFile)) ?? {};
  const merged = { ...(current as object), ...patch };
  const settings = parseSettings(merged, p.configFile);
  await fsp.mkdir(p.engineDir, { recursive: true });
  await writeFileAtomic(p.configFile, `${JSON.stringify(merged, null, 2)}\n`);
  return settings;
}

export interface DeviceInfo {
  deviceId: string;
  createdAt: number;
}

/** The device id is created once and kept: the server tells this computer's uploads from another's. */
export async function loadOrCreateDevice(
  dataDir: string,
  now: number,
  deviceId?: string,
): Promise<DeviceInfo> {
  const p = enginePaths(dataDir);
  const raw = (await readJson(p.deviceFile)) as Partial<DeviceInfo> | undefined;
  if (raw && typeof raw.deviceId === 'string' && typeof raw.createdAt === 'number') {
    return { deviceId: raw.deviceId, createdAt: raw.createdAt };
  }
  const info: DeviceInfo = { deviceId: deviceId ?? randomUUID(), createdAt: now };
  await fsp.mkdir(p.engineDir, { recursive: true });
  await writeFileAtomic(p.deviceFile, `${JSON.stringify(info, null, 2)}\n`);
  return info;
}

export interface ContractsFile {
  /** When the list was fetched (server time when known). */
  fetchedAt: number;
  contracts: WireContract[];
}

export async function loadContracts(dataDir: string): Promise<ContractsFile> {
  const file = enginePaths(dataDir).contractsFile;
  const raw = (await readJson(file)) as ContractsFile | undefined;
  if (raw === undefined) return { fetchedAt: 0, contracts: [] };
  if (!raw || !Array.isArray(raw.contracts))
    throw new ConfigError(`${file}: expected {fetchedAt, contracts[]}`);
  return raw;
}

export async function saveContracts(dataDir: string, file: ContractsFile): Promise<void> {
  const p = enginePaths(dataDir);
  await fsp.mkdir(p.engineDir, { recursive: true });
  await writeFileAtomic(p.contractsFile, `${JSON.stringify(file, null, 2)}\n`);
}

/** The store options a tracker of these settings opens its cache with (every cache writer uses this). */
export function storeSettings(s: EngineSettings): {
  capacityMinutes: number;
  snapshotEveryRecords: number;
  journalMaxBytes: number;
} {
  return {
    capacityMinutes: s.capacityMinutes,
    snapshotEveryRecords: s.snapshotEveryRecords,
    journalMaxBytes: s.journalMaxBytes,
  };
}

/** The reference server's settings that come from the engine folder's config. */
export function serverSettingsOf(s: EngineSettings): {
  deviceConflictRule: EngineSettings['deviceConflictRule'];
} {
  return { deviceConflictRule: s.deviceConflictRule };
}
