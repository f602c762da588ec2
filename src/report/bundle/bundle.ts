/**
 * Making a ticket bundle: gather (reports, facts, system, processes, cache metadata, logs), learn
 * every secret in one read-only pass, then stream everything through the redactor and the residual
 * scan into `<name>.partial`, show what is in it, and only then rename it to its final name.
 *
 * The tracker's folder is only ever read: files are opened read-only (never locked, so the running
 * tracker is never blocked), the cache's contents are hashed, never copied, and nothing is written
 * under the tracker's data folder.
 */
import { createReadStream, unlinkSync } from 'node:fs';
import { open, readdir, readFile, realpath, rename, rm, stat } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import crypto from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import zlib from 'node:zlib';
import type { Context } from '../../core/context.js';
import { UserError, errorMessage } from '../../core/errors.js';
import { ExitCode } from '../../core/exit-codes.js';
import type { Facts, TargetInfo } from '../../core/facts.js';
import { formatBytes } from '../../core/format.js';
import { TOOL_NAME, toolVersion } from '../../core/version.js';
import type { RedactionCounts } from '../redact/redactor.js';
import { Redactor, fromBinary, toBinary } from '../redact/redactor.js';
import { REDACTION_RULES_VERSION } from '../redact/rules.js';
import { RedactStream, ResidualSecretError } from '../redact/stream.js';
import type { Recipient } from './cms.js';
import type { EntryCategory, Manifest, ManifestEntry } from './manifest.js';
import { MANIFEST_NAME, MANIFEST_VERSION } from './manifest.js';
import { PARTIAL_RE, bundleBaseName, hostHash, partialName } from './names.js';
import type { LogCandidate, PlannedLog } from './plan.js';
import { planLogs } from './plan.js';
import { CACHE_DIR, LOG_ROOTS, isScreenshot, skipReasonFor, walkFiles } from './sources.js';
import type { FoundFile } from './sources.js';
import { collectProcesses, collectSystem } from './system.js';
import { BundleWriter } from './writer.js';
import { isPidAlive } from '../../core/pid.js';

export interface BundleRequest {
  ctx: Context;
  target: TargetInfo;
  facts: Facts;
  /** The run's report as JSON-able data, and its text rendering. */
  report: unknown;
  reportText: string;
  /** The HTML report, when the renderer is available. */
  reportHtml?: string;
  outDir: string;
  ticket?: string;
  recipient?: Recipient;
  sinceMs?: number;
  since?: string;
  maxSizeMB: number;
  includeScreenshots: boolean;
  /** Ask before sealing (TTY); false with --yes. */
  confirm: boolean;
  /** Injected for tests: system info and processes (default: collected). */
  system?: unknown;
  processes?: unknown;
}

export interface BundleResult {
  path: string;
  size: number;
  sha256: string;
  encrypted: boolean;
  entries: number;
  skipped: number;
  redactions: RedactionCounts;
  manifest: Manifest;
}

/** Leave room for the manifest and the zip's central directory. */
const RESERVE = 256 * 1024;

const isInside = (root: string, p: string) => p === root || p.startsWith(root + path.sep);

async function realOrSelf(p: string): Promise<string> {
  try {
    return await realpath(p);
  } catch {
    return path.resolve(p);
  }
}

/** The output folder must exist, be a folder, and not be inside the tracker's data folder. */
export async function checkOutDir(outDir: string, dataDir: string): Promise<string> {
  let st;
  try {
    st = await stat(outDir);
  } catch {
    throw new UserError(`The output folder ${outDir} does not exist; create it or pass another --out.`);
  }
  if (!st.isDirectory()) throw new UserError(`--out ${outDir} is not a folder.`);
  const real = await realOrSelf(outDir);
  const data = await realOrSelf(dataDir);
  if (isInside(data, real))
    throw new UserError(
      `--out ${outDir} is inside the tracker's data folder; the doctor never writes there. Choose another folder.`,
    );
  return real;
}

/** Remove partial bundles left by a killed run; a run still writing its own is left alone. */
export async function removeStalePartials(dir: string, ctx: Context): Promise<void> {
  let names: string[] = [];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  for (const n of names) {
    const m = PARTIAL_RE.exec(n);
    if (m && !(m[1] && isPidAlive(Number(m[1])))) {
      await rm(path.join(dir, n), { force: true }).catch(() => undefined);
      ctx.logger.debug(`removed a stale partial bundle: ${n}`);
    }
  }
}

function writeError(e: unknown, outDir: string): UserError {
  const code = (e as NodeJS.ErrnoException).code;
  const why =
    code === 'ENOSPC' || code === 'EDQUOT'
      ? 'the disk is full'
      : code === 'EACCES' || code === 'EPERM'
        ? 'permission denied'
        : code === 'EROFS'
          ? 'the file system is read-only'
          : code === 'EEXIST'
            ? 'another bundle with this name is being written'
            : (code ?? errorMessage(e));
  return new UserError(`Cannot write the bundle to ${outDir}: ${why}. Nothing was saved.`);
}

/** sha256 and size of a file, read-only and streaming. */
async function hashFile(file: string): Promise<{ size: number; sha256: string }> {
  const h = crypto.createHash('sha256');
  let size = 0;
  await pipeline(
    createReadStream(file, { flags: 'r' }),
    new Writable({
      write(chunk: Buffer, _e, cb) {
        h.update(chunk);
        size += chunk.length;
        cb();
      },
    }),
  );
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
): Promise<{ doc: Record<string, unknown>; screenshots: FoundFile[] }> {
  const dir = (platform === 'win32' ? path.win32 : path).join(dataDir, ...CACHE_DIR);
  const { files, skipped } = await walkFiles(dir, { maxFiles: 20_000 });
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

async function findLogs(dataDir: string): Promise<{ candidates: LogCandidate[]; skipped: ManifestEntry[] }> {
  const candidates: LogCandidate[] = [];
  const skipped: ManifestEntry[] = [];
  for (const root of LOG_ROOTS) {
    const { files, skipped: sk } = await walkFiles(path.join(dataDir, ...root.dir));
    const src = `<data>/${root.dir.join('/')}`;
    for (const f of files)
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

function addCounts(into: RedactionCounts, from: RedactionCounts): void {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
}

/** A JSON document, redacted value by value, then checked line by line by the residual scan. */
function redactedJson(redactor: Redactor, value: unknown, entry: string): Buffer {
  const text = `${JSON.stringify(redactor.redactJson(value), null, 2)}\n`;
  checkResidual(redactor, toBinary(text), entry);
  return Buffer.from(text, 'utf8');
}

function redactedText(redactor: Redactor, text: string, entry: string): Buffer {
  const out = redactor.redactBinaryText(toBinary(text));
  checkResidual(redactor, out, entry);
  return Buffer.from(out, 'latin1');
}

function checkResidual(redactor: Redactor, binary: string, entry: string): void {
  const lines = binary.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const hit = redactor.residual(lines[i] ?? '');
    if (hit) throw new ResidualSecretError(entry, hit.rule, i + 1);
  }
}

function learnJson(redactor: Redactor, value: unknown): void {
  redactor.redactJson(value);
}

/** Read a planned log range through the redactor (learn-only or writing). */
function logStream(f: PlannedLog, redactor: Redactor, learnOnly: boolean, fh: FileHandle): Readable {
  // Start one byte early: if that byte is a newline, the tail starts on a whole line.
  const from = f.start > 0 ? f.start - 1 : 0;
  const red = new RedactStream(redactor, { entry: f.name, learnOnly, dropFirstPartialLine: f.start > 0 });
  // Only the bytes planned (and learned from) are read, even if the log grows meanwhile.
  if (f.size === 0) return Readable.from([]).pipe(red);
  const src = fh.createReadStream({ start: from, end: f.size - 1, autoClose: false });
  src.on('error', (e) => red.destroy(e));
  return src.pipe(red);
}

function categoryTotals(
  entries: ManifestEntry[],
): Map<EntryCategory, { files: number; bytes: number; skipped: number }> {
  const m = new Map<EntryCategory, { files: number; bytes: number; skipped: number }>();
  for (const e of entries) {
    const t = m.get(e.category) ?? { files: 0, bytes: 0, skipped: 0 };
    if (e.outcome === 'skipped') t.skipped++;
    else {
      t.files++;
      t.bytes += e.size ?? 0;
    }
    m.set(e.category, t);
  }
  return m;
}

/** What the user sees before the bundle is sealed. */
export function describeBundle(manifest: Manifest, fileSize: number): string {
  const lines = ['This bundle will contain:'];
  for (const [cat, t] of categoryTotals(manifest.entries)) {
    lines.push(
      `  ${cat.padEnd(12)} ${String(t.files).padStart(4)} file${t.files === 1 ? ' ' : 's'} ${formatBytes(t.bytes).padStart(10)}${t.skipped ? `  (${t.skipped} skipped)` : ''}`,
    );
  }
  const red = Object.entries(manifest.redaction.totals).sort((a, b) => b[1] - a[1]);
  lines.push(
    red.length
      ? `Redacted: ${red.map(([k, v]) => `${k} ${v}`).join(', ')} (${manifest.redaction.distinctValues} distinct values).`
      : 'Redacted: nothing needed redacting.',
  );
  lines.push(
    `Archive: ${formatBytes(fileSize)}${manifest.options.encrypted ? ', encrypted to the support certificate' : ''}. Screenshots: ${manifest.options.includeScreenshots ? 'included' : 'not included'}. Cache contents: never included.`,
  );
  return lines.join('\n');
}

export async function createBundle(req: BundleRequest): Promise<BundleResult> {
  const { ctx, target, facts } = req;
  const log = ctx.logger;
  const outDir = await checkOutDir(req.outDir, target.dataDir);
  await removeStalePartials(outDir, ctx);
  const encrypted = Boolean(req.recipient);
  const base = bundleBaseName({ ticket: req.ticket, now: ctx.now(), hostname: ctx.hostname });
  const finalPath = path.join(outDir, encrypted ? `${base}.p7m` : base);
  const partial = partialName(finalPath, process.pid);
  const maxBytes = Math.floor(req.maxSizeMB * 1_000_000);
  const now = new Date(ctx.now());

  // --- gather ---
  log.progress('bundle: collecting system information, processes and cache metadata…');
  const [system, processes, cache, logs] = await Promise.all([
    req.system !== undefined ? Promise.resolve(req.system) : collectSystem(ctx),
    req.processes !== undefined ? Promise.resolve(req.processes) : collectProcesses(),
    cacheMetadata(facts, target.dataDir, ctx.platform),
    findLogs(target.dataDir),
  ]);

  const redactor = new Redactor({
    hostname: ctx.hostname,
    usernames: [ctx.username, path.basename(ctx.homedir)].filter((u) => u && u !== '/' && u !== '.'),
  });
  const docs: { name: string; category: EntryCategory; source: string; value?: unknown; text?: string }[] = [
    { name: 'report.json', category: 'report', source: 'doctor run', value: req.report },
    { name: 'report.txt', category: 'report', source: 'doctor run', text: req.reportText },
    ...(req.reportHtml !== undefined
      ? [{ name: 'report.html', category: 'report' as const, source: 'doctor run', text: req.reportHtml }]
      : []),
    { name: 'facts.json', category: 'facts', source: 'doctor run', value: facts },
    { name: 'system/system.json', category: 'system', source: 'systeminformation', value: system },
    { name: 'system/processes.json', category: 'processes', source: 'ps-list', value: processes },
    {
      name: 'cache/cache.json',
      category: 'cache',
      source: '<data>/Upwork/Cache (metadata only)',
      value: cache.doc,
    },
  ];

  // --- plan the size budget ---
  const docEstimate = docs.reduce(
    (n, d) =>
      n + zlib.deflateRawSync(Buffer.from(d.text ?? JSON.stringify(d.value, null, 2) ?? '')).length + 512,
    0,
  );
  const logBudget = Math.max(0, maxBytes - RESERVE - docEstimate);
  const plan = await planLogs(logs.candidates, { budget: logBudget, now: ctx.now(), sinceMs: req.sinceMs });
  const totalLogBytes = plan.take.reduce((n, f) => n + f.size - f.start, 0);
  log.progress(
    `bundle: ${plan.take.length} log file${plan.take.length === 1 ? '' : 's'} (${formatBytes(totalLogBytes)}) within the ${req.maxSizeMB} MB budget; learning what to redact…`,
  );

  // --- pass 1: learn every secret, so a value seen late is replaced everywhere ---
  for (const d of docs) {
    if (d.text !== undefined) redactor.redactBinaryText(toBinary(d.text));
    else learnJson(redactor, d.value);
  }
  for (const f of [...logs.candidates, ...cache.screenshots]) redactor.learnLine(toBinary(f.rel));
  /** Names and sources can hold a user name too (a log named after its user). */
  const safe = (s: string) => fromBinary(redactor.redactLine(toBinary(s)));
  const handles = new Map<string, FileHandle>();
  const entries: ManifestEntry[] = [
    ...logs.skipped,
    ...plan.skip.map((f): ManifestEntry => ({
      category: 'logs',
      source: f.source,
      outcome: 'skipped',
      reason: f.reason,
      sourceSize: f.size,
      sourceModified: new Date(f.mtimeMs).toISOString(),
      ...(f.detail ? { detail: f.detail } : {}),
    })),
  ];
  const toWrite: PlannedLog[] = [];
  try {
    for (const f of plan.take) {
      try {
        const fh = await open(f.file, 'r');
        handles.set(f.name, fh);
        await pipeline(logStream(f, redactor, true, fh), new Writable({ write: (_c, _e, cb) => cb() }));
        toWrite.push(f);
      } catch (e) {
        if (e instanceof ResidualSecretError) throw e;
        entries.push({
          name: undefined,
          category: 'logs',
          source: f.source,
          outcome: 'skipped',
          reason: skipReasonFor(e),
          sourceSize: f.size,
        });
      }
    }
    redactor.takeCounts();

    // --- pass 2: write ---
    let writer: BundleWriter;
    try {
      writer = await BundleWriter.create(partial, req.recipient);
    } catch (e) {
      throw writeError(e, outDir);
    }
    const onExit = () => {
      try {
        unlinkSync(partial);
      } catch {
        // already gone
      }
    };
    process.once('exit', onExit);
    const onTerm = () => {
      onExit();
      process.exit(ExitCode.Cancelled);
    };
    process.once('SIGTERM', onTerm);
    try {
      const totals: RedactionCounts = {};
      const record = (e: ManifestEntry) => {
        e.source = safe(e.source);
        if (e.detail) e.detail = safe(e.detail);
        entries.push(e);
        if (e.redactions) addCounts(totals, e.redactions);
      };
      for (const d of docs) {
        log.progress(`bundle: writing ${d.name}`);
        const data =
          d.text !== undefined
            ? redactedText(redactor, d.text, d.name)
            : redactedJson(redactor, d.value, d.name);
        const counts = redactor.takeCounts();
        const stored = await writer.addBuffer(d.name, data, now);
        record({
          name: d.name,
          category: d.category,
          source: d.source,
          outcome: Object.keys(counts).length ? 'redacted' : 'generated',
          ...stored,
          ...(Object.keys(counts).length ? { redactions: counts } : {}),
        });
      }

      let i = 0;
      for (const f of toWrite) {
        i++;
        const fh = handles.get(f.name);
        if (!fh) continue;
        if (writer.pointer() + Math.min(f.estimate, 1024) > maxBytes - RESERVE) {
          record({
            category: 'logs',
            source: f.source,
            outcome: 'skipped',
            reason: 'too-large',
            sourceSize: f.size,
            detail: 'the size budget was spent',
          });
          continue;
        }
        log.progress(
          `bundle: logs ${i}/${toWrite.length}, ${formatBytes(writer.pointer())} written: ${f.name}`,
        );
        const note =
          f.start > 0
            ? Buffer.from(
                `[upwork-doctor] ${f.start} bytes were cut from the start of this file to fit the bundle's size budget; it keeps the last ${f.size - f.start} bytes (the first partial line dropped).\n`,
              )
            : undefined;
        const body = logStream(f, redactor, false, fh);
        const source = note
          ? Readable.from(
              (async function* () {
                yield note;
                for await (const c of body) yield c as Buffer;
              })(),
            )
          : body;
        const counts = redactor.takeCounts();
        const name = safe(f.name);
        redactor.takeCounts();
        const stored = await writer.add(name, source, new Date(f.mtimeMs));
        addCounts(counts, redactor.takeCounts());
        record({
          name,
          category: 'logs',
          source: f.source,
          outcome: f.start > 0 ? 'tailed' : Object.keys(counts).length ? 'redacted' : 'copied',
          ...stored,
          sourceSize: f.size,
          sourceModified: new Date(f.mtimeMs).toISOString(),
          ...(f.start > 0 ? { bytesDropped: f.start } : {}),
          ...(Object.keys(counts).length ? { redactions: counts } : {}),
        });
      }

      for (const s of cache.screenshots) {
        const source = `<data>/Upwork/Cache/${s.rel}`;
        if (!req.includeScreenshots) continue;
        if (writer.pointer() + s.size > maxBytes - RESERVE) {
          record({
            category: 'screenshots',
            source,
            outcome: 'skipped',
            reason: 'too-large',
            sourceSize: s.size,
          });
          continue;
        }
        let fh;
        try {
          fh = await open(s.file, 'r');
        } catch (e) {
          record({ category: 'screenshots', source, outcome: 'skipped', reason: skipReasonFor(e) });
          continue;
        }
        try {
          const name = safe(`cache/${s.rel}`);
          const stored = await writer.add(
            name,
            fh.createReadStream({ start: 0, end: Math.max(0, s.size - 1), autoClose: false }),
            new Date(s.mtimeMs),
          );
          record({ name, category: 'screenshots', source, outcome: 'copied', ...stored, sourceSize: s.size });
        } finally {
          await fh.close();
        }
      }

      const manifest: Manifest = {
        manifestVersion: MANIFEST_VERSION,
        tool: { name: TOOL_NAME, version: toolVersion() },
        ticket: req.ticket ?? null,
        createdAt: now.toISOString(),
        hostId: hostHash(ctx.hostname),
        platform: ctx.platform,
        target: { kind: target.kind },
        options: {
          maxSizeMB: req.maxSizeMB,
          since: req.since ?? null,
          includeScreenshots: req.includeScreenshots,
          encrypted,
        },
        redaction: { rulesVersion: REDACTION_RULES_VERSION, totals, distinctValues: redactor.learnedCount },
        entries,
      };
      for (const e of entries) e.source = safe(e.source);
      redactor.takeCounts();
      // Every string in the manifest already went through the redactor; the residual scan checks it.
      const manifestText = `${JSON.stringify(manifest, null, 2)}\n`;
      checkResidual(redactor, toBinary(manifestText), MANIFEST_NAME);
      await writer.addBuffer(MANIFEST_NAME, Buffer.from(manifestText, 'utf8'), now);
      log.progress('bundle: sealing…');
      const written = await writer.finish();

      if (req.confirm) {
        ctx.stderr(`\n${describeBundle(manifest, written.size)}\n\n`);
        const ok = await ctx.prompts.confirm(`Save it as ${finalPath}?`, {
          initial: true,
          flagHint: '--yes',
        });
        if (!ok) {
          await rm(partial, { force: true });
          throw new UserError('Nothing was saved.', ExitCode.Failed);
        }
      } else {
        log.info(describeBundle(manifest, written.size));
      }
      await rename(partial, finalPath);
      return {
        path: finalPath,
        size: written.size,
        sha256: written.sha256,
        encrypted,
        entries: entries.filter((e) => e.outcome !== 'skipped').length + 1,
        skipped: entries.filter((e) => e.outcome === 'skipped').length,
        redactions: totals,
        manifest,
      };
    } catch (e) {
      await writer.abort();
      if (e instanceof UserError) throw e;
      if (e instanceof ResidualSecretError) throw new UserError(`Redaction check failed: ${e.message}.`);
      const code = (e as NodeJS.ErrnoException).code;
      if (code && ['ENOSPC', 'EDQUOT', 'EACCES', 'EPERM', 'EROFS', 'EIO'].includes(code))
        throw writeError(e, outDir);
      throw e;
    } finally {
      process.removeListener('exit', onExit);
      process.removeListener('SIGTERM', onTerm);
    }
  } catch (e) {
    if (e instanceof ResidualSecretError) throw new UserError(`Redaction check failed: ${e.message}.`);
    throw e;
  } finally {
    for (const fh of handles.values()) await fh.close().catch(() => undefined);
  }
}

/** Read a certificate file for --encrypt-to, with a one-line error. */
export async function readRecipient(file: string): Promise<Recipient> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (e) {
    throw new UserError(
      `Cannot read --encrypt-to ${file}: ${(e as NodeJS.ErrnoException).code ?? 'unreadable'}.`,
    );
  }
  const { loadRecipient } = await import('./cms.js');
  return loadRecipient(bytes, file);
}
