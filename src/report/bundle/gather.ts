/**
 * Gather: what a bundle could hold, found read-only. System information and the process list
 * (each with a timeout), the cache's metadata (names, sizes, dates and hashes; never its
 * contents) and the list of log files. Nothing is read into the bundle yet.
 */
import { createReadStream } from 'node:fs';
import crypto from 'node:crypto';
import path from 'node:path';
import type { Context } from '../../core/context.js';
import type { Facts, TargetInfo } from '../../core/facts.js';
import { commandName, isTrackerName } from '../../facts/processes.js';
import type { ManifestEntry } from './manifest.js';
import { isChromiumCachePath } from '../../core/chromium.js';
import { CACHE_DIR, LOG_ROOTS, MAC_EXTRA_ROOTS, isScreenshot, skipReasonFor, walkFiles } from './sources.js';
import type { FoundFile, LogCandidate } from './sources.js';
import type { ProcessEntry } from './system.js';
import { collectProcesses, collectSystem } from './system.js';

export interface GatherInput {
  ctx: Context;
  target: TargetInfo;
  facts: Facts;
  /** Where the bundle goes (its free space is recorded). */
  outDir?: string;
  /** Injected for tests: system info and processes (default: collected). */
  system?: unknown;
  processes?: unknown;
}

export interface Gathered {
  system: unknown;
  processes: unknown;
  cache: { doc: Record<string, unknown>; screenshots: FoundFile[] };
  logs: { candidates: LogCandidate[]; skipped: ManifestEntry[] };
}

/** sha256 and size of a file, read-only and streaming. */
async function hashFile(file: string): Promise<{ size: number; sha256: string }> {
  const h = crypto.createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(file, { flags: 'r' }) as AsyncIterable<Buffer>) {
    h.update(chunk);
    size += chunk.length;
  }
  return { size, sha256: h.digest('hex') };
}

interface CacheFileMeta {
  path: string;
  size: number;
  modified: string;
  sha256?: string;
  screenshot: boolean;
  error?: string;
}

async function cacheMetadata(
  facts: Facts,
  dataDir: string,
  platform: NodeJS.Platform,
): Promise<Gathered['cache']> {
  const dir = (platform === 'win32' ? path.win32 : path).join(dataDir, ...CACHE_DIR);
  const walked = await walkFiles(dir, { maxFiles: 20_000 });
  const { skipped } = walked;
  const files = walked.files.filter((f) => !isChromiumCachePath(f.rel));
  const out: CacheFileMeta[] = [];
  for (const f of files) {
    const meta: CacheFileMeta = {
      path: f.rel,
      size: f.size,
      modified: new Date(f.mtimeMs).toISOString(),
      screenshot: isScreenshot(f.rel),
    };
    try {
      Object.assign(meta, await hashFile(f.file));
    } catch (e) {
      meta.error = skipReasonFor(e);
    }
    out.push(meta);
  }
  const fact = (facts.items as Record<string, unknown>).cache ?? null;
  return {
    doc: {
      note: 'Metadata only: the cache contents (journal, screenshots) are never copied into a bundle unless --include-screenshots is given for screenshots.',
      folder: '<data>/Upwork/Cache',
      exists: files.length > 0 || skipped.length > 0,
      cacheFact: fact,
      totals: { files: out.length, bytes: out.reduce((n, f) => n + f.size, 0) },
      files: out,
      skipped,
    },
    screenshots: files.filter((f) => isScreenshot(f.rel)).sort((a, b) => b.mtimeMs - a.mtimeMs),
  };
}

async function findLogs(
  dataDir: string,
  platform: NodeJS.Platform,
  homedir: string,
): Promise<Gathered['logs']> {
  const candidates: LogCandidate[] = [];
  const skipped: ManifestEntry[] = [];
  const roots = [
    ...LOG_ROOTS.map((r) => ({
      ...r,
      base: dataDir,
      src: `<data>/${r.dir.join('/')}`,
      match: undefined as RegExp | undefined,
    })),
    ...(platform === 'darwin'
      ? MAC_EXTRA_ROOTS.map((r) => ({ ...r, base: homedir, src: `~/${r.dir.join('/')}` }))
      : []),
  ];
  for (const root of roots) {
    const { files, skipped: sk } = await walkFiles(path.join(root.base, ...root.dir));
    const src = root.src;
    // Chromium's caches are never copied, whatever folder they turn up in.
    for (const f of files)
      if (!isChromiumCachePath(f.rel) && (!root.match || root.match.test(f.rel.split('/')[0]!)))
        candidates.push({ ...f, name: `${root.label}/${f.rel}`, source: `${src}/${f.rel}` });
    for (const s of sk)
      skipped.push({
        category: 'logs',
        source: `${src}/${s.rel}`,
        outcome: 'skipped',
        reason: s.reason,
        ...(s.detail ? { detail: s.detail } : {}),
      });
  }
  return { candidates, skipped };
}

/**
 * The process list as the bundle keeps it: every process by name, and the full command line
 * only for the tracker's own processes. Other programs' command lines can carry anything
 * (tokens, file names, other people's data) and say nothing about the tracker.
 */
export function trimProcesses(list: unknown): unknown {
  const l = list as { processes?: ProcessEntry[] } | undefined;
  if (!l || !Array.isArray(l.processes)) return list;
  return {
    ...l,
    note: 'Command lines are kept only for the tracker’s own processes; other processes are listed by name.',
    processes: l.processes.map((p) => {
      if (isTrackerName(p.name) || (p.cmd !== undefined && isTrackerName(commandName(p.cmd)))) return p;
      const { cmd: _cmd, ...rest } = p;
      return rest;
    }),
  };
}

/**
 * System information and the process list need nothing from the doctor run, so the bundle
 * command starts them before it (they mostly wait on other programs, as the checks do).
 */
export function collectSystemAndProcesses(
  ctx: Context,
  dataDir: string,
  outDir: string | undefined,
): Promise<{ system: unknown; processes: unknown }> {
  return Promise.all([
    collectSystem(ctx, { 'tracker data': dataDir, ...(outDir ? { output: outDir } : {}) }),
    collectProcesses(),
  ]).then(([system, processes]) => ({ system, processes }));
}

export async function gather(input: GatherInput): Promise<Gathered> {
  const { ctx, target, facts } = input;
  ctx.logger.progress('bundle: collecting system information, processes and cache metadata…');
  const [system, processes, cache, logs] = await Promise.all([
    input.system !== undefined
      ? Promise.resolve(input.system)
      : collectSystem(ctx, {
          'tracker data': target.dataDir,
          ...(input.outDir ? { output: input.outDir } : {}),
        }),
    input.processes !== undefined ? Promise.resolve(input.processes) : collectProcesses(),
    cacheMetadata(facts, target.dataDir, ctx.platform),
    findLogs(target.dataDir, ctx.platform, ctx.homedir),
  ]);
  return { system, processes: trimProcesses(processes), cache, logs };
}
