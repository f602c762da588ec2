/**
 * System information and the process list for the bundle. Only allow-listed fields are kept
 * (no serial numbers, UUIDs or MAC addresses), every call has a timeout, and command lines go
 * through the redactor later like everything else. Loaded lazily: systeminformation and ps-list
 * are heavy.
 */
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

export async function collectSystem(ctx: Context, timeoutMs = 8_000): Promise<SystemSnapshot> {
  const snap: SystemSnapshot = {
    collectedAt: new Date(ctx.now()).toISOString(),
    node: { version: process.version, platform: ctx.platform, arch: ctx.arch },
    errors: [],
  };
  let si: typeof SI;
  try {
    const mod = (await import('systeminformation')) as unknown as { default?: typeof SI };
    si = mod.default ?? (mod as unknown as typeof SI);
  } catch (e) {
    snap.errors.push(`systeminformation could not be loaded: ${errorMessage(e)}`);
    return snap;
  }
  const parts: [string, () => Promise<void>][] = [
    [
      'os',
      async () => {
        snap.os = pick(await si.osInfo(), [
          'platform',
          'distro',
          'release',
          'codename',
          'kernel',
          'arch',
          'hostname',
          'build',
          'servicepack',
        ]);
      },
    ],
    [
      'cpu',
      async () => {
        snap.cpu = pick(await si.cpu(), [
          'manufacturer',
          'brand',
          'speed',
          'cores',
          'physicalCores',
          'processors',
          'virtualization',
        ]);
      },
    ],
    [
      'memory',
      async () => {
        snap.memory = pick(await si.mem(), ['total', 'free', 'used', 'available', 'swaptotal', 'swapused']);
      },
    ],
    [
      'disks',
      async () => {
        snap.disks = (await si.fsSize()).map((d) =>
          pick(d, ['fs', 'type', 'size', 'used', 'available', 'use', 'mount', 'rw']),
        );
      },
    ],
    [
      'time',
      async () => {
        snap.time = pick(si.time(), ['timezone', 'timezoneName', 'uptime']);
      },
    ],
    [
      'versions',
      async () => {
        snap.versions = pick(await si.versions('node, npm, openssl, systemOpenssl'), [
          'node',
          'npm',
          'openssl',
          'systemOpenssl',
        ]);
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
