/**
 * Write: the planned logs stream through the log workers (read once, redacted, deflated) into the
 * archive in plan order, then the documents (redacted with everything the logs taught), the
 * screenshots asked for and the manifest, into `<name>.<pid>.partial`. Returns what the residual
 * scan of the finished archive must look for.
 */
import { unlinkSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { collectGarbage } from '../../core/collect-garbage.js';
import type { Context } from '../../core/context.js';
import { ExitCode } from '../../core/exit-codes.js';
import { TOOL_NAME, toolVersion } from '../../core/version.js';
import type { RedactionCounts, Redactor } from '../redact/redactor.js';
import { fromBinary, toBinary } from '../redact/redactor.js';
import { REDACTION_RULES_VERSION } from '../redact/rules.js';
import { ResidualSecretError } from '../redact/stream.js';
import type { Recipient } from './cms.js';
import { LogLanes } from './log-lanes.js';
import type { LogRun } from './log-lanes.js';
import type { Manifest, ManifestEntry } from './manifest.js';
import { MANIFEST_NAME, MANIFEST_VERSION } from './manifest.js';
import { hostHash } from './names.js';
import type { BundlePlan, PlannedLog } from './plan.js';
import { RESERVE } from './plan.js';
import type { Progress } from './progress.js';
import { skipReasonFor } from './sources.js';
import type { Stored } from './writer.js';
import { BundleWriter } from './writer.js';

export interface WriteInput {
  ctx: Context;
  plan: BundlePlan;
  partial: string;
  recipient?: Recipient;
  maxSizeMB: number;
  since?: string;
  ticket?: string;
  targetKind: string;
  includeScreenshots: boolean;
  progress: Progress;
  /** Values learned by an earlier attempt, known from the start this time. */
  extraLiterals?: [string, string][];
}

export interface Written extends Stored {
  manifest: Manifest;
  totals: RedactionCounts;
  /** Entry name → learned values it must be searched for in the finished archive. */
  late: Map<string, string[]>;
  /** Every value learned (for a second attempt). */
  learned: [string, string][];
}

function addCounts(into: RedactionCounts, from: RedactionCounts): void {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
}

/** Lines of text, each checked by the residual scan (the documents are small). */
function checkResidual(redactor: Redactor, binary: string, entry: string): void {
  const lines = binary.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const hit = redactor.residual(lines[i] ?? '');
    if (hit) throw new ResidualSecretError(entry, hit.rule, i + 1);
  }
}

function tailNote(f: PlannedLog): string | undefined {
  return f.start > 0
    ? `[upwork-doctor] ${f.start} bytes were cut from the start of this file to fit the bundle's size budget; it keeps the last ${f.size - f.start} bytes (the first partial line dropped).\n`
    : undefined;
}

/** Remove the partial file if the process exits or is terminated half-way. */
function guardPartial(partial: string): () => void {
  const onExit = () => {
    try {
      unlinkSync(partial);
    } catch {
      // already gone
    }
  };
  const onTerm = () => {
    onExit();
    process.exit(ExitCode.Cancelled);
  };
  process.once('exit', onExit);
  process.once('SIGTERM', onTerm);
  return () => {
    process.removeListener('exit', onExit);
    process.removeListener('SIGTERM', onTerm);
  };
}

class Recorder {
  readonly entries: ManifestEntry[] = [];
  readonly totals: RedactionCounts = {};
  constructor(private readonly redactor: Redactor) {}
  /** Names and sources can hold a user name too (a log named after its user). */
  safe(s: string): string {
    return fromBinary(this.redactor.redactLine(toBinary(s)));
  }
  add(e: ManifestEntry): void {
    e.source = this.safe(e.source);
    if (e.detail) e.detail = this.safe(e.detail);
    this.entries.push(e);
    if (e.redactions) addCounts(this.totals, e.redactions);
  }
}

/** A log job stopped by `cancel`: in a worker (ECANCELED, see describeJobError) or inline. */
const isCancelled = (e: unknown) =>
  (e as NodeJS.ErrnoException)?.code === 'ECANCELED' || (e as Error)?.name === 'AbortError';

async function writeLogs(
  input: WriteInput,
  writer: BundleWriter,
  lanes: LogLanes,
  rec: Recorder,
): Promise<Map<number, string>> {
  const maxBytes = Math.floor(input.maxSizeMB * 1_000_000);
  const names = new Map<number, string>();
  const runs: [PlannedLog, LogRun][] = input.plan.logs.map((f, id) => {
    const note = tailNote(f);
    const job = { id, file: f.file, entry: f.name, start: f.start, size: f.size, ...(note ? { note } : {}) };
    return [f, lanes.submit(job)];
  });
  for (const [f, run] of runs) {
    const base = { category: 'logs' as const, source: f.source, sourceSize: f.size };
    if (writer.pointer() + Math.min(f.estimate, 1024) > maxBytes - RESERVE) {
      lanes.cancel(run);
      rec.add({ ...base, outcome: 'skipped', reason: 'too-large', detail: 'the size budget was spent' });
      continue;
    }
    const name = rec.safe(f.name);
    let stored: Stored;
    try {
      stored = await writer.add(name, run.entry, new Date(f.mtimeMs));
    } catch (e) {
      // An archive that failed (a full disk) takes nothing more: the log's worker, waiting for
      // room, is stopped rather than waited for; its own error, if it had one, is the cause.
      lanes.cancel(run);
      const err = await run.result.then(
        () => e,
        (re: unknown) => (isCancelled(re) ? e : re),
      );
      if (err instanceof ResidualSecretError || writer.failed()) throw err;
      rec.add({ ...base, outcome: 'skipped', reason: skipReasonFor(err) });
      continue;
    }
    // This log's chunks, moved here from its worker, are written: garbage now.
    collectGarbage('minor');
    const { counts } = await run.result;
    const redacted = Object.keys(counts).length > 0;
    names.set(run.job.id, name);
    rec.add({
      ...base,
      name,
      outcome: f.start > 0 ? 'tailed' : redacted ? 'redacted' : 'copied',
      ...stored,
      sourceModified: new Date(f.mtimeMs).toISOString(),
      ...(f.start > 0 ? { bytesDropped: f.start } : {}),
      ...(redacted ? { redactions: counts } : {}),
    });
  }
  return names;
}

async function writeDocs(
  input: WriteInput,
  writer: BundleWriter,
  rec: Recorder,
  redactor: Redactor,
): Promise<void> {
  const now = new Date(input.ctx.now());
  for (const d of input.plan.docs) {
    redactor.takeCounts();
    const text =
      d.text !== undefined
        ? redactor.redactBinaryText(toBinary(d.text))
        : toBinary(`${JSON.stringify(redactor.redactJson(d.value), null, 2)}\n`);
    checkResidual(redactor, text, d.name);
    const counts = redactor.takeCounts();
    const data = d.text !== undefined ? Buffer.from(text, 'latin1') : Buffer.from(fromBinary(text), 'utf8');
    const stored = await writer.addBuffer(d.name, data, now);
    const redacted = Object.keys(counts).length > 0;
    rec.add({
      name: d.name,
      category: d.category,
      source: d.source,
      outcome: redacted ? 'redacted' : 'generated',
      ...stored,
      ...(redacted ? { redactions: counts } : {}),
    });
  }
}

async function writeScreenshots(input: WriteInput, writer: BundleWriter, rec: Recorder): Promise<void> {
  if (!input.includeScreenshots) return;
  const maxBytes = Math.floor(input.maxSizeMB * 1_000_000);
  for (const s of input.plan.screenshots) {
    const base = { category: 'screenshots' as const, source: `<data>/Upwork/Cache/${s.rel}` };
    if (writer.pointer() + s.size > maxBytes - RESERVE) {
      rec.add({ ...base, outcome: 'skipped', reason: 'too-large', sourceSize: s.size });
      continue;
    }
    let fh;
    try {
      fh = await open(s.file, 'r');
    } catch (e) {
      rec.add({ ...base, outcome: 'skipped', reason: skipReasonFor(e) });
      continue;
    }
    try {
      const name = rec.safe(`cache/${s.rel}`);
      const src = fh.createReadStream({ start: 0, end: Math.max(0, s.size - 1), autoClose: false });
      const stored = await writer.addStream(name, src, new Date(s.mtimeMs));
      rec.add({ ...base, name, outcome: 'copied', ...stored, sourceSize: s.size });
    } finally {
      await fh.close();
    }
  }
}

function manifestOf(input: WriteInput, rec: Recorder, distinct: number): Manifest {
  const { ctx } = input;
  return {
    manifestVersion: MANIFEST_VERSION,
    tool: { name: TOOL_NAME, version: toolVersion() },
    ticket: input.ticket ?? null,
    createdAt: new Date(ctx.now()).toISOString(),
    hostId: hostHash(ctx.hostname),
    platform: ctx.platform,
    target: { kind: input.targetKind },
    options: {
      maxSizeMB: input.maxSizeMB,
      since: input.since ?? null,
      includeScreenshots: input.includeScreenshots,
      encrypted: Boolean(input.recipient),
    },
    redaction: { rulesVersion: REDACTION_RULES_VERSION, totals: rec.totals, distinctValues: distinct },
    entries: rec.entries,
  };
}

/**
 * The manifest's text that comes from the user's world (entry names, sources, details, the ticket),
 * one value per line, for the residual check. Its keys, rule ids and enumerations are the doctor's
 * own words: checked too, a user called "home" or "cookie" would fail every bundle on the rule id
 * `home-path` or `cookie`, while nothing of theirs can hide there.
 */
export function manifestWorldText(m: Manifest): string {
  const values = [m.ticket ?? '', ...m.entries.flatMap((e) => [e.name ?? '', e.source, e.detail ?? ''])];
  return toBinary(values.join('\n'));
}

/** Late values per entry name, leaving out values a rule finds wherever they stand. */
function lateByName(lanes: LogLanes, names: Map<number, string>, redactor: Redactor): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [id, values] of lanes.lateValues()) {
    const name = names.get(id);
    const open = values.filter((v) => !redactor.findsAnywhere(v));
    if (name && open.length) out.set(name, open);
  }
  return out;
}

export async function writeBundle(input: WriteInput): Promise<Written> {
  const { plan } = input;
  const redactor = plan.redactor;
  if (input.extraLiterals) redactor.addLiterals(input.extraLiterals);
  input.progress.setTotal(plan.logBytes);
  input.ctx.logger.progress(
    `bundle: logs ${plan.logs.length} file${plan.logs.length === 1 ? '' : 's'}: reading, redacting and compressing…`,
  );
  const lanes = LogLanes.start(redactor.seed(), plan.logs.length, (job, read) =>
    input.progress.read(job.id, read, job.entry),
  );
  const writer = await BundleWriter.create(input.partial, input.recipient);
  const unguard = guardPartial(input.partial);
  try {
    const rec = new Recorder(redactor);
    for (const s of plan.skipped) rec.add(s);
    const names = await writeLogs(input, writer, lanes, rec);
    input.progress.finish();
    // The documents go in after the logs, so every value the logs taught is replaced in them too.
    const learned = lanes.allLearned();
    redactor.addLiterals(learned);
    await writeDocs(input, writer, rec, redactor);
    await writeScreenshots(input, writer, rec);
    const manifest = manifestOf(input, rec, redactor.learnedCount + lanes.freshCount());
    const text = toBinary(`${JSON.stringify(manifest, null, 2)}\n`);
    checkResidual(redactor, manifestWorldText(manifest), MANIFEST_NAME);
    await writer.addBuffer(MANIFEST_NAME, Buffer.from(fromBinary(text), 'utf8'), new Date(input.ctx.now()));
    input.ctx.logger.progress('bundle: sealing…');
    const stored = await writer.finish();
    return { ...stored, manifest, totals: rec.totals, late: lateByName(lanes, names, redactor), learned };
  } catch (e) {
    await writer.abort();
    throw e;
  } finally {
    unguard();
    await lanes.close();
  }
}
