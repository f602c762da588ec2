/**
 * The tracker's running processes (the app, `Upwork Helper`, Electron helpers, their `.exe` forms)
 * and the CPU each one used over a sampling window (--cpu-window, default 3 s), as % of one core.
 * Why: a Helper stuck in a busy loop drains laptops and stalls screenshots; two copies running at
 * once fight over the same work diary. CPU is measured from cumulative CPU time at the start and end
 * of the window, never from `ps %cpu` (on Linux that is a lifetime average).
 *
 * Linux: ps-list for discovery, /proc/<pid>/stat utime+stime for CPU. macOS: `ps -o time=` twice.
 * Windows: Win32_Process UserModeTime+KernelModeTime, twice, inside the batched PowerShell call.
 */
import { readFile, readlink } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { NotCollectedError, defineCollector } from '../core/collector.js';
import type { CollectorInput } from '../core/collector.js';
import { parseInfoPlist } from './installs.js';
import { cpuWindowMs, windowsSnapshot, POWERSHELL_SOURCE } from './windows.js';

export type ProcessRole = 'app' | 'helper' | 'gpu' | 'renderer' | 'utility';

export interface TrackerProcess {
  pid: number;
  ppid: number | null;
  /** The process name as the OS shows it (comm / image name / title). */
  name: string;
  role: ProcessRole;
  /** Executable path when readable. */
  path: string | null;
  command: string | null;
  /** The app version the process belongs to, when it can be read (file version, Info.plist). */
  version: string | null;
  /** CPU used over the window as % of one core (can exceed 100); null when not measurable. */
  cpuPercent: number | null;
}

export interface ProcessesFacts {
  /** Measured window, seconds. */
  windowSec: number;
  cores: number;
  /** How CPU was measured, in words. */
  method: string;
  tracker: TrackerProcess[];
}

declare module '../core/facts.js' {
  interface FactMap {
    processes: ProcessesFacts;
  }
}

/** Process names of the tracker on every OS; `upwork-doctor` itself never matches. */
const TRACKER_NAME = /^upwork( helper( \((gpu|renderer|plugin)\))?)?(\.exe)?$/i;

export function baseName(p: string): string {
  return p.split(/[\\/]/).pop() ?? p;
}

export function isTrackerName(name: string): boolean {
  return TRACKER_NAME.test(baseName(name).trim());
}

/** The program part of a command line (before the first ` -` switch), as a bare name. */
export function commandName(command: string): string {
  return baseName(command.split(/\s+-/)[0]!.trim());
}

/** The role of an Electron process, from its name (macOS helper bundles) or `--type=` switch. */
export function classifyRole(name: string, command: string | null): ProcessRole {
  const n = baseName(name).toLowerCase();
  const type = /--type=([\w-]+)/.exec(command ?? '')?.[1];
  if (n.includes('(gpu)') || type === 'gpu-process') return 'gpu';
  if (n.includes('(renderer)') || type === 'renderer') return 'renderer';
  if (n.includes('(plugin)') || type === 'utility' || type === 'zygote') return 'utility';
  if (n.startsWith('upwork helper')) return 'helper';
  return type ? 'utility' : 'app';
}

/** Fields 14 and 15 of /proc/<pid>/stat (utime, stime) in clock ticks; the name may hold spaces. */
export function parseProcStat(text: string): { ticks: number; ppid: number } | undefined {
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  const rest = text
    .slice(close + 2)
    .trim()
    .split(/\s+/);
  // rest[0] is field 3 (state), so field n is rest[n - 3].
  const ppid = Number(rest[1]);
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) return undefined;
  return { ticks: utime + stime, ppid };
}

/** macOS `ps -o time=`: `[[dd-]hh:]mm:ss[.cc]` → seconds. */
export function parsePsTime(s: string): number | undefined {
  const m = /^(?:(\d+)-)?(?:(\d+):)?(\d+):(\d+(?:[.,]\d+)?)$/.exec(s.trim());
  if (!m) return undefined;
  const [, d, h, min, sec] = m;
  return Number(d ?? 0) * 86400 + Number(h ?? 0) * 3600 + Number(min) * 60 + Number(sec!.replace(',', '.'));
}

export interface PsRow {
  pid: number;
  ppid: number;
  cpuSeconds: number;
  /** Full executable path (macOS `comm` is the full path). */
  comm: string;
}

/** `ps -axww -o pid=,ppid=,time=,comm=`: the last column is the whole rest of the line. */
export function parseMacPs(stdout: string): PsRow[] {
  const rows: PsRow[] = [];
  for (const line of stdout.split('\n')) {
    const m = /^\s*(\d+)\s+(\d+)\s+(\S+)\s+(.+?)\s*$/.exec(line);
    if (!m) continue;
    const cpu = parsePsTime(m[3]!);
    if (cpu === undefined) continue;
    rows.push({ pid: Number(m[1]), ppid: Number(m[2]), cpuSeconds: cpu, comm: m[4]! });
  }
  return rows;
}

export const MAC_PS_ARGS = ['-axww', '-o', 'pid=,ppid=,time=,comm='];

const round1 = (n: number) => Math.round(n * 10) / 10;
const round2 = (n: number) => Math.round(n * 100) / 100;

/** % of one core from a CPU-time delta over a wall-time window. */
export function cpuPercent(cpuSecondsDelta: number, windowSec: number): number | null {
  if (!(windowSec > 0) || cpuSecondsDelta < 0) return null;
  return round1((cpuSecondsDelta / windowSec) * 100);
}

/** The `X.app` bundle that holds a macOS executable (the outermost one). */
export function macBundleOf(path: string): string | undefined {
  const i = path.indexOf('.app/');
  return i < 0 ? undefined : path.slice(0, i + 4);
}

async function macVersion(path: string | null): Promise<string | null> {
  const bundle = path ? macBundleOf(path) : undefined;
  if (!bundle) return null;
  try {
    return parseInfoPlist(await readFile(`${bundle}/Contents/Info.plist`, 'utf8')).shortVersion;
  } catch {
    return null;
  }
}

export interface ListedProcess {
  pid: number;
  ppid: number | null;
  name: string;
  path: string | null;
  command: string | null;
}

const listMemo = new WeakMap<object, Promise<ListedProcess[]>>();

/**
 * Every process of this machine (name, path), for discovery. Memoised per run (keyed by the run's
 * options object) so the processes and security collectors share one listing. Not used on Windows (ps-list has no paths
 * there; the batched PowerShell call lists what we need).
 */
export function listProcesses({
  ctx,
  options,
}: Pick<CollectorInput, 'ctx' | 'options'>): Promise<ListedProcess[]> {
  const existing = listMemo.get(options);
  if (existing) return existing;
  const p = (async (): Promise<ListedProcess[]> => {
    if (ctx.platform === 'darwin') {
      const r = await ctx.exec('ps', MAC_PS_ARGS, { timeoutMs: 5_000 });
      if (r.code !== 0)
        throw new NotCollectedError(r.timedOut ? 'timeout' : 'error', `ps failed: ${r.stderr.trim()}`);
      return parseMacPs(r.stdout).map((row) => ({
        pid: row.pid,
        ppid: row.ppid,
        name: baseName(row.comm),
        path: row.comm.startsWith('/') ? row.comm : null,
        command: null,
      }));
    }
    const { default: psList } = await import('ps-list');
    const list = await psList({ all: true });
    return list.map((p) => ({
      pid: p.pid,
      ppid: p.ppid,
      name: p.name,
      path: p.path && p.path.startsWith('/') ? p.path : null,
      command: p.cmd ?? null,
    }));
  })();
  listMemo.set(options, p);
  return p;
}

async function readTicks(pid: number): Promise<number | undefined> {
  try {
    return parseProcStat(await readFile(`/proc/${pid}/stat`, 'utf8'))?.ticks;
  } catch {
    return undefined;
  }
}

/** Linux: USER_HZ is 100 on every mainstream kernel build (sysconf(_SC_CLK_TCK)). */
const CLK_TCK = 100;

async function collectLinux(input: CollectorInput, windowMs: number): Promise<ProcessesFacts> {
  const { ctx, source, signal } = input;
  source('command', 'ps (ps-list) for discovery');
  const all = await listProcesses(input);
  // A titled process (process.title, Electron's Helper) shows its title in cmd, not in name.
  const found = all.flatMap((p) => {
    const titled = p.command ? commandName(p.command) : '';
    if (isTrackerName(p.name) || (p.path !== null && isTrackerName(p.path))) return [p];
    return isTrackerName(titled) ? [{ ...p, name: titled }] : [];
  });
  const cores = await cpuCount();
  if (found.length === 0) return { windowSec: 0, cores, method: 'no tracker process running', tracker: [] };
  source('file', '/proc/<pid>/stat (utime+stime), sampled twice');
  const start = await Promise.all(found.map((p) => readTicks(p.pid)));
  const t0 = ctx.monotonic();
  await sleep(windowMs, undefined, { signal });
  const end = await Promise.all(found.map((p) => readTicks(p.pid)));
  const windowSec = (ctx.monotonic() - t0) / 1000;
  const tracker = await Promise.all(
    found.map(async (p, i): Promise<TrackerProcess> => {
      const a = start[i];
      const b = end[i];
      let path = p.path;
      if (!path) path = await readlink(`/proc/${p.pid}/exe`).catch(() => null);
      return {
        pid: p.pid,
        ppid: p.ppid,
        name: p.name,
        role: classifyRole(p.name, p.command),
        path,
        command: p.command,
        version: null,
        cpuPercent: a !== undefined && b !== undefined ? cpuPercent((b - a) / CLK_TCK, windowSec) : null,
      };
    }),
  );
  return { windowSec: round2(windowSec), cores, method: '/proc/<pid>/stat utime+stime delta', tracker };
}

async function cpuCount(): Promise<number> {
  const os = await import('node:os');
  return Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
}

async function collectMac(input: CollectorInput, windowMs: number): Promise<ProcessesFacts> {
  const { ctx, source, signal } = input;
  source('command', `ps ${MAC_PS_ARGS.join(' ')} (twice)`);
  const r1 = await ctx.exec('ps', MAC_PS_ARGS, { timeoutMs: 5_000 });
  // A failed ps is "could not look", never "nothing is running".
  if (r1.code !== 0)
    throw new NotCollectedError(
      r1.timedOut ? 'timeout' : 'error',
      `ps failed: ${r1.stderr.trim() || `exit ${r1.code}`}`,
    );
  const first = parseMacPs(r1.stdout).filter((r) => isTrackerName(r.comm));
  const cores = await cpuCount();
  if (first.length === 0) return { windowSec: 0, cores, method: 'no tracker process running', tracker: [] };
  const t0 = ctx.monotonic();
  await sleep(windowMs, undefined, { signal });
  const r2 = await ctx.exec('ps', MAC_PS_ARGS, { timeoutMs: 5_000 });
  const windowSec = (ctx.monotonic() - t0) / 1000;
  const second = new Map(parseMacPs(r2.stdout).map((r) => [r.pid, r]));
  const tracker = await Promise.all(
    first.map(async (r): Promise<TrackerProcess> => {
      const b = second.get(r.pid);
      const path = r.comm.startsWith('/') ? r.comm : null;
      return {
        pid: r.pid,
        ppid: r.ppid,
        name: baseName(r.comm),
        role: classifyRole(r.comm, null),
        path,
        command: null,
        version: await macVersion(path),
        cpuPercent: b ? cpuPercent(b.cpuSeconds - r.cpuSeconds, windowSec) : null,
      };
    }),
  );
  return { windowSec: round2(windowSec), cores, method: 'ps -o time= delta', tracker };
}

async function collectWindows(input: CollectorInput): Promise<ProcessesFacts> {
  input.source('command', POWERSHELL_SOURCE);
  const snap = await windowsSnapshot(input);
  const windowSec = snap.windowMs / 1000;
  const tracker = snap.processes
    .filter((p) => isTrackerName(p.name))
    .map((p): TrackerProcess => ({
      pid: p.pid,
      ppid: p.ppid,
      name: p.name,
      role: classifyRole(p.name, p.commandLine),
      path: p.path,
      command: p.commandLine,
      version: p.version,
      // Win32_Process times are in 100 ns units.
      cpuPercent:
        p.cpuStart !== null && p.cpuEnd !== null
          ? cpuPercent((p.cpuEnd - p.cpuStart) / 1e7, windowSec)
          : null,
    }));
  return {
    windowSec: round2(windowSec),
    cores: snap.cores,
    method: 'Win32_Process UserModeTime+KernelModeTime delta',
    tracker,
  };
}

export const processesCollector = defineCollector({
  key: 'processes',
  scope: 'tracker',
  title: 'tracker processes and their CPU',
  // The window itself plus a generous margin for PowerShell's start-up on Windows.
  timeoutMs: 60_000,
  async collect(input) {
    const windowMs = cpuWindowMs(input.options);
    input.waitingOn(`sampling CPU for ${windowMs / 1000} s`);
    if (input.ctx.platform === 'win32') return collectWindows(input);
    if (input.ctx.platform === 'darwin') return collectMac(input, windowMs);
    if (input.ctx.platform === 'linux') return collectLinux(input, windowMs);
    throw new NotCollectedError(
      'not-applicable',
      `process sampling is not supported on ${input.ctx.platform}`,
    );
  },
});
