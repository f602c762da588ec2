/**
 * System information and the process list for the bundle. Only allow-listed fields are kept
 * (no serial numbers, UUIDs, MAC addresses or host names), every call has a timeout, and command
 * lines go through the redactor later like everything else. node:os and fs.statfs give most of
 * it; systeminformation (heavy, loaded lazily) only the OS's marketed name and available memory.
 */
import { statfs } from 'node:fs/promises';
import os from 'node:os';
import type * as SI from 'systeminformation';
import type { Context } from '../../core/context.js';
import { errorMessage } from '../../core/errors.js';

async function within<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms / 1000} s`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export interface SystemSnapshot {
  collectedAt: string;
  os?: Record<string, unknown>;
  cpu?: Record<string, unknown>;
  memory?: Record<string, unknown>;
  disks?: Record<string, unknown>[];
  time?: Record<string, unknown>;
  versions?: Record<string, unknown>;
  node: { version: string; platform: string; arch: string };
  errors: string[];
}

const pick = (o: object, keys: readonly string[]) =>
  Object.fromEntries(keys.filter((k) => k in o).map((k) => [k, (o as Record<string, unknown>)[k]]));

/** CPU, memory, uptime, time zone and versions: node:os and process give these directly. */
function fromNode(snap: SystemSnapshot, ctx: Context): void {
  const cpus = os.cpus();
  snap.cpu = {
    brand: cpus[0]?.model.trim() ?? null,
    speed: cpus[0] ? cpus[0].speed / 1000 : null,
    cores: cpus.length,
    availableParallelism: os.availableParallelism(),
  };
  snap.memory = { total: os.totalmem(), free: os.freemem() };
  snap.time = { timezone: Intl.DateTimeFormat().resolvedOptions().timeZone, uptime: os.uptime() };
  snap.versions = { node: process.versions.node, openssl: process.versions.openssl };
  snap.os = { platform: ctx.platform, arch: ctx.arch, kernel: os.release(), version: os.version() };
}

/** Free space where the bundle reads and writes: fs.statfs on those folders, no disk survey. */
async function disksOf(snap: SystemSnapshot, folders: Record<string, string>): Promise<void> {
  snap.disks = [];
  for (const [role, dir] of Object.entries(folders)) {
    try {
      const st = await statfs(dir);
      snap.disks.push({ role, size: st.blocks * st.bsize, available: st.bavail * st.bsize });
    } catch (e) {
      snap.errors.push(`disk (${role}): ${errorMessage(e)}`);
    }
  }
}

/**
 * systeminformation only for what node:os cannot say: the OS's name and release as people know
 * them (Ubuntu 22.04, macOS 14.5, Windows 11 build) and the memory available to programs (it
 * reads /proc/meminfo, vm_stat or WMI; os.freemem() counts caches as used).
 */
async function fromSystemInformation(snap: SystemSnapshot, timeoutMs: number): Promise<void> {
  let si: typeof SI;
  try {
    const mod = (await import('systeminformation')) as unknown as { default?: typeof SI };
    si = mod.default ?? (mod as unknown as typeof SI);
  } catch (e) {
    snap.errors.push(`systeminformation could not be loaded: ${errorMessage(e)}`);
    return;
  }
  const parts: [string, () => Promise<void>][] = [
    [
      'os',
      async () => {
        Object.assign(
          snap.os ?? {},
          pick(await si.osInfo(), ['distro', 'release', 'codename', 'build', 'servicepack']),
        );
      },
    ],
    [
      'memory',
      async () => {
        Object.assign(snap.memory ?? {}, pick(await si.mem(), ['available', 'swaptotal', 'swapused']));
      },
    ],
  ];
  await Promise.all(
    parts.map(async ([name, fn]) => {
      try {
        await within(timeoutMs, `systeminformation (${name})`, fn());
      } catch (e) {
        snap.errors.push(`${name}: ${errorMessage(e)}`);
      }
    }),
  );
}

export async function collectSystem(
  ctx: Context,
  folders: Record<string, string> = {},
  timeoutMs = 8_000,
): Promise<SystemSnapshot> {
  const snap: SystemSnapshot = {
    collectedAt: new Date(ctx.now()).toISOString(),
    node: { version: process.version, platform: ctx.platform, arch: ctx.arch },
    errors: [],
  };
  fromNode(snap, ctx);
  await Promise.all([disksOf(snap, folders), fromSystemInformation(snap, timeoutMs)]);
  return snap;
}

export interface ProcessEntry {
  pid: number;
  ppid: number;
  name: string;
  cmd?: string;
  cpu?: number;
  memory?: number;
}

export async function collectProcesses(
  timeoutMs = 8_000,
): Promise<{ processes: ProcessEntry[]; error?: string }> {
  try {
    const { default: psList } = await import('ps-list');
    const list = await within(timeoutMs, 'the process list', psList());
    return {
      processes: list
        .map((p) => ({
          pid: p.pid,
          ppid: p.ppid,
          name: p.name,
          ...(p.cmd !== undefined ? { cmd: p.cmd } : {}),
          ...(p.cpu !== undefined ? { cpu: p.cpu } : {}),
          ...(p.memory !== undefined ? { memory: p.memory } : {}),
        }))
        .sort((a, b) => a.pid - b.pid),
    };
  } catch (e) {
    return { processes: [], error: errorMessage(e) };
  }
}
