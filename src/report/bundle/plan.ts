/**
 * The size budget: logs are taken newest first until the budget (compressed bytes) is spent; the
 * file that crosses it keeps its tail. Compressed size cannot be known before compressing, so each
 * file's ratio is estimated by deflating a sample of its tail, with a safety margin.
 */
import { open } from 'node:fs/promises';
import path from 'node:path';
import zlib from 'node:zlib';
import type { Context } from '../../core/context.js';
import { classifyLogFile, logFileNewestMs } from '../../facts/logs.js';
import { Redactor, toBinary } from '../redact/redactor.js';
import type { Gathered } from './gather.js';
import type { EntryCategory, ManifestEntry, SkipReason } from './manifest.js';
import type { FoundFile, LogCandidate } from './sources.js';

export type { LogCandidate } from './sources.js';

export const SAMPLE_BYTES = 64 * 1024;
/** Spend at most this share of what the estimate allows, to absorb estimation error. */
const MARGIN = 0.85;

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

/** A document the doctor makes for the bundle (report, facts, system, processes, cache metadata). */
export interface DocPlan {
  name: string;
  category: EntryCategory;
  source: string;
  value?: unknown;
  text?: string;
}

export interface BundlePlan {
  docs: DocPlan[];
  logs: PlannedLog[];
  /** Logs left out already (unreadable, older than --since, over the budget). */
  skipped: ManifestEntry[];
  screenshots: FoundFile[];
  /**
   * The pseudonym map, learned from the small sources (the documents, names of files) before
   * any log streams: what the log workers start from.
   */
  redactor: Redactor;
  /** Bytes of logs to read. */
  logBytes: number;
}

export interface PlanInput {
  ctx: Context;
  facts: unknown;
  report: unknown;
  reportText: string;
  reportHtml?: string;
  maxSizeMB: number;
  sinceMs?: number;
}

/** Leave room for the manifest and the zip's central directory. */
export const RESERVE = 256 * 1024;

function docsOf(input: PlanInput, g: Gathered): DocPlan[] {
  return [
    { name: 'report.json', category: 'report', source: 'doctor run', value: input.report },
    { name: 'report.txt', category: 'report', source: 'doctor run', text: input.reportText },
    ...(input.reportHtml !== undefined
      ? [{ name: 'report.html', category: 'report' as const, source: 'doctor run', text: input.reportHtml }]
      : []),
    { name: 'facts.json', category: 'facts', source: 'doctor run', value: input.facts },
    { name: 'system/system.json', category: 'system', source: 'node:os, systeminformation', value: g.system },
    { name: 'system/processes.json', category: 'processes', source: 'ps-list', value: g.processes },
    {
      name: 'cache/cache.json',
      category: 'cache',
      source: '<data>/Upwork/Cache (metadata only)',
      value: g.cache.doc,
    },
  ];
}

/** The text a document is stored as (before redaction). */
export const docText = (d: DocPlan) => d.text ?? `${JSON.stringify(d.value, null, 2)}\n`;

function skippedEntry(f: PlanResult['skip'][number]): ManifestEntry {
  return {
    category: 'logs',
    source: f.source,
    outcome: 'skipped',
    reason: f.reason,
    sourceSize: f.size,
    sourceModified: new Date(f.mtimeMs).toISOString(),
    ...(f.detail ? { detail: f.detail } : {}),
  };
}

/** Plan: the documents, the pseudonym map learned from them, and the logs within the budget. */
export async function planBundle(input: PlanInput, g: Gathered): Promise<BundlePlan> {
  const { ctx } = input;
  const redactor = new Redactor({
    hostname: ctx.hostname,
    usernames: [ctx.username, path.basename(ctx.homedir)].filter((u) => u && u !== '/' && u !== '.'),
  });
  const docs = docsOf(input, g);
  // Small sources first: what they hold is known before the first log line streams.
  for (const d of docs) {
    if (d.text !== undefined) redactor.redactBinaryText(toBinary(d.text));
    else redactor.redactJson(d.value);
  }
  for (const f of [...g.logs.candidates, ...g.cache.screenshots]) redactor.learnLine(toBinary(f.rel));
  redactor.takeCounts();
  const docEstimate = docs.reduce((n, d) => n + zlib.deflateRawSync(Buffer.from(docText(d))).length + 512, 0);
  const maxBytes = Math.floor(input.maxSizeMB * 1_000_000);
  const budget = Math.max(0, maxBytes - RESERVE - docEstimate);
  const plan = await planLogs(g.logs.candidates, { budget, now: ctx.now(), sinceMs: input.sinceMs });
  return {
    docs,
    logs: plan.take,
    skipped: [...g.logs.skipped, ...plan.skip.map(skippedEntry)],
    screenshots: g.cache.screenshots,
    redactor,
    logBytes: plan.take.reduce((n, f) => n + f.size - f.start, 0),
  };
}
