/**
 * The tracker's running processes and the CPU each one used over a sampling window (--cpu-window,
 * default 3 s), as % of one core, with the samples taken at short intervals across the window (the
 * report draws them). Why: a busy renderer or Helper drains laptops and stalls screenshots; two
 * copies running at once fight over the same work diary. CPU comes from cumulative CPU time read
 * repeatedly, never from `ps %cpu` (on Linux that is a lifetime average).
 *
 * Which processes: those of the target (process-scope.ts): executables inside its install folders,
 * or the pids the reference engine recorded, and their descendants. Name-alikes elsewhere are
 * listed as ignored. Linux: ps-list for discovery, /proc/<pid>/stat utime+stime for CPU. macOS:
 * `ps -o time=` at each sample. Windows: Win32_Process UserModeTime+KernelModeTime at the two ends
 * of the window and Get-Process TotalProcessorTime every interval in between, all inside the
 * batched PowerShell call.
 */
import { readFile, readlink } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { NotCollectedError, defineCollector } from '../core/collector.js';
import type { CollectorInput } from '../core/collector.js';
import { parseInfoPlist } from './installs.js';
import {
  baseName,
  classifyRole,
  displayName,
  enginePids,
  macBundleOf,
  runningInstallDirs,
  selectTracker,
  type ListedProcess,
  type ProcessRole,
  type ProcessScope,
} from './process-scope.js';
import { cpuIntervalMs, cpuWindowMs, windowsSnapshot, POWERSHELL_SOURCE } from './windows.js';
import type { WindowsSnapshot, WinProcessSample } from './windows.js';

export {
  baseName,
  classifyRole,
  commandName,
  isTrackerName,
  macBundleOf,
  type ListedProcess,
  type ProcessRole,
} from './process-scope.js';

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

/** One process's CPU over the window: `t` is ms since the window started (end of each interval). */
export interface CpuSeries {
  pid: number;
  name: string;
  role: ProcessRole;
  points: { t: number; cpu: number | null }[];
}

export interface CpuSamples {
  /** When the window started (ISO 8601, UTC). */
  startedAt: string;
  /** The intended interval between samples, ms (the points carry the measured times). */
  intervalMs: number;
  series: CpuSeries[];
}

export interface IgnoredProcess {
  pid: number;
  name: string;
  path: string | null;
}

export interface ProcessesFacts {
  /** Measured window, seconds. */
  windowSec: number;
  cores: number;
  /** How CPU was measured, in words. */
  method: string;
  tracker: TrackerProcess[];
  /** What made a process the target's (install folders, engine pids); absent in older recordings. */
  scope?: ProcessScope;
  /** Processes named like the tracker that are not the target's: never measured, only mentioned. */
  ignored?: IgnoredProcess[];
  /** CPU sampled at short intervals over the window, per process. */
  samples?: CpuSamples;
}

declare module '../core/facts.js' {
  interface FactMap {
    processes: ProcessesFacts;
  }
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

async function macVersion(path: string | null): Promise<string | null> {
  const bundle = path ? macBundleOf(path) : undefined;
  if (!bundle) return null;
  try {
    return parseInfoPlist(await readFile(`${bundle}/Contents/Info.plist`, 'utf8')).shortVersion;
  } catch {
    return null;
  }
}

/** A macOS ps row as a listed process (`comm` is the full executable path). */
function macListed(row: PsRow): ListedProcess {
  return {
    pid: row.pid,
    ppid: row.ppid,
    name: baseName(row.comm),
    path: row.comm.startsWith('/') ? row.comm : null,
    command: null,
  };
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
      return parseMacPs(r.stdout).map(macListed);
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

// ---------- which processes ----------

/** The target's scope: its install folders (plus running copies found by their layout), or the engine's pids. */
async function scopeFor(input: CollectorInput, all: readonly ListedProcess[]): Promise<ProcessScope> {
  const { target, ctx } = input;
  if (target.kind !== 'installed') {
    const pids = await enginePids(target.dataDir, process.pid);
    input.source('file', `${target.dataDir}/engine/helper.json, status.json (recorded pids)`);
    return {
      installDirs: [],
      enginePids: pids,
      how: [`pids the reference engine recorded: ${pids.join(', ') || 'none'}`],
    };
  }
  const known = target.installDirs ?? [];
  const running = (await runningInstallDirs(all, ctx.platform)).filter((d) => !known.includes(d));
  return {
    installDirs: [...known, ...running],
    enginePids: [],
    how: [
      ...known.map((d) => `install folder ${d}`),
      ...running.map((d) => `running copy in ${d} (an Electron app folder with resources/app.asar)`),
    ],
  };
}

async function select(input: CollectorInput, all: ListedProcess[]) {
  const scope = await scopeFor(input, all);
  const { tracker, ignored } = selectTracker(all, scope, input.ctx.platform);
  return {
    scope,
    found: tracker.map((p) => ({ ...p, name: displayName(p) })),
    ignored: ignored.map((p) => ({ pid: p.pid, name: displayName(p), path: p.path })),
  };
}

// ---------- sampling ----------

interface Sampled {
  windowSec: number;
  /** pid → % of one core over the whole window. */
  average: Map<number, number | null>;
  /** pid → points. */
  points: Map<number, { t: number; cpu: number | null }[]>;
}

/**
 * Read every process's cumulative CPU seconds repeatedly across the window. At least one interval is
 * always measured; the loop is bounded by the window's number of intervals.
 */
async function sampleCpu(
  input: CollectorInput,
  pids: readonly number[],
  read: () => Promise<Map<number, number>>,
  windowMs: number,
  intervalMs: number,
): Promise<Sampled> {
  const { ctx, signal } = input;
  const first = await read();
  const t0 = ctx.monotonic();
  const points = new Map(pids.map((pid) => [pid, [] as { t: number; cpu: number | null }[]]));
  let prev = first;
  let prevT = t0;
  let last = first;
  let now = t0;
  const maxSteps = Math.ceil(windowMs / intervalMs) + 1;
  for (let step = 0; step < maxSteps; step++) {
    await sleep(Math.max(1, Math.min(intervalMs, windowMs - (now - t0))), undefined, { signal });
    last = await read();
    now = ctx.monotonic();
    const dt = (now - prevT) / 1000;
    for (const pid of pids) {
      const a = prev.get(pid);
      const b = last.get(pid);
      points.get(pid)!.push({
        t: Math.round(now - t0),
        cpu: a !== undefined && b !== undefined ? cpuPercent(b - a, dt) : null,
      });
    }
    prev = last;
    prevT = now;
    if (now - t0 >= windowMs) break;
  }
  const windowSec = (now - t0) / 1000;
  const average = new Map(
    pids.map((pid) => {
      const a = first.get(pid);
      const b = last.get(pid);
      return [pid, a !== undefined && b !== undefined ? cpuPercent(b - a, windowSec) : null];
    }),
  );
  return { windowSec, average, points };
}

/** The facts of a sampled window (Linux, macOS). */
function sampledFacts(
  method: string,
  found: Pick<ProcessesFacts, 'cores' | 'scope' | 'ignored'>,
  tracker: TrackerProcess[],
  sampled: Sampled,
  intervalMs: number,
  startedAt: number,
): ProcessesFacts {
  return {
    windowSec: round2(sampled.windowSec),
    method,
    ...found,
    tracker,
    samples: samplesOf(tracker, sampled, intervalMs, startedAt),
  };
}

function samplesOf(
  tracker: TrackerProcess[],
  sampled: Sampled,
  intervalMs: number,
  startedAt: number,
): CpuSamples {
  return {
    startedAt: new Date(startedAt).toISOString(),
    intervalMs,
    series: tracker.map((p) => ({
      pid: p.pid,
      name: p.name,
      role: p.role,
      points: sampled.points.get(p.pid) ?? [],
    })),
  };
}

// ---------- per OS ----------

async function readTicks(pid: number): Promise<number | undefined> {
  try {
    return parseProcStat(await readFile(`/proc/${pid}/stat`, 'utf8'))?.ticks;
  } catch {
    return undefined;
  }
}

/** Linux: USER_HZ is 100 on every mainstream kernel build (sysconf(_SC_CLK_TCK)). */
const CLK_TCK = 100;

async function cpuCount(): Promise<number> {
  const os = await import('node:os');
  return Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
}

function none(cores: number, scope: ProcessScope, ignored: IgnoredProcess[]): ProcessesFacts {
  return { windowSec: 0, cores, method: 'no tracker process running', tracker: [], scope, ignored };
}

async function collectLinux(input: CollectorInput, windowMs: number): Promise<ProcessesFacts> {
  const { ctx, source } = input;
  source('command', 'ps (ps-list) for discovery');
  const { scope, found, ignored } = await select(input, await listProcesses(input));
  const cores = await cpuCount();
  if (found.length === 0) return none(cores, scope, ignored);
  const intervalMs = cpuIntervalMs(windowMs, 100);
  source('file', `/proc/<pid>/stat (utime+stime), every ${intervalMs} ms`);
  const startedAt = ctx.now();
  const pids = found.map((p) => p.pid);
  const read = async () => {
    const ticks = await Promise.all(pids.map(readTicks));
    return new Map(
      pids.flatMap((pid, i) => (ticks[i] === undefined ? [] : [[pid, ticks[i]! / CLK_TCK] as const])),
    );
  };
  const sampled = await sampleCpu(input, pids, read, windowMs, intervalMs);
  const tracker = await Promise.all(
    found.map(async (p): Promise<TrackerProcess> => ({
      pid: p.pid,
      ppid: p.ppid,
      name: p.name,
      role: classifyRole(p.name, p.command),
      path: p.path ?? (await readlink(`/proc/${p.pid}/exe`).catch(() => null)),
      command: p.command,
      version: null,
      cpuPercent: sampled.average.get(p.pid) ?? null,
    })),
  );
  return sampledFacts(
    '/proc/<pid>/stat utime+stime, sampled across the window',
    { cores, scope, ignored },
    tracker,
    sampled,
    intervalMs,
    startedAt,
  );
}

async function macPs(input: CollectorInput): Promise<PsRow[]> {
  const r = await input.ctx.exec('ps', MAC_PS_ARGS, { timeoutMs: 5_000 });
  // A failed ps is "could not look", never "nothing is running".
  if (r.code !== 0)
    throw new NotCollectedError(
      r.timedOut ? 'timeout' : 'error',
      `ps failed: ${r.stderr.trim() || `exit ${r.code}`}`,
    );
  return parseMacPs(r.stdout);
}

async function collectMac(input: CollectorInput, windowMs: number): Promise<ProcessesFacts> {
  const { ctx, source } = input;
  const intervalMs = cpuIntervalMs(windowMs, 250);
  source('command', `ps ${MAC_PS_ARGS.join(' ')} (every ${intervalMs} ms)`);
  const rows = await macPs(input);
  const listed = rows.map(macListed);
  const { scope, found, ignored } = await select(input, listed);
  const cores = await cpuCount();
  if (found.length === 0) return none(cores, scope, ignored);
  const startedAt = ctx.now();
  const pids = found.map((p) => p.pid);
  const first = new Map(rows.map((r) => [r.pid, r.cpuSeconds]));
  let initial: Map<number, number> | undefined = first;
  // The discovery listing is the first sample; a ps that fails later only leaves gaps.
  const read = async () => {
    if (initial) {
      const m = initial;
      initial = undefined;
      return m;
    }
    const again = await macPs(input).catch(() => [] as PsRow[]);
    return new Map(again.map((r) => [r.pid, r.cpuSeconds]));
  };
  const sampled = await sampleCpu(input, pids, read, windowMs, intervalMs);
  const tracker = await Promise.all(
    found.map(async (p): Promise<TrackerProcess> => ({
      pid: p.pid,
      ppid: p.ppid,
      name: p.name,
      role: classifyRole(p.path ?? p.name, null),
      path: p.path,
      command: null,
      version: await macVersion(p.path),
      cpuPercent: sampled.average.get(p.pid) ?? null,
    })),
  );
  return sampledFacts(
    'ps -o time=, sampled across the window',
    { cores, scope, ignored },
    tracker,
    sampled,
    intervalMs,
    startedAt,
  );
}

/**
 * One Windows process's CPU across the window: its readings (first listing, the samples in
 * between, last listing) turned into % of one core per interval, and the window's average. A
 * reading that is missing (started late, exited, not readable) leaves a gap, never a zero.
 */
export function windowsSeries(
  snap: Pick<WindowsSnapshot, 'sample1At' | 'cpuSamples' | 'windowMs'>,
  p: Pick<WinProcessSample, 'pid' | 'cpuStart' | 'cpuEnd'>,
): { average: number | null; points: { t: number; cpu: number | null }[] } {
  const t0 = snap.sample1At;
  const readings = [
    { t: t0, cpu: p.cpuStart },
    ...snap.cpuSamples.map((s) => ({ t: s.t, cpu: s.cpu.get(p.pid) ?? null })),
    { t: snap.windowMs, cpu: p.cpuEnd },
  ];
  // Win32_Process and Get-Process times are in 100 ns units.
  const percent = (a: number | null, b: number | null, ms: number) =>
    a !== null && b !== null && ms > 0 ? cpuPercent((b - a) / 1e7, ms / 1000) : null;
  const points = readings.slice(1).map((r, i) => ({
    t: Math.round(r.t - t0),
    cpu: percent(readings[i]!.cpu, r.cpu, r.t - readings[i]!.t),
  }));
  return { average: percent(p.cpuStart, p.cpuEnd, snap.windowMs - t0), points };
}

async function collectWindows(input: CollectorInput): Promise<ProcessesFacts> {
  input.source('command', POWERSHELL_SOURCE);
  const startedAt = input.ctx.now();
  const snap = await windowsSnapshot(input);
  const listed: ListedProcess[] = snap.processes.map((p) => ({
    pid: p.pid,
    ppid: p.ppid,
    name: p.name,
    path: p.path,
    command: p.commandLine,
  }));
  const { scope, ignored } = await select(input, listed);
  const inScope = new Set(selectTracker(listed, scope, 'win32').tracker.map((p) => p.pid));
  const measured = snap.processes
    .filter((p) => inScope.has(p.pid))
    .map((p) => ({ p, cpu: windowsSeries(snap, p) }));
  const tracker = measured.map(({ p, cpu }): TrackerProcess => ({
    pid: p.pid,
    ppid: p.ppid,
    name: p.name,
    role: classifyRole(p.name, p.commandLine),
    path: p.path,
    command: p.commandLine,
    version: p.version,
    cpuPercent: cpu.average,
  }));
  const series = measured.map(({ cpu }, i) => ({
    pid: tracker[i]!.pid,
    name: tracker[i]!.name,
    role: tracker[i]!.role,
    points: cpu.points,
  }));
  const intervals = Math.max(1, snap.cpuSamples.length + 1);
  return {
    windowSec: round2((snap.windowMs - snap.sample1At) / 1000),
    cores: snap.cores,
    method:
      'Win32_Process UserModeTime+KernelModeTime at both ends of the window, Get-Process TotalProcessorTime in between',
    tracker,
    scope,
    ignored,
    samples: {
      startedAt: new Date(startedAt).toISOString(),
      intervalMs: Math.round((snap.windowMs - snap.sample1At) / intervals),
      series,
    },
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
