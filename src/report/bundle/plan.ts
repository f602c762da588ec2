/**
 * The size budget: logs are taken newest first until the budget (compressed bytes) is spent; the
 * file that crosses it keeps its tail. Compressed size cannot be known before compressing, so each
 * file's ratio is estimated by deflating a sample of its tail, with a safety margin.
 */
import { open } from 'node:fs/promises';
import path from 'node:path';
import zlib from 'node:zlib';
import { classifyLogFile, logFileNewestMs } from '../../facts/logs.js';
import type { SkipReason } from './manifest.js';
import type { FoundFile } from './sources.js';

export const SAMPLE_BYTES = 64 * 1024;
/** Spend at most this share of what the estimate allows, to absorb estimation error. */
const MARGIN = 0.85;

export interface LogCandidate extends FoundFile {
  /** Name inside the archive. */
  name: string;
  /** Where it came from, for the manifest (`<data>/Upwork/Logs/x.log`). */
  source: string;
}

export interface PlannedLog extends LogCandidate {
  /** First byte to read (0 = whole file). */
  start: number;
  /** Estimated compressed bytes of the part taken. */
  estimate: number;
}

export interface PlanResult {
  take: PlannedLog[];
  skip: (LogCandidate & { reason: SkipReason; detail?: string })[];
}

/** compressed/raw for a sample of the file's tail (1 = incompressible). */
export async function estimateRatio(file: string, size: number): Promise<number> {
  if (size === 0) return 1;
  const n = Math.min(size, SAMPLE_BYTES);
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(n);
    const { bytesRead } = await fh.read(buf, 0, n, size - n);
    if (bytesRead === 0) return 1;
    const c = zlib.deflateRawSync(buf.subarray(0, bytesRead), { level: 6 }).length;
    return Math.min(1, Math.max(0.01, c / bytesRead));
  } finally {
    await fh.close();
  }
}

/** The newest moment a log can hold: the day in its name (`upwork..YYYYMMDD.log`) where it has one. */
function newestMs(f: LogCandidate): number {
  return logFileNewestMs({ date: classifyLogFile(path.basename(f.rel))?.date ?? null, mtimeMs: f.mtimeMs });
}

export async function planLogs(
  candidates: readonly LogCandidate[],
  opts: { budget: number; now: number; sinceMs?: number },
  ratioOf: (f: LogCandidate) => Promise<number> = (f) => estimateRatio(f.file, f.size),
): Promise<PlanResult> {
  const take: PlannedLog[] = [];
  const skip: PlanResult['skip'] = [];
  let remaining = opts.budget;
  const sorted = [...candidates].sort((a, b) => newestMs(b) - newestMs(a) || a.name.localeCompare(b.name));
  for (const f of sorted) {
    if (opts.sinceMs !== undefined && newestMs(f) < opts.now - opts.sinceMs) {
      skip.push({ ...f, reason: 'older-than-since' });
      continue;
    }
    if (remaining <= 1024) {
      skip.push({
        ...f,
        reason: 'too-large',
        detail: 'the size budget (--max-size) was spent on newer logs',
      });
      continue;
    }
    let ratio: number;
    try {
      ratio = await ratioOf(f);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      skip.push({
        ...f,
        reason:
          code === 'EACCES' || code === 'EPERM'
            ? 'permission-denied'
            : code === 'ENOENT'
              ? 'vanished'
              : 'error',
      });
      continue;
    }
    const allowance = Math.floor((remaining * MARGIN) / ratio);
    const takeBytes = Math.min(f.size, allowance);
    const estimate = Math.ceil(takeBytes * ratio) + 256;
    take.push({ ...f, start: f.size - takeBytes, estimate });
    // The file that crosses the budget is the last one: older logs would only add fragments.
    remaining = takeBytes < f.size ? 0 : remaining - estimate;
  }
  return { take, skip };
}
