/**
 * Installed and active security products, whether the tracker is excluded from scanning where that
 * can be read, and upload errors in the tracker's logs that point at a filter in the way.
 * Windows: SecurityCenter2 AntiVirusProduct (decoded productState), Defender status, exclusions and
 * its Operational-log events that name the tracker, all from the batched PowerShell call. macOS and Linux: known products' processes.
 * Everywhere: the tail of <data>/Upwork/Logs/*.log* for ECONNRESET, certificate errors, "blocked"
 * and proxy 403s on uploads.
 * Why: web shields and endpoint agents intercept TLS, reset uploads and block screen capture; the
 * tracker then sits in caching mode or uploads black screenshots.
 */
import { open } from 'node:fs/promises';
import path from 'node:path';
import { NotCollectedError, defineCollector } from '../core/collector.js';
import type { CollectorInput } from '../core/collector.js';
import { installCandidates, logsDir } from '../targets/paths.js';
import { listLogFiles } from './logs.js';
import { listProcesses } from './processes.js';
import { POWERSHELL_SOURCE, decodeProductState, windowsSnapshot } from './windows.js';
import type { DefenderEvent, DefenderExclusions, DefenderStatus } from './windows.js';

export interface SecurityProduct {
  name: string;
  /** Vendor name as the TLS-interceptor table spells it, when known. */
  vendor: string | null;
  source: 'securitycenter2' | 'process';
  /** on/off/snoozed/expired from productState; `running` when seen as a process. */
  state: 'on' | 'off' | 'snoozed' | 'expired' | 'unknown' | 'running';
  upToDate: boolean | null;
  productState: number | null;
  productStateHex: string | null;
  /** Product executable (Windows) or the matched process names (macOS, Linux). */
  evidence: string[];
}

export type ExclusionFacts =
  | (Extract<DefenderExclusions, { state: 'collected' }> & { coversTracker: boolean; matched: string[] })
  | Extract<DefenderExclusions, { state: 'not-collected' }>;

export type UploadErrorKind = 'tls' | 'reset' | 'blocked' | 'proxy-403';

export interface UploadErrors {
  logsDir: string;
  filesScanned: string[];
  counts: Record<UploadErrorKind, number>;
  /** Up to five matching lines, newest files first, each cut to 240 characters. */
  samples: { file: string; kind: UploadErrorKind; line: string }[];
}

export interface SecurityFacts {
  products: SecurityProduct[];
  /** Windows only: SecurityCenter2 could not be read (Windows Server has no SecurityCenter2). */
  productsError: string | null;
  defender: DefenderStatus | null;
  /** Windows only; null elsewhere. */
  exclusions: ExclusionFacts | null;
  /**
   * Windows only (null elsewhere): Defender detections (1116/1117), ASR (1121/1122) and Controlled
   * Folder Access (1123/1124) events of the last 14 days that name the tracker.
   */
  defenderEvents: DefenderEvent[] | { error: string } | null;
  uploadErrors: UploadErrors;
}

declare module '../core/facts.js' {
  interface FactMap {
    security: SecurityFacts;
  }
}

// ---------- pure parts ----------

/** Vendor from a product's display name (Windows Security Center). */
const VENDORS: [RegExp, string][] = [
  [/Windows Defender|Microsoft Defender/i, 'Microsoft'],
  [/\bAVG\b/i, 'AVG'],
  [/Avast/i, 'Avast'],
  [/Kaspersky/i, 'Kaspersky'],
  [/\bESET\b/i, 'ESET'],
  [/Bitdefender/i, 'Bitdefender'],
  [/Norton|Symantec/i, 'Norton'],
  [/McAfee|Trellix/i, 'McAfee'],
  [/Sophos/i, 'Sophos'],
  [/Trend ?Micro/i, 'Trend Micro'],
  [/Webroot/i, 'Webroot'],
  [/Malwarebytes/i, 'Malwarebytes'],
  [/CrowdStrike|Falcon/i, 'CrowdStrike'],
  [/Zscaler/i, 'Zscaler'],
];

export function vendorOf(name: string): string | null {
  return VENDORS.find(([re]) => re.test(name))?.[1] ?? null;
}

/** Known products' process names on macOS and Linux (exact names, case-insensitive). */
export const KNOWN_PROCESSES: { product: string; vendor: string; names: RegExp }[] = [
  {
    product: 'Microsoft Defender for Endpoint',
    vendor: 'Microsoft',
    names: /^(wdavdaemon|wdavdaemon_unprivileged|wdavdaemon_enterprise)$/i,
  },
  { product: 'Norton', vendor: 'Norton', names: /^(NortonDaemon|SymDaemon|NortonSecurity)$/i },
  { product: 'McAfee / Trellix', vendor: 'McAfee', names: /^(masvc|macmnsvc|mfetpd|McAfee Agent)$/i },
  { product: 'Kaspersky', vendor: 'Kaspersky', names: /^(AVP|kav|kesl|klnagent)$/i },
  { product: 'Avast', vendor: 'Avast', names: /^(com\.avast\.daemon|AvastUI|avast)$/i },
  { product: 'AVG', vendor: 'AVG', names: /^(AVGDaemon|com\.avg\.daemon)$/i },
  {
    product: 'Bitdefender',
    vendor: 'Bitdefender',
    names: /^(BitdefenderAgent|bdservicehost|bdsecd|bdsec)$/i,
  },
  { product: 'ESET', vendor: 'ESET', names: /^(esets_daemon|eset_service|esets_proxy|ERAAgent)$/i },
  {
    product: 'Sophos',
    vendor: 'Sophos',
    names: /^(SophosScanD|SophosServiceManager|sophos_threat_detector|mcsrouter)$/i,
  },
  {
    product: 'CrowdStrike Falcon',
    vendor: 'CrowdStrike',
    names: /^(falcond|falcon-sensor|com\.crowdstrike\.falcon\.Agent)$/i,
  },
  { product: 'ClamAV', vendor: 'ClamAV', names: /^(clamd|freshclam|clamonacc)$/i },
];

export function productsFromProcessNames(names: readonly string[]): SecurityProduct[] {
  const out: SecurityProduct[] = [];
  for (const k of KNOWN_PROCESSES) {
    const hits = [...new Set(names.filter((n) => k.names.test(n)))].sort();
    if (hits.length === 0) continue;
    out.push({
      name: k.product,
      vendor: k.vendor,
      source: 'process',
      state: 'running',
      upToDate: null,
      productState: null,
      productStateHex: null,
      evidence: hits,
    });
  }
  return out;
}

export function productsFromSecurityCenter(
  list: readonly { displayName: string; productState: number; pathToSignedProductExe: string | null }[],
): SecurityProduct[] {
  return list.map((a) => {
    const d = decodeProductState(a.productState);
    return {
      name: a.displayName,
      vendor: vendorOf(a.displayName),
      source: 'securitycenter2',
      state: d.state,
      upToDate: d.upToDate,
      productState: a.productState,
      productStateHex: d.hex,
      evidence: a.pathToSignedProductExe ? [a.pathToSignedProductExe] : [],
    };
  });
}

/** Whether a Defender exclusion covers one of the tracker's folders or its process. */
export function exclusionCoversTracker(
  ex: { paths: readonly string[]; processes: readonly string[] },
  trackerDirs: readonly string[],
): { coversTracker: boolean; matched: string[] } {
  const norm = (s: string) => s.replace(/\//g, '\\').replace(/\\+$/, '').toLowerCase();
  const matched: string[] = [];
  for (const p of ex.paths) {
    const e = norm(p);
    if (trackerDirs.some((d) => norm(d) === e || norm(d).startsWith(`${e}\\`))) matched.push(p);
  }
  for (const p of ex.processes) if (/upwork/i.test(p)) matched.push(p);
  return { coversTracker: matched.length > 0, matched };
}

/**
 * Error words a failing upload leaves in a log line. Not verified against the real app's upload
 * lines (their wording is not public): these are Node/Chromium network error names and common
 * proxy answers, so a real line may be missed, and a match is evidence, never proof.
 */
const PATTERNS: [UploadErrorKind, RegExp, RegExp | null][] = [
  [
    'tls',
    /certificate|CERT_[A-Z_]+|self[- ]signed|unable to (get|verify) (local issuer|the first certificate)|ERR_SSL|SSL routines/i,
    null,
  ],
  ['reset', /ECONNRESET|socket hang up|ERR_CONNECTION_RESET/i, null],
  ['blocked', /\bblocked\b|ERR_BLOCKED/i, /upload|request|https?:\/\//i],
  ['proxy-403', /\b403\b/, /proxy|forbidden|upload/i],
];

/** Classify log lines; the "also" pattern keeps generic words tied to network activity. */
export function scanLogText(text: string): { kind: UploadErrorKind; line: string }[] {
  const out: { kind: UploadErrorKind; line: string }[] = [];
  for (const line of text.split('\n')) {
    for (const [kind, re, also] of PATTERNS) {
      if (re.test(line) && (!also || also.test(line))) {
        out.push({ kind, line: line.trim().slice(0, 240) });
        break;
      }
    }
  }
  return out;
}

// ---------- collection ----------

const TAIL_BYTES = 256 * 1024;
const MAX_FILES = 10;

async function tail(file: string): Promise<string> {
  const fh = await open(file, 'r');
  try {
    const { size } = await fh.stat();
    const len = Math.min(size, TAIL_BYTES);
    const buf = Buffer.alloc(len);
    await fh.read(buf, 0, len, size - len);
    return buf.toString('utf8');
  } finally {
    await fh.close();
  }
}

export async function scanLogs(dir: string): Promise<UploadErrors> {
  const result: UploadErrors = {
    logsDir: dir,
    filesScanned: [],
    counts: { tls: 0, reset: 0, blocked: 0, 'proxy-403': 0 },
    samples: [],
  };
  // Newest first by the day in the name (daily files), so the scan covers the latest days.
  const newest = (await listLogFiles(dir)).files.slice(0, MAX_FILES).map((f) => ({ file: f.path }));
  for (const f of newest) {
    let text: string;
    try {
      text = await tail(f.file);
    } catch {
      continue;
    }
    result.filesScanned.push(f.file);
    for (const m of scanLogText(text)) {
      result.counts[m.kind]++;
      if (result.samples.length < 5) result.samples.push({ file: f.file, ...m });
    }
  }
  return result;
}

async function collectWindows(input: CollectorInput): Promise<Omit<SecurityFacts, 'uploadErrors'>> {
  input.source('command', POWERSHELL_SOURCE);
  const snap = await windowsSnapshot(input);
  const products = Array.isArray(snap.antivirus) ? productsFromSecurityCenter(snap.antivirus) : [];
  const trackerDirs = [
    ...snap.uninstall.map((u) => u.installLocation).filter((s): s is string => Boolean(s)),
    ...installCandidates(input.ctx),
    input.target.dataDir,
  ];
  const exclusions: ExclusionFacts =
    snap.exclusions.state === 'collected'
      ? { ...snap.exclusions, ...exclusionCoversTracker(snap.exclusions, trackerDirs) }
      : snap.exclusions;
  return {
    products,
    productsError: Array.isArray(snap.antivirus) ? null : snap.antivirus.error,
    defender: 'error' in snap.defender ? null : snap.defender,
    exclusions,
    defenderEvents: snap.defenderEvents,
  };
}

async function collectPosix(input: CollectorInput): Promise<Omit<SecurityFacts, 'uploadErrors'>> {
  input.source(
    'command',
    input.ctx.platform === 'darwin' ? 'ps -axww -o pid=,ppid=,time=,comm=' : 'ps (ps-list)',
  );
  const procs = await listProcesses(input);
  return {
    products: productsFromProcessNames(procs.map((p) => p.name)),
    productsError: null,
    defender: null,
    exclusions: null,
    defenderEvents: null,
  };
}

export const securityCollector = defineCollector({
  key: 'security',
  scope: 'world',
  title: 'security products and upload errors',
  timeoutMs: 45_000,
  async collect(input) {
    const { ctx, target, source } = input;
    if (!['win32', 'darwin', 'linux'].includes(ctx.platform))
      throw new NotCollectedError('not-applicable', `security products are not looked up on ${ctx.platform}`);
    const dir = logsDir(target.dataDir, ctx.platform);
    source('file', path.join(dir, '*.log*'));
    const [part, uploadErrors] = await Promise.all([
      ctx.platform === 'win32' ? collectWindows(input) : collectPosix(input),
      scanLogs(dir),
    ]);
    return { ...part, uploadErrors };
  },
});
