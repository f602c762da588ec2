/**
 * Windows: ONE batched PowerShell call for every system fact the installs, processes and security
 * collectors need (Uninstall keys in the 64-bit, 32-bit and per-user hives, SecurityCenter2
 * antivirus products, Defender status and exclusions, and the tracker's processes sampled twice for
 * CPU). Why one call: PowerShell takes 1-3 s to start and CIM queries are CPU-heavy, so starting it
 * once per collector would slow the run and skew the very CPU numbers we measure.
 *
 * The call is memoised per run and CPU window; the parsers below are pure and are tested on
 * recorded outputs (fixtures/os/win32/).
 */
import type { CollectorInput } from '../core/collector.js';
import { NotCollectedError } from '../core/collector.js';

export const UNINSTALL_ROOTS = [
  { scope: 'machine-64', path: 'HKLM:\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall' },
  {
    scope: 'machine-32',
    path: 'HKLM:\\SOFTWARE\\WOW6432Node\\Microsoft\\Windows\\CurrentVersion\\Uninstall',
  },
  { scope: 'user', path: 'HKCU:\\Software\\Microsoft\\Windows\\CurrentVersion\\Uninstall' },
] as const;

export type UninstallScope = (typeof UNINSTALL_ROOTS)[number]['scope'];

export interface UninstallEntry {
  scope: UninstallScope;
  /** Full registry key, e.g. HKEY_LOCAL_MACHINE\SOFTWARE\...\Uninstall\{GUID}. */
  key: string;
  displayName: string;
  displayVersion: string | null;
  publisher: string | null;
  installLocation: string | null;
  uninstallString: string | null;
  installDate: string | null;
  /** Whether InstallLocation exists on disk; null when the entry names none. */
  locationExists: boolean | null;
}

export interface AntivirusProduct {
  displayName: string;
  productState: number;
  pathToSignedProductExe: string | null;
  timestamp: string | null;
}

export interface DefenderStatus {
  amRunningMode: string | null;
  antivirusEnabled: boolean | null;
  realTimeProtectionEnabled: boolean | null;
}

export type DefenderExclusions =
  | { state: 'collected'; paths: string[]; processes: string[] }
  | { state: 'not-collected'; reason: 'needs-admin' | 'error'; message: string };

/** Defender events that name the tracker (detections, ASR and Controlled Folder Access blocks). */
export interface DefenderEvent {
  id: number;
  time: string | null;
  /** The first 400 characters of the event message. */
  message: string;
}

export const DEFENDER_EVENT_IDS = [1116, 1117, 1121, 1122, 1123, 1124] as const;

export interface WinProcessSample {
  pid: number;
  ppid: number | null;
  name: string;
  path: string | null;
  commandLine: string | null;
  version: string | null;
  /** UserModeTime + KernelModeTime at the start and end of the window, in 100 ns units. */
  cpuStart: number | null;
  cpuEnd: number | null;
}

export interface WindowsSnapshot {
  uninstall: UninstallEntry[];
  antivirus: AntivirusProduct[] | { error: string };
  defender: DefenderStatus | { error: string };
  exclusions: DefenderExclusions;
  defenderEvents: DefenderEvent[] | { error: string };
  processes: WinProcessSample[];
  /** Wall time between the two process samples, ms. */
  windowMs: number;
  cores: number;
}

/** The script; only integers are interpolated into it (never user input). */
export function windowsScript(windowMs: number): string {
  const roots = UNINSTALL_ROOTS.map((r) => `@{s='${r.scope}';p='${r.path}'}`).join(',');
  return [
    "$ErrorActionPreference='SilentlyContinue'",
    "$ProgressPreference='SilentlyContinue'",
    '[Console]::OutputEncoding=[Text.Encoding]::UTF8',
    '$o=[ordered]@{schema=1}',
    `$o.uninstall=@(foreach($r in @(${roots})){Get-ChildItem -Path $r.p | ForEach-Object { $p=Get-ItemProperty -LiteralPath $_.PSPath; if($p.DisplayName -match 'Upwork' -and $p.SystemComponent -ne 1){ [ordered]@{scope=$r.s;key=$_.Name;DisplayName=$p.DisplayName;DisplayVersion=$p.DisplayVersion;Publisher=$p.Publisher;InstallLocation=$p.InstallLocation;UninstallString=$p.UninstallString;InstallDate=$p.InstallDate;locationExists=$(if($p.InstallLocation){Test-Path -LiteralPath $p.InstallLocation}else{$null})} } }})`,
    'try{$o.antivirus=@(Get-CimInstance -Namespace root/SecurityCenter2 -ClassName AntiVirusProduct -ErrorAction Stop | ForEach-Object {[ordered]@{displayName=$_.displayName;productState=$_.productState;pathToSignedProductExe=$_.pathToSignedProductExe;timestamp=$_.timestamp}})}catch{$o.antivirusError=$_.Exception.Message}',
    'try{$m=Get-MpComputerStatus -ErrorAction Stop;$o.defender=[ordered]@{AMRunningMode=$m.AMRunningMode;AntivirusEnabled=$m.AntivirusEnabled;RealTimeProtectionEnabled=$m.RealTimeProtectionEnabled}}catch{$o.defenderError=$_.Exception.Message}',
    'try{$x=Get-MpPreference -ErrorAction Stop;$o.exclusions=[ordered]@{ExclusionPath=@($x.ExclusionPath);ExclusionProcess=@($x.ExclusionProcess)}}catch{$o.exclusionsError=$_.Exception.Message}',
    'function Snap{@(Get-CimInstance Win32_Process -Filter "Name LIKE \'Upwork%\'" | ForEach-Object {[ordered]@{ProcessId=$_.ProcessId;ParentProcessId=$_.ParentProcessId;Name=$_.Name;ExecutablePath=$_.ExecutablePath;CommandLine=$_.CommandLine;Cpu=([int64]$_.UserModeTime+[int64]$_.KernelModeTime);Version=$(if($_.ExecutablePath){(Get-Item -LiteralPath $_.ExecutablePath).VersionInfo.ProductVersion}else{$null})}})}',
    '$sw=[Diagnostics.Stopwatch]::StartNew()',
    '$o.sample1=Snap',
    `Start-Sleep -Milliseconds ${Math.max(0, Math.round(windowMs))}`,
    '$o.sample2=Snap',
    '$o.windowMs=$sw.ElapsedMilliseconds',
    '$o.cores=[Environment]::ProcessorCount',
    '$o | ConvertTo-Json -Depth 6 -Compress',
  ].join('\n');
}

type Json = Record<string, unknown>;

/** ConvertTo-Json writes a one-element collection as a bare object and an empty one as null. */
export function toArray(v: unknown): unknown[] {
  if (v === null || v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

const str = (v: unknown): string | null => (typeof v === 'string' && v.trim() !== '' ? v : null);
const num = (v: unknown): number | null =>
  typeof v === 'number' && Number.isFinite(v)
    ? v
    : typeof v === 'string' && /^\d+$/.test(v)
      ? Number(v)
      : null;
const bool = (v: unknown): boolean | null => (typeof v === 'boolean' ? v : null);

export function parseUninstallJson(list: unknown): UninstallEntry[] {
  const out: UninstallEntry[] = [];
  for (const raw of toArray(list)) {
    const e = raw as Json;
    const displayName = str(e.DisplayName);
    if (!displayName) continue;
    const scope = UNINSTALL_ROOTS.find((r) => r.scope === e.scope)?.scope ?? 'machine-64';
    out.push({
      scope,
      key: str(e.key) ?? '',
      displayName,
      displayVersion: str(e.DisplayVersion),
      publisher: str(e.Publisher),
      installLocation: str(e.InstallLocation),
      uninstallString: str(e.UninstallString),
      installDate: str(e.InstallDate),
      locationExists: bool(e.locationExists),
    });
  }
  return out;
}

/**
 * SecurityCenter2 productState, read as 0xAABBCC (undocumented; community consensus):
 * BB & 0xF0 is the run state (0x00 off, 0x10 on, 0x20 snoozed, 0x30 expired), CC is 0x00 when
 * signatures are up to date and 0x10 when out of date.
 */
export function decodeProductState(n: number): {
  state: 'off' | 'on' | 'snoozed' | 'expired' | 'unknown';
  upToDate: boolean;
  hex: string;
} {
  const run = (n >> 8) & 0xf0;
  const sig = n & 0xff;
  const state =
    run === 0x00
      ? 'off'
      : run === 0x10
        ? 'on'
        : run === 0x20
          ? 'snoozed'
          : run === 0x30
            ? 'expired'
            : 'unknown';
  return { state, upToDate: sig === 0x00, hex: `0x${n.toString(16).padStart(6, '0')}` };
}

/** Since Defender 4.18.23070 a standard user sees this placeholder instead of the exclusion list. */
const HIDDEN_EXCLUSIONS = /^N\/A:.*administrator/i;

export function parseExclusions(o: Json): DefenderExclusions {
  if (typeof o.exclusionsError === 'string') {
    return { state: 'not-collected', reason: 'error', message: o.exclusionsError };
  }
  const x = (o.exclusions ?? {}) as Json;
  const paths = toArray(x.ExclusionPath).filter((s): s is string => typeof s === 'string');
  const processes = toArray(x.ExclusionProcess).filter((s): s is string => typeof s === 'string');
  if ([...paths, ...processes].some((s) => HIDDEN_EXCLUSIONS.test(s))) {
    return {
      state: 'not-collected',
      reason: 'needs-admin',
      message: 'Windows hides Defender exclusions from standard users: run as administrator to read them',
    };
  }
  return { state: 'collected', paths, processes };
}

/** Get-WinEvent throws when nothing matches; that is an empty list, not an error. */
const NO_EVENTS = /No events were found/i;

export function parseDefenderEvents(o: Json): DefenderEvent[] | { error: string } {
  if (typeof o.defenderEventsError === 'string' && !NO_EVENTS.test(o.defenderEventsError)) {
    return { error: o.defenderEventsError.trim() };
  }
  return toArray(o.defenderEvents).flatMap((raw) => {
    const e = raw as Json;
    const id = num(e.Id);
    return id === null ? [] : [{ id, time: str(e.TimeCreated), message: str(e.Message) ?? '' }];
  });
}

function parseSamples(o: Json): WinProcessSample[] {
  const end = new Map<number, Json>();
  for (const raw of toArray(o.sample2)) {
    const p = raw as Json;
    const pid = num(p.ProcessId);
    if (pid !== null) end.set(pid, p);
  }
  const out: WinProcessSample[] = [];
  const seen = new Set<number>();
  // A process that started during the window has no start sample: its CPU is unknown, not zero.
  for (const raw of [...toArray(o.sample1), ...toArray(o.sample2)]) {
    const p = raw as Json;
    const pid = num(p.ProcessId);
    if (pid === null || seen.has(pid)) continue;
    seen.add(pid);
    const inFirst = toArray(o.sample1).some((q) => num((q as Json).ProcessId) === pid);
    const last = end.get(pid);
    out.push({
      pid,
      ppid: num(p.ParentProcessId),
      name: str(p.Name) ?? '',
      path: str(p.ExecutablePath),
      commandLine: str(p.CommandLine),
      version: str(p.Version),
      cpuStart: inFirst ? num(p.Cpu) : null,
      cpuEnd: last ? num(last.Cpu) : null,
    });
  }
  return out;
}

/** Parse the script's JSON output. Throws on anything that is not the script's object. */
export function parseWindowsSnapshot(stdout: string): WindowsSnapshot {
  const text = stdout.replace(/^\uFEFF/, '').trim();
  const o = JSON.parse(text) as Json;
  if (!o || typeof o !== 'object' || o.schema !== 1) throw new Error('unexpected PowerShell output');
  const antivirus =
    typeof o.antivirusError === 'string'
      ? { error: o.antivirusError }
      : toArray(o.antivirus).flatMap((raw) => {
          const a = raw as Json;
          const name = str(a.displayName);
          const state = num(a.productState);
          return name && state !== null
            ? [
                {
                  displayName: name,
                  productState: state,
                  pathToSignedProductExe: str(a.pathToSignedProductExe),
                  timestamp: str(a.timestamp),
                },
              ]
            : [];
        });
  const d = o.defender as Json | undefined;
  const defender =
    typeof o.defenderError === 'string' || !d
      ? { error: typeof o.defenderError === 'string' ? o.defenderError : 'no Defender status' }
      : {
          amRunningMode: str(d.AMRunningMode),
          antivirusEnabled: bool(d.AntivirusEnabled),
          realTimeProtectionEnabled: bool(d.RealTimeProtectionEnabled),
        };
  return {
    uninstall: parseUninstallJson(o.uninstall),
    antivirus,
    defender,
    exclusions: parseExclusions(o),
    defenderEvents: parseDefenderEvents(o),
    processes: parseSamples(o),
    windowMs: num(o.windowMs) ?? 0,
    cores: num(o.cores) ?? 1,
  };
}

export const POWERSHELL = 'powershell.exe';
export const POWERSHELL_ARGS = [
  '-NoProfile',
  '-NonInteractive',
  '-ExecutionPolicy',
  'Bypass',
  '-EncodedCommand',
];
/** How it is named in the facts' sources. */
export const POWERSHELL_SOURCE =
  'powershell.exe -NoProfile -EncodedCommand <Uninstall keys, SecurityCenter2 AntiVirusProduct, Get-MpComputerStatus, Get-MpPreference, Get-WinEvent Defender/Operational, Win32_Process x2>';

/**
 * Keyed by the run's options object, which the runner hands to every collector of one run: a
 * re-check after a fix is a new run and must not see the old snapshot.
 */
const memo = new WeakMap<object, Map<number, Promise<WindowsSnapshot>>>();

export function cpuWindowMs(options: CollectorInput['options']): number {
  const sec = typeof options.cpuWindowSec === 'number' && options.cpuWindowSec > 0 ? options.cpuWindowSec : 3;
  return Math.round(sec * 1000);
}

/**
 * The batched snapshot, run once per run and window. Throws NotCollectedError when PowerShell
 * cannot run or answers with something else.
 */
export function windowsSnapshot(input: Pick<CollectorInput, 'ctx' | 'options'>): Promise<WindowsSnapshot> {
  const { ctx } = input;
  const windowMs = cpuWindowMs(input.options);
  let byWindow = memo.get(input.options);
  if (!byWindow) memo.set(input.options, (byWindow = new Map()));
  const existing = byWindow.get(windowMs);
  if (existing) return existing;
  const p = (async () => {
    const encoded = Buffer.from(windowsScript(windowMs), 'utf16le').toString('base64');
    const r = await ctx.exec(POWERSHELL, [...POWERSHELL_ARGS, encoded], { timeoutMs: windowMs + 20_000 });
    if (r.timedOut) throw new NotCollectedError('timeout', 'PowerShell did not answer in time');
    if (r.code !== 0) {
      throw new NotCollectedError(
        'error',
        `PowerShell failed: ${(r.stderr || `exit ${r.code}`).trim().split('\n')[0]}`,
      );
    }
    try {
      return parseWindowsSnapshot(r.stdout);
    } catch (e) {
      throw new NotCollectedError(
        'error',
        `PowerShell output was not the expected JSON: ${(e as Error).message}`,
      );
    }
  })();
  byWindow.set(windowMs, p);
  return p;
}
