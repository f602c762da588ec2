/**
 * `inspect`: what a support agent does with a bundle. Decrypt it (into a private temporary folder
 * only), verify every entry against the manifest, summarise it (host, tracker version, findings,
 * cache state, the timeline of the last hours of logs) and re-run today's checks on the bundled
 * facts. One streaming pass over the archive; nothing is extracted.
 */
import crypto from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { Context } from '../../core/context.js';
import { UserError } from '../../core/errors.js';
import type { Facts } from '../../core/facts.js';
import type { Finding } from '../../core/finding.js';
import { runChecks, summarize } from '../../core/runner.js';
import type { Summary } from '../../core/runner.js';
import { checks as allChecks } from '../../checks/index.js';
import type { Manifest } from '../bundle/manifest.js';
import { MANIFEST_NAME } from '../bundle/manifest.js';
import { LogParser } from '../../facts/logs.js';
import type { LogEntry } from '../../facts/logs.js';
import { readZipEntries } from './zip-reader.js';

/** JSON entries kept in memory for the summary; anything bigger is only hashed. */
const MAX_JSON = 64 * 1024 * 1024;
const KEEP_JSON = new Set([
  MANIFEST_NAME,
  'report.json',
  'facts.json',
  'cache/cache.json',
  'system/system.json',
]);

export interface TimelineEvent {
  time: string;
  /** The same moment in epoch ms as the log reader reads it (null when the stamp is unusable). */
  at: number | null;
  level: string;
  /** The log4js category (`upload`, `tracker`, `network`, …). */
  category: string;
  text: string;
  entry: string;
}

export interface Verification {
  ok: boolean;
  checked: number;
  modified: { name: string; expected: string; actual: string }[];
  missing: string[];
  unexpected: string[];
}

export interface InspectResult {
  file: string;
  encrypted: boolean;
  manifest: Manifest;
  verification: Verification;
  host: Record<string, unknown>;
  trackerVersion: string | null;
  recorded: { summary: Summary | null; findings: Pick<Finding, 'id' | 'status' | 'code' | 'summary'>[] };
  rerun: { summary: Summary; findings: Pick<Finding, 'id' | 'status' | 'code' | 'summary'>[] } | null;
  rerunError?: string;
  cache: Record<string, unknown> | null;
  /** Warnings and errors of the last hours of logs. */
  timeline: TimelineEvent[];
  /** Every event of the last hours of logs, any level (the HTML timeline classifies them). */
  events: TimelineEvent[];
}

const VERSION_RE = /\bUpwork (\d+\.\d+\.\d+(?:\.\d+)?)/;
const PROBLEM_LEVELS = new Set(['warn', 'error', 'fatal']);

/** The timeline of the bundled logs, read by the one log reader (src/facts/logs.ts), plus the tracker's version. */
class TimelineCollector {
  events: TimelineEvent[] = [];
  version: string | null = null;
  private readonly cap = 5_000;
  private readonly parsers = new Map<string, LogParser>();

  line(entry: string, line: string): void {
    if (!this.version) {
      const v = VERSION_RE.exec(line);
      if (v?.[1]) this.version = v[1];
    }
    let p = this.parsers.get(entry);
    if (!p) this.parsers.set(entry, (p = new LogParser()));
    this.add(entry, p.push(line));
  }

  end(entry: string): void {
    this.add(entry, this.parsers.get(entry)?.end() ?? []);
    this.parsers.delete(entry);
  }

  private add(entry: string, entries: LogEntry[]): void {
    for (const e of entries) {
      if (e.kind !== 'event') continue;
      const text = e.message.slice(0, 300);
      this.events.push({ time: e.time, at: e.at, level: e.level, category: e.category, text, entry });
    }
    if (this.events.length > this.cap * 2) this.trim();
  }

  private trim(): void {
    this.events.sort((a, b) => a.time.localeCompare(b.time));
    this.events = this.events.slice(-this.cap);
  }

  /** Events within `hours` of the newest one, oldest first, at most `max`; `problems` keeps warnings and errors only. */
  recent(hours: number, opts: { max?: number; problems?: boolean } = {}): TimelineEvent[] {
    this.trim();
    const lastMs = this.events.reduce((m, e) => Math.max(m, e.at ?? -Infinity), -Infinity);
    if (!Number.isFinite(lastMs)) return [];
    const from = lastMs - hours * 3600_000;
    return this.events
      .filter((e) => e.at !== null && e.at >= from && (!opts.problems || PROBLEM_LEVELS.has(e.level)))
      .slice(-(opts.max ?? 60));
  }
}

async function consumeEntry(
  name: string,
  stream: Readable,
  keep: boolean,
  timeline: TimelineCollector | undefined,
): Promise<{ sha256: string; size: number; data?: Buffer }> {
  const h = crypto.createHash('sha256');
  let size = 0;
  const chunks: Buffer[] = [];
  let carry = '';
  for await (const c of stream) {
    const chunk = c as Buffer;
    h.update(chunk);
    size += chunk.length;
    if (keep) {
      if (size > MAX_JSON)
        throw new UserError(
          `${name} in the bundle is larger than ${MAX_JSON / 1024 ** 2} MiB; refusing to load it.`,
        );
      chunks.push(chunk);
    }
    if (timeline) {
      const text = carry + chunk.toString('utf8');
      const lines = text.split('\n');
      carry = (lines.pop() ?? '').slice(-64 * 1024);
      for (const l of lines) timeline.line(name, l.replace(/\r$/, ''));
    }
  }
  if (timeline && carry) timeline.line(name, carry);
  timeline?.end(name);
  return { sha256: h.digest('hex'), size, ...(keep ? { data: Buffer.concat(chunks) } : {}) };
}

function parseJson<T>(data: Buffer | undefined, name: string): T | undefined {
  if (!data) return undefined;
  try {
    return JSON.parse(data.toString('utf8')) as T;
  } catch {
    throw new UserError(`${name} in the bundle is not valid JSON; the bundle is damaged.`);
  }
}

function validFacts(f: unknown): f is Facts {
  const x = f as Partial<Facts> | null;
  return Boolean(
    x &&
    typeof x === 'object' &&
    typeof x.factsVersion === 'number' &&
    typeof x.items === 'object' &&
    x.items !== null &&
    typeof x.target === 'object' &&
    typeof x.collectedAt === 'string',
  );
}

const brief = (f: Finding | Pick<Finding, 'id' | 'status' | 'code' | 'summary'>) => ({
  id: f.id,
  status: f.status,
  code: f.code,
  summary: f.summary,
});

/** Decrypt `file` into a private temporary folder when it is CMS; returns the zip to read. */
async function plainZip(
  file: string,
  keyFile: string | undefined,
  tmp: string,
): Promise<{ zip: string; encrypted: boolean }> {
  const fh = await open(file, 'r').catch((e: NodeJS.ErrnoException) => {
    throw new UserError(
      `Cannot read ${file}: ${e.code === 'ENOENT' ? 'no such file' : (e.code ?? 'unreadable')}.`,
    );
  });
  const head = Buffer.alloc(16);
  try {
    await fh.read(head, 0, 16, 0);
  } finally {
    await fh.close();
  }
  if (head[0] === 0x50 && head[1] === 0x4b) return { zip: file, encrypted: false };
  const { looksLikeCms, decryptCmsFile, CmsFormatError } = await import('../bundle/cms.js');
  if (!looksLikeCms(head)) throw new UserError(`${file} is neither a zip nor an encrypted (CMS) bundle.`);
  if (!keyFile) throw new UserError(`${file} is encrypted; pass --key with the support team's private key.`);
  let key: Buffer;
  try {
    key = await readFile(keyFile);
  } catch (e) {
    throw new UserError(
      `Cannot read --key ${keyFile}: ${(e as NodeJS.ErrnoException).code ?? 'unreadable'}.`,
    );
  }
  const out = path.join(tmp, 'bundle.zip');
  const ws = createWriteStream(out, { flags: 'wx', mode: 0o600 });
  try {
    await decryptCmsFile(file, key, ws);
    await new Promise<void>((resolve, reject) => ws.end((e?: Error | null) => (e ? reject(e) : resolve())));
  } catch (e) {
    ws.destroy();
    if (e instanceof CmsFormatError)
      throw new UserError(`${file} is not a valid encrypted bundle: ${e.message}.`);
    throw e;
  }
  return { zip: out, encrypted: true };
}

export async function inspectBundle(
  file: string,
  opts: { key?: string; hours: number; ctx: Context },
): Promise<InspectResult> {
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'upwork-doctor-inspect-'));
  try {
    const { zip, encrypted } = await plainZip(file, opts.key, tmp);
    const actual = new Map<string, { sha256: string; size: number }>();
    const kept = new Map<string, Buffer>();
    const timeline = new TimelineCollector();
    await readZipEntries(zip, async (entry, stream) => {
      const isLog = entry.name.startsWith('logs/');
      const r = await consumeEntry(
        entry.name,
        stream,
        KEEP_JSON.has(entry.name),
        isLog ? timeline : undefined,
      );
      actual.set(entry.name, { sha256: r.sha256, size: r.size });
      if (r.data) kept.set(entry.name, r.data);
    });
    const manifest = parseJson<Manifest>(kept.get(MANIFEST_NAME), MANIFEST_NAME);
    if (!manifest || !Array.isArray(manifest.entries))
      throw new UserError(
        `${file} has no manifest.json, so it is not an upwork-doctor bundle (or it was damaged).`,
      );

    const verification: Verification = { ok: true, checked: 0, modified: [], missing: [], unexpected: [] };
    const listed = new Set<string>([MANIFEST_NAME]);
    for (const e of manifest.entries) {
      if (!e.name || e.outcome === 'skipped') continue;
      listed.add(e.name);
      const a = actual.get(e.name);
      verification.checked++;
      if (!a) verification.missing.push(e.name);
      else if (a.sha256 !== e.sha256 || a.size !== e.size)
        verification.modified.push({ name: e.name, expected: e.sha256 ?? '?', actual: a.sha256 });
    }
    for (const name of actual.keys()) if (!listed.has(name)) verification.unexpected.push(name);
    verification.ok =
      verification.missing.length === 0 &&
      verification.modified.length === 0 &&
      verification.unexpected.length === 0;

    const report = parseJson<{ host?: Record<string, unknown>; summary?: Summary; findings?: Finding[] }>(
      kept.get('report.json'),
      'report.json',
    );
    const factsRaw = parseJson<unknown>(kept.get('facts.json'), 'facts.json');
    const cache =
      parseJson<Record<string, unknown>>(kept.get('cache/cache.json'), 'cache/cache.json') ?? null;

    let rerun: InspectResult['rerun'] = null;
    let rerunError: string | undefined;
    if (validFacts(factsRaw)) {
      const r = await runChecks({
        ctx: opts.ctx,
        checks: allChecks,
        collectors: new Map(),
        target: factsRaw.target,
        givenFacts: factsRaw,
        deadlineMs: 15_000,
      });
      rerun = { summary: summarize(r.findings), findings: r.findings.map(brief) };
    } else {
      rerunError =
        factsRaw === undefined ? 'the bundle has no facts.json' : 'facts.json is not a facts snapshot';
    }

    return {
      file,
      encrypted,
      manifest,
      verification,
      host: { ...(report?.host ?? {}), hostId: manifest.hostId, platform: manifest.platform },
      trackerVersion: timeline.version,
      recorded: { summary: report?.summary ?? null, findings: (report?.findings ?? []).map(brief) },
      rerun,
      ...(rerunError ? { rerunError } : {}),
      cache,
      timeline: timeline.recent(opts.hours, { problems: true }),
      events: timeline.recent(opts.hours, { max: 400 }),
    };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

const SYM: Record<string, string> = {
  pass: 'ok  ',
  warn: 'WARN',
  fail: 'FAIL',
  skip: 'skip',
  error: 'ERR ',
  timeout: 'TIME',
};

export function renderInspect(r: InspectResult, hours: number): string {
  const m = r.manifest;
  const out: string[] = [];
  out.push(`Bundle ${path.basename(r.file)}${r.encrypted ? ' (decrypted)' : ''}`);
  out.push(
    `  ticket ${m.ticket ?? '-'} · made ${m.createdAt} by ${m.tool.name} ${m.tool.version} · redaction rules ${m.redaction.rulesVersion}`,
  );
  const v = r.verification;
  out.push(
    v.ok
      ? `Integrity: OK, all ${v.checked} entries match the manifest.`
      : `Integrity: FAILED: ${v.modified.length} modified, ${v.missing.length} missing, ${v.unexpected.length} not in the manifest.`,
  );
  for (const x of v.modified) out.push(`  modified: ${x.name}`);
  for (const x of v.missing) out.push(`  missing: ${x}`);
  for (const x of v.unexpected) out.push(`  not in the manifest: ${x}`);
  const skipped = m.entries.filter((e) => e.outcome === 'skipped');
  const tailed = m.entries.filter((e) => e.outcome === 'tailed');
  if (skipped.length)
    out.push(
      `  ${skipped.length} source(s) skipped: ${[...new Set(skipped.map((e) => e.reason))].join(', ')}`,
    );
  if (tailed.length) out.push(`  ${tailed.length} log(s) cut to their tail to fit the size budget`);
  out.push('');
  const h = r.host;
  out.push(
    `Host: ${String(h.hostname ?? '<host>')} (id ${String(h.hostId)}) · ${String(h.os ?? h.platform ?? '?')}/${String(h.arch ?? '?')} · Node ${String(h.node ?? '?')}`,
  );
  out.push(`Tracker version: ${r.trackerVersion ?? 'not found in the logs'} · target ${m.target.kind}`);
  out.push('');
  const section = (title: string, s: Summary | null, f: InspectResult['recorded']['findings']) => {
    out.push(
      `${title}${s ? `: ${s.pass} passed, ${s.warn} warnings, ${s.fail} failed, ${s.skip} skipped, ${s.error + s.timeout} errors` : ''}`,
    );
    for (const x of f)
      if (x.status !== 'pass') out.push(`  ${SYM[x.status] ?? x.status} ${x.id} (${x.code}): ${x.summary}`);
  };
  section('Findings when the bundle was made', r.recorded.summary, r.recorded.findings);
  if (r.rerun) section('Checks re-run now on the bundled facts', r.rerun.summary, r.rerun.findings);
  else out.push(`Checks not re-run: ${r.rerunError ?? 'no facts'}.`);
  out.push('');
  if (r.cache) {
    const t = r.cache.totals as { files?: number; bytes?: number } | undefined;
    out.push(`Cache: ${t?.files ?? 0} files, ${t?.bytes ?? 0} bytes (metadata only).`);
    const fact = r.cache.cacheFact as { state?: string; value?: Record<string, unknown> } | null | undefined;
    if (fact?.state === 'collected' && fact.value) {
      for (const [k, val] of Object.entries(fact.value))
        if (val === null || ['string', 'number', 'boolean'].includes(typeof val))
          out.push(`  ${k}: ${String(val)}`);
    } else if (fact) out.push(`  cache facts: ${fact.state ?? 'unknown'}`);
  } else out.push('Cache: no cache metadata in the bundle.');
  out.push('');
  out.push(`Timeline (warnings and errors in the last ${hours} h of logs):`);
  if (r.timeline.length === 0) out.push('  nothing');
  for (const e of r.timeline) out.push(`  ${e.time} ${e.level.toUpperCase().padEnd(5)} ${e.text}`);
  return `${out.join('\n')}\n`;
}
