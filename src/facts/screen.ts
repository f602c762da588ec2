/**
 * Whether the tracker can capture the screen, and whether its recent screenshots are black.
 * macOS: the Screen Recording grant (`kTCCServiceScreenCapture`) read from the system TCC.db, which
 * needs Full Disk Access for the terminal running the doctor. Linux: X11 or Wayland (the real app
 * captures only in an Xorg session and has no portal or PipeWire path, research/real-app-facts.md,
 * so nothing about portals or PipeWire is gathered). Everywhere: the
 * pixels of the newest screenshots in the tracker's data folder (black = at least 98 % of pixels
 * under 10 % luma, FFmpeg blackdetect's defaults), PNG decoded with pngjs and JPEG with jpeg-js.
 * Why: without the permission (or on Wayland) the tracker uploads black or empty
 * screenshots, and clients may dispute the hours.
 */
import { open, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { defineCollector } from '../core/collector.js';
import type { CollectorInput } from '../core/collector.js';
import type { NotCollectedReason } from '../core/facts.js';

export const TCC_DB = '/Library/Application Support/com.apple.TCC/TCC.db';
export const TCC_SERVICE = 'kTCCServiceScreenCapture';

export interface TccRow {
  client: string;
  /** 0 bundle identifier, 1 absolute path. */
  clientType: number;
  /** Normalised to the 11+ scale: 0 denied, 1 unknown, 2 allowed, 3 limited. */
  authValue: number;
  authReason: number | null;
  lastModified: number | null;
}

export type MacPermission =
  | { state: 'collected'; db: string; schema: 'auth_value' | 'allowed'; rows: TccRow[] }
  | { state: 'not-collected'; db: string; reason: NotCollectedReason; message: string };

export interface LinuxSession {
  sessionType: 'x11' | 'wayland' | 'tty' | 'unknown';
  desktop: string | null;
}

export type ScreenshotVerdict = 'black' | 'blank' | 'ok' | 'unreadable' | 'not-analysed';

export interface ScreenshotInfo {
  file: string;
  /** ISO 8601. */
  modifiedAt: string;
  bytes: number;
  width: number | null;
  height: number | null;
  /** Share of sampled pixels under 10 % luma. */
  blackRatio: number | null;
  meanLuma: number | null;
  verdict: ScreenshotVerdict;
  /** Why the file was not judged ('unreadable' or 'not-analysed'); absent when it was. */
  reason?: string;
}

export interface ScreenFacts {
  macPermission: MacPermission | null;
  linuxSession: LinuxSession | null;
  screenshots: { folder: string; found: number; analysed: ScreenshotInfo[] };
}

declare module '../core/facts.js' {
  interface FactMap {
    screen: ScreenFacts;
  }
}

// ---------- pure parts ----------

/** `sqlite3 TCC.db 'PRAGMA table_info(access)'` → which schema: 11+ (auth_value) or 10.15 (allowed). */
export function tccSchema(pragmaOut: string): 'auth_value' | 'allowed' | undefined {
  const cols = pragmaOut
    .split('\n')
    .map((l) => l.split('|')[1])
    .filter(Boolean);
  if (cols.includes('auth_value')) return 'auth_value';
  if (cols.includes('allowed')) return 'allowed';
  return undefined;
}

export function tccQuery(schema: 'auth_value' | 'allowed'): string {
  const cols =
    schema === 'auth_value'
      ? 'client,client_type,auth_value,auth_reason,last_modified'
      : 'client,client_type,allowed,prompt_count,last_modified';
  return `SELECT ${cols} FROM access WHERE service='${TCC_SERVICE}'`;
}

/** Rows of `sqlite3` default list mode (`|`-separated), only the tracker's clients. */
export function parseTccRows(stdout: string, schema: 'auth_value' | 'allowed'): TccRow[] {
  const rows: TccRow[] = [];
  for (const line of stdout.split('\n')) {
    const f = line.trim().split('|');
    if (f.length < 5 || !/upwork/i.test(f[0]!)) continue;
    const v = Number(f[2]);
    const n = (s: string | undefined) =>
      s !== undefined && s !== '' && Number.isFinite(Number(s)) ? Number(s) : null;
    rows.push({
      client: f[0]!,
      clientType: Number(f[1]) || 0,
      // 10.15's `allowed` is 0/1; map it onto the 11+ scale so checks read one field.
      authValue: schema === 'allowed' ? (v === 1 ? 2 : 0) : v,
      authReason: schema === 'auth_value' ? n(f[3]) : null,
      lastModified: n(f[4]),
    });
  }
  return rows;
}

/** What sqlite3 says when macOS privacy protection stops it from opening TCC.db. */
export function isTccDenied(stderr: string): boolean {
  return /authorization denied|unable to open database|operation not permitted|not authorized/i.test(stderr);
}

export function detectSessionType(env: Record<string, string | undefined>): LinuxSession['sessionType'] {
  const t = (env.XDG_SESSION_TYPE ?? '').toLowerCase();
  if (t === 'x11' || t === 'wayland' || t === 'tty') return t;
  if (env.WAYLAND_DISPLAY) return 'wayland';
  if (env.DISPLAY) return 'x11';
  return 'unknown';
}

export const BLACK_LUMA = 0.1 * 255;
export const BLACK_RATIO = 0.98;

/**
 * Black or blank from decoded pixels (RGBA from pngjs, RGB from jpeg-js: `channels`), sampled on a
 * grid of at most ~65 000 points so a 4K screenshot costs the same as a small one.
 */
export function analysePixels(
  data: Uint8Array,
  width: number,
  height: number,
  channels: 3 | 4 = 4,
): { blackRatio: number; meanLuma: number; verdict: 'black' | 'blank' | 'ok' } {
  const step = Math.max(1, Math.floor(Math.sqrt((width * height) / 65_000)));
  let n = 0;
  let black = 0;
  let sum = 0;
  let sumSq = 0;
  const hist = new Uint32Array(256);
  for (let y = 0; y < height; y += step) {
    for (let x = 0; x < width; x += step) {
      const i = (y * width + x) * channels;
      const l = 0.299 * data[i]! + 0.587 * data[i + 1]! + 0.114 * data[i + 2]!;
      n++;
      sum += l;
      sumSq += l * l;
      if (l < BLACK_LUMA) black++;
      hist[Math.min(255, Math.round(l))]!++;
    }
  }
  if (n === 0) return { blackRatio: 0, meanLuma: 0, verdict: 'blank' };
  const mean = sum / n;
  const sd = Math.sqrt(Math.max(0, sumSq / n - mean * mean));
  const blackRatio = black / n;
  const dominant = Math.max(...hist) / n;
  const round = (v: number, d = 4) => Math.round(v * 10 ** d) / 10 ** d;
  const verdict = blackRatio >= BLACK_RATIO ? 'black' : sd <= 2 || dominant >= 0.995 ? 'blank' : 'ok';
  return { blackRatio: round(blackRatio), meanLuma: round(mean, 1), verdict };
}

// ---------- collection ----------

const IMAGE = /\.(png|jpe?g)$/i;
const MAX_ANALYSED = 10;
const MAX_ENTRIES = 20_000;
const MAX_BYTES = 25 * 1024 * 1024;
/**
 * jpeg-js limits, so a hostile or huge JPEG fails fast instead of exhausting memory: 40 MP covers an
 * 8K frame or several 4K monitors side by side; decoding that (component planes, the intermediate
 * and the RGB output) stays under 512 MB.
 */
export const JPEG_MAX_MP = 40;
export const JPEG_MAX_MEMORY_MB = 512;

const PNG_MAGIC = Buffer.from('89504e470d0a1a0a', 'hex');
const JPEG_MAGIC = Buffer.from('ffd8ff', 'hex');

type Decoded = { width: number; height: number; data: Uint8Array; channels: 3 | 4 };

/** Decodes by content, not by name: a tracker may well store a JPEG under a .png name. */
async function decodeImage(buf: Buffer): Promise<Decoded> {
  if (buf.subarray(0, 8).equals(PNG_MAGIC)) {
    const { PNG } = await import('pngjs');
    const png = PNG.sync.read(buf);
    return { width: png.width, height: png.height, data: png.data, channels: 4 };
  }
  if (buf.subarray(0, 3).equals(JPEG_MAGIC)) {
    const { decode } = await import('jpeg-js');
    // Strict decoding: tolerant mode skips blocks it cannot place instead of failing, and a damaged
    // file must come out unreadable rather than be judged on pixels that were never decoded.
    const jpg = decode(buf, {
      useTArray: true,
      formatAsRGBA: false,
      tolerantDecoding: false,
      maxResolutionInMP: JPEG_MAX_MP,
      maxMemoryUsageInMB: JPEG_MAX_MEMORY_MB,
    });
    return { width: jpg.width, height: jpg.height, data: jpg.data, channels: 3 };
  }
  throw new Error('neither a PNG nor a JPEG file');
}

/** Image files under the data folder, newest first; bounded so a huge folder cannot stall the run. */
async function findImages(
  root: string,
  signal: AbortSignal,
): Promise<{ file: string; mtimeMs: number; size: number }[]> {
  const found: { file: string; mtimeMs: number; size: number }[] = [];
  let seen = 0;
  // In the embedded engine's folder, server/ is the reference work-diary server's storage, not the
  // tracker's: its copies of uploaded screenshots must not be counted as the tracker's own.
  const isEngine = await stat(path.join(root, 'Upwork', 'Cache', 'FORMAT')).then(
    () => true,
    () => false,
  );
  const walk = async (dir: string, depth: number): Promise<void> => {
    if (depth > 8 || seen > MAX_ENTRIES || signal.aborted) return;
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      if (++seen > MAX_ENTRIES) return;
      const p = path.join(dir, e.name);
      // Logs are never images; skipping them saves time on large log folders.
      if (e.isDirectory() && e.name !== 'Logs' && !(isEngine && depth === 0 && e.name === 'server'))
        await walk(p, depth + 1);
      else if (e.isFile() && IMAGE.test(e.name)) {
        const st = await stat(p).catch(() => undefined);
        if (st) found.push({ file: p, mtimeMs: st.mtimeMs, size: st.size });
      }
    }
  };
  await walk(root, 0);
  return found.sort((a, b) => b.mtimeMs - a.mtimeMs);
}

async function analyseFile(f: { file: string; mtimeMs: number; size: number }): Promise<ScreenshotInfo> {
  const base: ScreenshotInfo = {
    file: f.file,
    modifiedAt: new Date(f.mtimeMs).toISOString(),
    bytes: f.size,
    width: null,
    height: null,
    blackRatio: null,
    meanLuma: null,
    verdict: 'not-analysed',
  };
  if (f.size > MAX_BYTES)
    return { ...base, reason: `larger than ${MAX_BYTES / 1024 / 1024} MB, not decoded` };
  try {
    const fh = await open(f.file, 'r');
    let buf: Buffer;
    try {
      buf = await fh.readFile();
    } finally {
      await fh.close();
    }
    const img = await decodeImage(buf);
    if (img.width * img.height * img.channels > img.data.length) throw new Error('truncated pixel data');
    const a = analysePixels(img.data, img.width, img.height, img.channels);
    return { ...base, width: img.width, height: img.height, ...a };
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    return { ...base, verdict: 'unreadable', reason: msg.split('\n')[0]!.slice(0, 200) || 'cannot decode' };
  }
}

async function macPermission(input: CollectorInput): Promise<MacPermission> {
  const { ctx, source } = input;
  const db = TCC_DB;
  source('command', `sqlite3 -readonly "${db}" "PRAGMA table_info(access)"`);
  const pragma = await ctx.exec('sqlite3', ['-readonly', db, 'PRAGMA table_info(access)'], {
    timeoutMs: 5_000,
  });
  const denied = (stderr: string): MacPermission => ({
    state: 'not-collected',
    db,
    reason: 'needs-full-disk-access',
    message: `cannot read ${db} (${stderr.trim().split('\n')[0] || 'denied'}): give your terminal Full Disk Access in System Settings > Privacy & Security, then run the doctor again`,
  });
  if (pragma.timedOut)
    return { state: 'not-collected', db, reason: 'timeout', message: 'sqlite3 did not answer in time' };
  if (pragma.code !== 0 || isTccDenied(pragma.stderr)) {
    if (pragma.code === null)
      return { state: 'not-collected', db, reason: 'error', message: 'sqlite3 is not available' };
    return denied(pragma.stderr);
  }
  const schema = tccSchema(pragma.stdout);
  // An empty table_info is what sqlite3 prints when the file cannot be opened read-only.
  if (!schema) return denied(pragma.stderr || 'the access table is not readable');
  const q = tccQuery(schema);
  source('command', `sqlite3 -readonly "${db}" "${q}"`);
  const r = await ctx.exec('sqlite3', ['-readonly', db, q], { timeoutMs: 5_000 });
  if (r.code !== 0) return denied(r.stderr);
  return { state: 'collected', db, schema, rows: parseTccRows(r.stdout, schema) };
}

function linuxSession(input: CollectorInput): LinuxSession {
  const { ctx, source } = input;
  source('env', 'XDG_SESSION_TYPE, WAYLAND_DISPLAY, DISPLAY, XDG_CURRENT_DESKTOP');
  return { sessionType: detectSessionType(ctx.env), desktop: ctx.env.XDG_CURRENT_DESKTOP || null };
}

export const screenCollector = defineCollector({
  key: 'screen',
  scope: 'world',
  title: 'screen capture permission and recent screenshots',
  timeoutMs: 20_000,
  async collect(input) {
    const { ctx, target, source, signal } = input;
    const mac = ctx.platform === 'darwin' ? await macPermission(input) : null;
    const linux = ctx.platform === 'linux' ? linuxSession(input) : null;
    input.waitingOn(`looking for screenshots under ${target.dataDir}`);
    source('file', target.dataDir);
    const images = await findImages(target.dataDir, signal);
    const analysed: ScreenshotInfo[] = [];
    for (const f of images.slice(0, MAX_ANALYSED)) {
      // Decoding is synchronous CPU work; stop between files once the deadline has passed.
      if (signal.aborted) break;
      analysed.push(await analyseFile(f));
    }
    return {
      macPermission: mac,
      linuxSession: linux,
      screenshots: { folder: target.dataDir, found: images.length, analysed },
    };
  },
});
