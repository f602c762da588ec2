/**
 * Windows: ONE batched PowerShell call for every system fact the collectors need: the proxy
 * settings (WinINET, netsh winhttp), the time service (w32tm, W32Time parameters), the TLS settings
 * (SecureProtocols, SCHANNEL keys, root store), Uninstall keys in the 64-bit, 32-bit and per-user
 * hives, SecurityCenter2 antivirus products, Defender status, exclusions and events, and the
 * tracker's processes sampled for CPU across the window (a full Win32_Process listing at both ends,
 * the cheap Get-Process CPU times every interval in between). Why one call: PowerShell takes 1-3 s to start and CIM
 * queries are CPU-heavy, so starting it once per collector would slow the run and skew the very CPU
 * numbers we measure.
 *
 * Every section sits in its own try/catch so one failing query never loses the others. The CPU
 * window is the last section; since ctx.exec answers only when the process ends, the proxy, clock
 * and TLS collectors wait for it too (at most the CPU window longer than their own call took).
 *
 * The call is memoised per run and CPU window; the parsers below are pure and are tested on
 * recorded outputs (fixtures/os/win32/).
 */
import type { CollectorInput, RunOptions } from '../core/collector.js';
import { NotCollectedError } from '../core/collector.js';
import type { Context } from '../core/context.js';

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

export interface WinCpuSample {
  t: number;
  cpu: Map<number, number | null>;
}

/** One network-side section of the batch, as the script emitted it; each collector parses its own. */
export type BatchSection =
  { state: 'ok'; json: Record<string, unknown> } | { state: 'error'; message: string };

export const NETWORK_SECTIONS = ['proxySettings', 'timeService', 'tlsSettings'] as const;
export type NetworkSectionKey = (typeof NETWORK_SECTIONS)[number];

export interface WindowsSnapshot {
  proxySettings: BatchSection;
  timeService: BatchSection;
  tlsSettings: BatchSection;
  uninstall: UninstallEntry[];
  antivirus: AntivirusProduct[] | { error: string };
  defender: DefenderStatus | { error: string };
  exclusions: DefenderExclusions;
  defenderEvents: DefenderEvent[] | { error: string };
  processes: WinProcessSample[];
  /** Stopwatch time when the first listing was taken, ms (0 in recordings from before it was kept). */
  sample1At: number;
  /** CPU times read between the two listings: stopwatch time and pid → 100 ns units (null: unreadable). */
  cpuSamples: WinCpuSample[];
  /** Stopwatch time after the second listing, ms. */
  windowMs: number;
  cores: number;
}

export const SCHANNEL_PROTOCOLS = ['SSL 3.0', 'TLS 1.0', 'TLS 1.1', 'TLS 1.2', 'TLS 1.3'] as const;

/** Each section stores its object, or `<name>Error` with the exception text. */
const section = (name: string, body: string) => `try{${body}}catch{$o.${name}Error=$_.Exception.Message}`;

/** WinINET values (never credentials) and the machine-wide WinHTTP proxy. */
const PROXY_SECTION = section(
  'proxySettings',
  [
    "$is=Get-ItemProperty -Path 'HKCU:\\Software\\Microsoft\\Windows\\CurrentVersion\\Internet Settings'",
    "$cs=(Get-ItemProperty -Path 'HKCU:\\Software\\Microsoft\\Windows\\CurrentVersion\\Internet Settings\\Connections').DefaultConnectionSettings",
    '$blob=if($cs){[Convert]::ToBase64String($cs)}else{$null}',
    '$wh=(& netsh.exe winhttp show proxy) -join "`n"',
    '$o.proxySettings=[ordered]@{wininet=[ordered]@{ProxyEnable=$is.ProxyEnable;ProxyServer=$is.ProxyServer;ProxyOverride=$is.ProxyOverride;AutoConfigURL=$is.AutoConfigURL;DefaultConnectionSettings=$blob};winhttp=$wh}',
  ].join(';'),
);

/** `w32tm /query /status` text plus the W32Time Parameters values. */
const CLOCK_SECTION = section(
  'timeService',
  [
    '$st=(& w32tm.exe /query /status 2>&1) -join "`n"',
    "$tp=Get-ItemProperty -Path 'HKLM:\\SYSTEM\\CurrentControlSet\\Services\\W32Time\\Parameters'",
    '$o.timeService=[ordered]@{status=$st;type=$tp.Type;ntpServer=$tp.NtpServer}',
  ].join(';'),
);

/** SecureProtocols (user and policies), SCHANNEL client keys, the OS root store as base64 DER. */
const TLS_SECTION = [
  'function V($k,$n){$p=Get-ItemProperty -Path $k -Name $n; if($p){[int64]$p.$n}else{$null}}',
  section(
    'tlsSettings',
    [
      "$tis='Software\\Microsoft\\Windows\\CurrentVersion\\Internet Settings'",
      "$tpol='SOFTWARE\\Policies\\Microsoft\\Windows\\CurrentVersion\\Internet Settings'",
      `$sc=[ordered]@{};foreach($n in @(${SCHANNEL_PROTOCOLS.map((n) => `'${n}'`).join(',')})){$k="HKLM:\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL\\Protocols\\$n\\Client";$sc[$n]=[ordered]@{enabled=(V $k 'Enabled');disabledByDefault=(V $k 'DisabledByDefault')}}`,
      '$roots=@(Get-ChildItem Cert:\\LocalMachine\\Root, Cert:\\CurrentUser\\Root | ForEach-Object {[Convert]::ToBase64String($_.RawData)})',
      '$o.tlsSettings=[ordered]@{secureProtocols=[ordered]@{user=(V "HKCU:\\$tis" SecureProtocols);policyUser=(V "HKCU:\\$tpol" SecureProtocols);policyMachine=(V "HKLM:\\$tpol" SecureProtocols)};schannel=$sc;roots=$roots}',
    ].join(';'),
  ),
].join('\n');

const HEADER = [
  "$ErrorActionPreference='SilentlyContinue'",
  "$ProgressPreference='SilentlyContinue'",
  '[Console]::OutputEncoding=[Text.Encoding]::UTF8',
  '$o=[ordered]@{schema=1}',
];
const FOOTER = '$o | ConvertTo-Json -Depth 6 -Compress';

/**
 * Between the two listings, the tracker's CPU times every interval (as Linux and macOS sample), so
 * the report's chart and the verdict see the window and not only its two ends. Get-Process is used
 * there because a CIM query per interval would cost the very CPU being measured; its
 * TotalProcessorTime is the same kernel counter as UserModeTime+KernelModeTime (100 ns ticks). A
 * fixed number of steps bounds the loop; the last sleep makes up the rest of the window.
 */
export function cpuSampling(windowMs: number): string[] {
  const w = Math.max(0, Math.round(windowMs));
  const interval = cpuIntervalMs(w, 250);
  const steps = Math.max(0, Math.ceil(w / interval) - 1);
  return [
    `$o.cpuSamples=@(for($i=1;$i -le ${steps};$i++){Start-Sleep -Milliseconds ${interval};[ordered]@{t=$sw.ElapsedMilliseconds;cpu=@(Get-Process -Name 'Upwork*' -ErrorAction SilentlyContinue | ForEach-Object {[ordered]@{ProcessId=$_.Id;Cpu=$(if($_.TotalProcessorTime){$_.TotalProcessorTime.Ticks}else{$null})}})}})`,
    `$left=${w}-($sw.ElapsedMilliseconds-$o.sample1At);if($left -gt 0){Start-Sleep -Milliseconds $left}`,
  ];
}

/**
 * The script; only integers are interpolated into it (never user input). `proxy` is the proxy
 * section alone, for a command that needs nothing else (the network command).
 */
export function windowsScript(windowMs: number, scope: 'run' | 'proxy' = 'run'): string {
  if (scope === 'proxy') return [...HEADER, PROXY_SECTION, FOOTER].join('\n');
  const roots = UNINSTALL_ROOTS.map((r) => `@{s='${r.scope}';p='${r.path}'}`).join(',');
  return [
    ...HEADER,
    // The sections the network collectors need come first, the CPU window last.
    PROXY_SECTION,
    CLOCK_SECTION,
    TLS_SECTION,
    `$o.uninstall=@(foreach($r in @(${roots})){Get-ChildItem -Path $r.p | ForEach-Object { $p=Get-ItemProperty -LiteralPath $_.PSPath; if($p.DisplayName -match 'Upwork' -and $p.SystemComponent -ne 1){ [ordered]@{scope=$r.s;key=$_.Name;DisplayName=$p.DisplayName;DisplayVersion=$p.DisplayVersion;Publisher=$p.Publisher;InstallLocation=$p.InstallLocation;UninstallString=$p.UninstallString;InstallDate=$p.InstallDate;locationExists=$(if($p.InstallLocation){Test-Path -LiteralPath $p.InstallLocation}else{$null})} } }})`,
    'try{$o.antivirus=@(Get-CimInstance -Namespace root/SecurityCenter2 -ClassName AntiVirusProduct -ErrorAction Stop | ForEach-Object {[ordered]@{displayName=$_.displayName;productState=$_.productState;pathToSignedProductExe=$_.pathToSignedProductExe;timestamp=$_.timestamp}})}catch{$o.antivirusError=$_.Exception.Message}',
    'try{$m=Get-MpComputerStatus -ErrorAction Stop;$o.defender=[ordered]@{AMRunningMode=$m.AMRunningMode;AntivirusEnabled=$m.AntivirusEnabled;RealTimeProtectionEnabled=$m.RealTimeProtectionEnabled}}catch{$o.defenderError=$_.Exception.Message}',
    'try{$x=Get-MpPreference -ErrorAction Stop;$o.exclusions=[ordered]@{ExclusionPath=@($x.ExclusionPath);ExclusionProcess=@($x.ExclusionProcess)}}catch{$o.exclusionsError=$_.Exception.Message}',
    `try{$o.defenderEvents=@(Get-WinEvent -FilterHashtable @{LogName='Microsoft-Windows-Windows Defender/Operational';Id=@(${DEFENDER_EVENT_IDS.join(',')});StartTime=(Get-Date).AddDays(-30)} -MaxEvents 500 -ErrorAction Stop | Where-Object {$_.Message -match 'Upwork'} | Select-Object -First 20 | ForEach-Object {[ordered]@{Id=$_.Id;TimeCreated=$_.TimeCreated.ToUniversalTime().ToString('o');Message=$(if($_.Message){$_.Message.Substring(0,[Math]::Min(400,$_.Message.Length))}else{''})}})}catch{$o.defenderEventsError=$_.Exception.Message}`,
    'function Snap{@(Get-CimInstance Win32_Process -Filter "Name LIKE \'Upwork%\'" | ForEach-Object {[ordered]@{ProcessId=$_.ProcessId;ParentProcessId=$_.ParentProcessId;Name=$_.Name;ExecutablePath=$_.ExecutablePath;CommandLine=$_.CommandLine;Cpu=([int64]$_.UserModeTime+[int64]$_.KernelModeTime);Version=$(if($_.ExecutablePath){(Get-Item -LiteralPath $_.ExecutablePath).VersionInfo.ProductVersion}else{$null})}})}',
    '$sw=[Diagnostics.Stopwatch]::StartNew()',
    '$o.sample1=Snap',
    '$o.sample1At=$sw.ElapsedMilliseconds',
    ...cpuSampling(windowMs),
    '$o.sample2=Snap',
    '$o.windowMs=$sw.ElapsedMilliseconds',
    '$o.cores=[Environment]::ProcessorCount',
    FOOTER,
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

/** The CPU times read between the listings; a sample without its time is dropped. */
export function parseCpuSamples(v: unknown): WinCpuSample[] {
  return toArray(v).flatMap((raw) => {
    const t = num((raw as Json).t);
    if (t === null) return [];
    const cpu = new Map<number, number | null>();
    for (const p of toArray((raw as Json).cpu)) {
      const pid = num((p as Json).ProcessId);
      if (pid !== null) cpu.set(pid, num((p as Json).Cpu));
    }
    return [{ t, cpu }];
  });
}

export function parseSection(o: Json, name: NetworkSectionKey): BatchSection {
  const err = o[`${name}Error`];
  if (typeof err === 'string') return { state: 'error', message: err.trim() };
  const v = o[name];
  return v && typeof v === 'object' && !Array.isArray(v)
    ? { state: 'ok', json: v as Json }
    : { state: 'error', message: `PowerShell returned no ${name}` };
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
    proxySettings: parseSection(o, 'proxySettings'),
    timeService: parseSection(o, 'timeService'),
    tlsSettings: parseSection(o, 'tlsSettings'),
    uninstall: parseUninstallJson(o.uninstall),
    antivirus,
    defender,
    exclusions: parseExclusions(o),
    defenderEvents: parseDefenderEvents(o),
    processes: parseSamples(o),
    sample1At: num(o.sample1At) ?? 0,
    cpuSamples: parseCpuSamples(o.cpuSamples),
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
  'powershell.exe -NoProfile -EncodedCommand <Internet Settings, netsh winhttp, w32tm, SCHANNEL, root store, Uninstall keys, SecurityCenter2 AntiVirusProduct, Get-MpComputerStatus, Get-MpPreference, Get-WinEvent Defender/Operational, Win32_Process x2 with Get-Process CPU times between>';

/**
 * Keyed by the run's options object, which the runner hands to every collector of one run: a
 * re-check after a fix is a new run and must not see the old snapshot.
 */
const memo = new WeakMap<object, Map<number, Promise<WindowsSnapshot>>>();

/**
 * The batch a Context's latest run started, for callers that get no run options (the service probe's
 * proxy decision): they join that run's call instead of starting their own.
 */
const latestRun = new WeakMap<Context, { p: Promise<WindowsSnapshot>; windowMs: number }>();

/** Without a run (the network command): the proxy section alone, once per Context. */
const proxyOnly = new WeakMap<Context, Promise<WindowsSnapshot>>();

/** Samples per window: short enough to show a spike, long enough for the OS's CPU-time counters. */
export function cpuIntervalMs(windowMs: number, minMs: number): number {
  return Math.min(1000, Math.max(minMs, Math.round(windowMs / 12)));
}

export function cpuWindowMs(options: CollectorInput['options']): number {
  const sec = typeof options.cpuWindowSec === 'number' && options.cpuWindowSec > 0 ? options.cpuWindowSec : 3;
  return Math.round(sec * 1000);
}

async function runPowerShell(ctx: Context, script: string, timeoutMs: number): Promise<WindowsSnapshot> {
  const encoded = Buffer.from(script, 'utf16le').toString('base64');
  const r = await ctx.exec(POWERSHELL, [...POWERSHELL_ARGS, encoded], { timeoutMs });
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
  let p = byWindow.get(windowMs);
  if (!p) {
    p = runPowerShell(ctx, windowsScript(windowMs), windowMs + 20_000);
    byWindow.set(windowMs, p);
  }
  latestRun.set(ctx, { p, windowMs });
  return p;
}

/**
 * One network-side section of the batch, for the proxy, clock and TLS collectors. With the run's
 * options it is that run's batch (started here if nobody has yet: call this before anything that
 * reads the proxy, so the service probe joins the same call); without, the batch this Context's run
 * already started, else a proxy-only call. The wait is bounded by `waitMs` (what these collectors
 * allowed their own PowerShell call) plus the CPU window the batch sleeps through, so they are never
 * slowed down by more than that window. Throws NotCollectedError (timeout, or error with
 * PowerShell's words) when the section is not there.
 */
export function windowsSection(
  ctx: Context,
  name: NetworkSectionKey,
  options: RunOptions | undefined,
  waitMs: number,
): Promise<Record<string, unknown>> {
  let run: { p: Promise<WindowsSnapshot>; windowMs: number };
  if (options) {
    const p = windowsSnapshot({ ctx, options });
    run = { p, windowMs: cpuWindowMs(options) };
  } else {
    const latest = latestRun.get(ctx);
    if (latest) run = latest;
    else {
      let p = proxyOnly.get(ctx);
      if (!p) proxyOnly.set(ctx, (p = runPowerShell(ctx, windowsScript(0, 'proxy'), waitMs)));
      run = { p, windowMs: 0 };
    }
  }
  const limit = waitMs + run.windowMs;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new NotCollectedError('timeout', `PowerShell did not answer within ${limit / 1000} s`)),
      limit,
    );
    timer.unref();
  });
  return Promise.race([run.p, late])
    .then((snap) => {
      const sec = snap[name];
      if (sec.state === 'error') throw new NotCollectedError('error', `PowerShell: ${sec.message}`);
      return sec.json;
    })
    .finally(() => clearTimeout(timer));
}
