/**
 * Which running processes are the target's tracker: the Electron process model per OS
 * (research/real-app-facts.md) and the rule that a process belongs to the tracker only when its
 * executable lives in the target's install (or, on the reference engine, its pid is one the engine
 * recorded), plus every descendant of those. A process that merely has the app's name elsewhere
 * (another user's copy, a test's child, a download folder) is not the tracker: it is listed as
 * ignored so the report can say so, and it never drives the CPU verdict.
 *
 * Names: macOS `Upwork` with `Upwork Helper`, `Upwork Helper (GPU)`, `(Renderer)`, `(Plugin)`
 * (inference from Electron's conventions, not verified on the app); Windows `Upwork.exe` and its
 * `--type=…` children; Linux `upwork` and its `--type=…` children. Roles come from `--type=`
 * where the command line shows it, else from the macOS helper name.
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';

export type ProcessRole = 'app' | 'helper' | 'gpu' | 'renderer' | 'utility';

export interface ListedProcess {
  pid: number;
  ppid: number | null;
  name: string;
  path: string | null;
  command: string | null;
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

/** The role of an Electron process, from its `--type=` switch or (macOS) its helper bundle's name. */
export function classifyRole(name: string, command: string | null): ProcessRole {
  const n = baseName(name).toLowerCase();
  const type = /--type=([\w-]+)/.exec(command ?? '')?.[1];
  if (n.includes('(gpu)') || type === 'gpu-process') return 'gpu';
  if (n.includes('(renderer)') || type === 'renderer') return 'renderer';
  if (n.includes('(plugin)') || type === 'utility' || type === 'zygote') return 'utility';
  if (n.startsWith('upwork helper')) return 'helper';
  return type ? 'utility' : 'app';
}

/** The `X.app` bundle that holds a macOS executable (the outermost one). */
export function macBundleOf(p: string): string | undefined {
  const i = p.indexOf('.app/');
  return i < 0 ? undefined : p.slice(0, i + 4);
}

export interface ProcessScope {
  /** Install folders (macOS: app bundles) whose executables are the tracker's. */
  installDirs: string[];
  /** Pids the reference engine recorded (its Helper, its tracker). */
  enginePids: number[];
  /** How the scope was found, in words, for the report. */
  how: string[];
}

function inside(dir: string, file: string, platform: NodeJS.Platform): boolean {
  const p = platform === 'win32' ? path.win32 : path.posix;
  const norm = (s: string) => (platform === 'win32' ? s.toLowerCase() : s);
  const d = norm(p.normalize(dir)).replace(/[\\/]+$/, '');
  const f = norm(p.normalize(file));
  return f.startsWith(d + p.sep);
}

export interface Selection {
  tracker: ListedProcess[];
  /** Processes named like the tracker that are not the target's (shown in details, never measured). */
  ignored: ListedProcess[];
}

/**
 * The target's processes: roots (executable inside an install folder, or a recorded engine pid),
 * then their descendants by parent pid. Pure, so every OS's layout is tested anywhere.
 */
export function selectTracker(
  all: readonly ListedProcess[],
  scope: ProcessScope,
  platform: NodeJS.Platform,
): Selection {
  const chosen = new Set<number>();
  for (const p of all) {
    const fromInstall = p.path !== null && scope.installDirs.some((d) => inside(d, p.path!, platform));
    if (fromInstall || scope.enginePids.includes(p.pid)) chosen.add(p.pid);
  }
  // Descendants: bounded by the list's size, so a ppid loop cannot spin.
  for (let grew = true, rounds = 0; grew && rounds < all.length; rounds++) {
    grew = false;
    for (const p of all) {
      if (!chosen.has(p.pid) && p.ppid !== null && chosen.has(p.ppid)) {
        chosen.add(p.pid);
        grew = true;
      }
    }
  }
  const tracker = all.filter((p) => chosen.has(p.pid));
  const ignored = all.filter((p) => !chosen.has(p.pid) && looksLikeTracker(p));
  return { tracker, ignored };
}

/** Named like the tracker, by its name, executable or (titled processes) its command line. */
export function looksLikeTracker(p: ListedProcess): boolean {
  return (
    isTrackerName(p.name) ||
    (p.path !== null && isTrackerName(p.path)) ||
    (p.command !== null && isTrackerName(commandName(p.command)))
  );
}

/** The display name: a titled process (Electron's Helper, `process.title`) shows its title in its command. */
export function displayName(p: ListedProcess): string {
  if (isTrackerName(p.name)) return p.name;
  const titled = p.command ? commandName(p.command) : '';
  return isTrackerName(titled) ? titled : p.name;
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}

/**
 * Install folders of running copies not found by the usual locations (an AppImage mount, an
 * extracted archive, a second install): an Electron app's folder holds `resources/app.asar` beside
 * its executable (macOS: `Contents/Resources/app.asar` in the bundle). Only processes named like
 * the tracker are looked at; a name-alike without that layout stays outside the scope.
 */
export async function runningInstallDirs(
  all: readonly ListedProcess[],
  platform: NodeJS.Platform,
): Promise<string[]> {
  const dirs = new Set<string>();
  for (const p of all) {
    if (!p.path || !looksLikeTracker(p)) continue;
    const p2 = platform === 'win32' ? path.win32 : path.posix;
    const bundle = platform === 'darwin' ? macBundleOf(p.path) : undefined;
    const dir = bundle ?? p2.dirname(p.path);
    if (dirs.has(dir)) continue;
    const asar = bundle
      ? p2.join(bundle, 'Contents', 'Resources', 'app.asar')
      : p2.join(dir, 'resources', 'app.asar');
    if (await exists(asar)) dirs.add(dir);
  }
  return [...dirs];
}

/**
 * Pids the reference engine recorded in `<data>/engine/`: its Helper (helper.json) and tracker
 * (status.json). `selfPid` is left out: when the doctor runs the embedded engine in-process, the
 * tracker's pid is the doctor's own, whose CPU is the doctor's work, not the tracker's.
 */
export async function enginePids(dataDir: string, selfPid: number): Promise<number[]> {
  const pids: number[] = [];
  for (const name of ['helper.json', 'status.json']) {
    try {
      const pid = (
        JSON.parse(await readFile(path.join(dataDir, 'engine', name), 'utf8')) as { pid?: unknown }
      ).pid;
      if (typeof pid === 'number' && Number.isInteger(pid) && pid > 0 && pid !== selfPid) pids.push(pid);
    } catch {
      // no file, or not JSON: that process is not running (or not recorded)
    }
  }
  return pids;
}
