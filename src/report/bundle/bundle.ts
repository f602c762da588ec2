/**
 * Making a ticket bundle, in three steps: gather (gather.ts: system, processes, cache metadata,
 * the list of logs), plan (plan.ts: the documents, the pseudonym map learned from them, the logs
 * within the budget) and write (write.ts: every log read once through the log workers, then the
 * documents and the manifest). Then the residual scan of the finished archive, the consent screen,
 * and the seal: a rename to a name no other bundle has.
 *
 * The tracker's folder is only ever read: files are opened read-only (never locked, so the running
 * tracker is never blocked), the cache's contents are hashed, never copied, and nothing is written
 * under the tracker's data folder.
 */
import { formatBytes } from '../../core/format.js';
import { copyFile, link, readdir, readFile, realpath, rm, stat, unlink } from 'node:fs/promises';
import { constants as fsConstants } from 'node:fs';
import path from 'node:path';
import type { Context } from '../../core/context.js';
import { UserError, errorMessage } from '../../core/errors.js';
import { ExitCode } from '../../core/exit-codes.js';
import type { Facts, TargetInfo } from '../../core/facts.js';
import type { RedactionCounts } from '../redact/redactor.js';
import { ResidualSecretError } from '../redact/stream.js';
import type { Recipient } from './cms.js';
import { describeBundle, describePlan } from './describe.js';
import type { DryRun } from './describe.js';
import { gather } from './gather.js';
import type { Manifest } from './manifest.js';
import { PARTIAL_RE, bundleBaseName, partialName } from './names.js';
import { planBundle } from './plan.js';
import type { BundlePlan } from './plan.js';
import { Progress } from './progress.js';
import { LateSecretError, scanFinishedArchive } from './residual.js';
import { writeBundle } from './write.js';
import type { Written } from './write.js';
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
  /** Show progress on stderr (off with --json). */
  progress?: boolean;
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

function failedWrite(e: unknown, outDir: string): never {
  if (e instanceof UserError) throw e;
  if (e instanceof ResidualSecretError) throw new UserError(`Redaction check failed: ${e.message}.`);
  const code = (e as NodeJS.ErrnoException).code;
  if (code && ['ENOSPC', 'EDQUOT', 'EACCES', 'EPERM', 'EROFS', 'EIO', 'EEXIST'].includes(code))
    throw writeError(e, outDir);
  throw e;
}

/**
 * Write the archive; if a value learned late survived in it, write it once more with every
 * learned value known from the start (the only case where a log is read twice), and fail closed
 * if one survives again. An encrypted archive cannot be read back, so any late value there means
 * the second attempt.
 */
async function writeChecked(req: BundleRequest, plan: BundlePlan, partial: string): Promise<Written> {
  let extra: [string, string][] | undefined;
  for (let attempt = 1; ; attempt++) {
    const progress = new Progress({
      enabled: req.progress ?? false,
      tty: req.ctx.isTTY,
      now: () => req.ctx.now(),
      write: (t) => req.ctx.stderr(t),
    });
    const written = await writeBundle({
      ctx: req.ctx,
      plan,
      partial,
      recipient: req.recipient,
      maxSizeMB: req.maxSizeMB,
      since: req.since,
      ticket: req.ticket,
      targetKind: req.target.kind,
      includeScreenshots: req.includeScreenshots,
      progress,
      ...(extra ? { extraLiterals: extra } : {}),
    });
    try {
      if (req.recipient && written.late.size > 0)
        throw new LateSecretError([...written.late.keys()][0] ?? '');
      await scanFinishedArchive(partial, written.late);
      return written;
    } catch (e) {
      await rm(partial, { force: true });
      if (!(e instanceof LateSecretError)) throw e;
      if (attempt >= 2)
        throw new UserError(
          `Redaction check failed: ${e.message}; the bundle was not sealed. Nothing was saved.`,
        );
      req.ctx.logger.debug(
        `bundle: ${e.message}; writing it again with every learned value known from the start`,
      );
      extra = written.learned;
    }
  }
}

/**
 * Give the finished file a name no other bundle has: `<base>.zip`, else `<base>-2.zip`, … A hard
 * link never replaces an existing file, so two bundles sealed at once with one ticket each get
 * their own name (and each printed sha256 matches its file).
 */
async function seal(partial: string, outDir: string, base: string, ext: string): Promise<string> {
  for (let n = 1; n < 1000; n++) {
    const final = nth(outDir, base, ext, n);
    try {
      await link(partial, final);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') continue;
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EXDEV' && code !== 'ENOSYS') throw e;
      // No hard links here (some file systems): an exclusive copy never replaces a file either.
      try {
        await copyFile(partial, final, fsConstants.COPYFILE_EXCL);
      } catch (ce) {
        if ((ce as NodeJS.ErrnoException).code === 'EEXIST') continue;
        throw ce;
      }
    }
    await unlink(partial);
    return final;
  }
  throw new UserError(`Too many bundles with this name in ${outDir}; pass another --ticket or --out.`);
}

const nth = (outDir: string, stem: string, ext: string, n: number) =>
  path.join(outDir, `${stem}${n === 1 ? '' : `-${n}`}${ext}`);

/** The name the bundle would get now (for the question; `seal` makes sure of it). */
async function freeName(outDir: string, stem: string, ext: string): Promise<string> {
  for (let n = 1; ; n++) {
    const p = nth(outDir, stem, ext, n);
    if (!(await stat(p).catch(() => undefined)) || n >= 1000) return p;
  }
}

async function confirmSave(
  req: BundleRequest,
  written: Written,
  partial: string,
  where: string,
): Promise<void> {
  const screen = describeBundle(written.manifest, written.size);
  if (!req.confirm) {
    req.ctx.logger.info(screen);
    return;
  }
  req.ctx.stderr(`\n${screen}\n\n`);
  const ok = await req.ctx.prompts.confirm(`Save it as ${where}?`, { initial: true, flagHint: '--yes' });
  if (!ok) {
    await rm(partial, { force: true });
    throw new UserError('Nothing was saved.', ExitCode.Failed);
  }
}

/** The one gather and plan that both the dry run and the real bundle use. */
async function gatherAndPlan(req: BundleRequest) {
  const { ctx, target, facts } = req;
  const g = await gather({
    ctx,
    target,
    facts,
    outDir: req.outDir,
    system: req.system,
    processes: req.processes,
  });
  return planBundle(req, g);
}

/** `bundle --dry-run`: what would go in, from the same gather and plan; nothing is written. */
export async function planOnly(req: BundleRequest): Promise<DryRun> {
  await checkOutDir(req.outDir, req.target.dataDir);
  const plan = await gatherAndPlan(req);
  return describePlan(plan, req);
}

export async function createBundle(req: BundleRequest): Promise<BundleResult> {
  const { ctx, target } = req;
  const outDir = await checkOutDir(req.outDir, target.dataDir);
  await removeStalePartials(outDir, ctx);
  const encrypted = Boolean(req.recipient);
  const base = bundleBaseName({ ticket: req.ticket, now: ctx.now(), hostname: ctx.hostname });
  const partial = partialName(path.join(outDir, encrypted ? `${base}.p7m` : base), process.pid);
  const plan = await gatherAndPlan(req);
  ctx.logger.progress(
    `bundle: ${plan.logs.length} log file${plan.logs.length === 1 ? '' : 's'} (${formatBytes(plan.logBytes)}) within the ${req.maxSizeMB} MB budget`,
  );
  let written: Written;
  try {
    written = await writeChecked(req, plan, partial);
  } catch (e) {
    failedWrite(e, outDir);
  }
  const stem = base.replace(/\.zip$/, '');
  const ext = encrypted ? '.zip.p7m' : '.zip';
  await confirmSave(req, written, partial, await freeName(outDir, stem, ext));
  const finalPath = await seal(partial, outDir, stem, ext);
  const { entries } = written.manifest;
  return {
    path: finalPath,
    size: written.size,
    sha256: written.sha256,
    encrypted,
    entries: entries.filter((e) => e.outcome !== 'skipped').length + 1,
    skipped: entries.filter((e) => e.outcome === 'skipped').length,
    redactions: written.totals,
    manifest: written.manifest,
  };
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
