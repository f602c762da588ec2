/**
 * `inspect`: what a support agent does with a bundle. Decrypt it (into a private temporary folder
 * only), verify every entry against the manifest, summarise it (host, tracker version, findings,
 * cache state, the timeline of the last hours of logs) and re-run today's checks on the bundled
 * facts. One streaming pass over the archive (or the unzipped folder); nothing is extracted.
 * Only reading lives here: render-text.ts (and the HTML report) render an InspectResult.
 */
import crypto from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { Context } from '../../core/context.js';
import { UserError } from '../../core/errors.js';
import type { Facts } from '../../core/facts.js';
import { parseFactsText } from '../../core/facts-file.js';
import { escapeControl } from '../../core/format.js';
import { firstSchemaProblem, jsonDepth } from '../../core/json-check.js';
import type { Finding } from '../../core/finding.js';
import { runChecks, summarize } from '../../core/runner.js';
import type { Summary } from '../../core/runner.js';
import { checks as allChecks } from '../../checks/index.js';
import type { Manifest } from '../bundle/manifest.js';
import { MANIFEST_NAME } from '../bundle/manifest.js';
import { readBundleEntries } from './entries.js';
import { LogTail, TimelineCollector } from './timeline.js';
import type { TimelineEvent } from './timeline.js';

export type { TimelineEvent } from './timeline.js';

/** JSON entries kept in memory for the summary; anything bigger is only hashed. */
const MAX_JSON = 64 * 1024 * 1024;
const KEEP_JSON = new Set([
  MANIFEST_NAME,
  'report.json',
  'facts.json',
  'cache/cache.json',
  'system/system.json',
]);

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
  /** Read from a folder (an unzipped bundle) rather than the zip. */
  folder: boolean;
  manifest: Manifest;
  verification: Verification;
  /** Parts of the bundle that could not be read (damaged JSON, wrong shape); any makes the exit code 2. */
  problems: string[];
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

/**
 * One entry: its sha256 and size; a JSON part is kept (bounded); a log goes to its tail for the
 * timeline. Nothing else is done per byte, so verifying runs at inflate + sha256 speed.
 */
async function consumeEntry(
  name: string,
  stream: Readable,
  keep: boolean,
  tail: LogTail | undefined,
): Promise<{ sha256: string; size: number; data?: Buffer }> {
  const h = crypto.createHash('sha256');
  let size = 0;
  const chunks: Buffer[] = [];
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
    tail?.push(chunk);
  }
  return { sha256: h.digest('hex'), size, ...(keep ? { data: Buffer.concat(chunks) } : {}) };
}

/** The parts of a bundle's JSON that inspect reads; extra fields are allowed (a newer doctor may add some). */
const str = { type: 'string' };
const num = { type: 'number' };
const MANIFEST_SCHEMA = {
  type: 'object',
  required: ['tool', 'createdAt', 'target', 'redaction', 'entries'],
  properties: {
    tool: { type: 'object', required: ['name', 'version'], properties: { name: str, version: str } },
    ticket: { type: ['string', 'null'] },
    createdAt: str,
    hostId: str,
    platform: str,
    target: { type: 'object', required: ['kind'], properties: { kind: str } },
    redaction: { type: 'object', required: ['rulesVersion'], properties: { rulesVersion: str } },
    entries: {
      type: 'array',
      items: {
        type: 'object',
        required: ['outcome'],
        properties: { name: str, outcome: str, sha256: str, size: num, reason: str },
      },
    },
  },
};
const BRIEF_FINDING = {
  type: 'object',
  required: ['id', 'status', 'code', 'summary'],
  properties: { id: str, status: str, code: str, summary: str },
};
const REPORT_SCHEMA = {
  type: 'object',
  properties: {
    host: { type: 'object' },
    summary: {
      type: 'object',
      required: ['pass', 'warn', 'fail', 'skip', 'error', 'timeout'],
      properties: Object.fromEntries(
        ['pass', 'warn', 'fail', 'skip', 'error', 'timeout', 'total'].map((k) => [k, num]),
      ),
    },
    findings: { type: 'array', items: BRIEF_FINDING },
  },
};
const CACHE_SCHEMA = {
  type: 'object',
  properties: {
    totals: { type: 'object', properties: { files: num, bytes: num } },
    cacheFact: { type: ['object', 'null'], properties: { state: str, value: { type: 'object' } } },
  },
};

/** Deeper than any part a bundle holds; also keeps JSON.stringify of the result off the stack limit. */
const MAX_DEPTH = 64;

/** A JSON part of the bundle, checked; a damaged part gives its problem in words instead. */
async function readPart<T>(
  data: Buffer | undefined,
  name: string,
  schema: object,
): Promise<{ value?: T; problem?: string }> {
  if (!data) return {};
  const text = data.toString('utf8');
  const damaged = (why: string) => ({ problem: `${name} in the bundle is damaged: ${why}` });
  if (jsonDepth(text) > MAX_DEPTH) return damaged(`it nests deeper than ${MAX_DEPTH} levels`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return damaged('it is not valid JSON');
  }
  const problem = await firstSchemaProblem(schema, value);
  return problem ? damaged(problem) : { value: value as T };
}

/** facts.json, validated against the facts schema; its problem is why the checks are not re-run. */
async function readFacts(data: Buffer | undefined): Promise<{ facts?: Facts; problem?: string }> {
  if (!data) return {};
  try {
    return { facts: await parseFactsText(data.toString('utf8'), 'facts.json in the bundle') };
  } catch (e) {
    if (e instanceof UserError) return { problem: e.message.replace(/ \(make one with --record\)\.?$/, '') };
    throw e;
  }
}

const brief = (f: Finding | Pick<Finding, 'id' | 'status' | 'code' | 'summary'>) => ({
  id: f.id,
  status: f.status,
  code: f.code,
  summary: f.summary,
});

/** Every listed entry against what the bundle holds. */
function verify(manifest: Manifest, actual: Map<string, { sha256: string; size: number }>): Verification {
  const v: Verification = { ok: true, checked: 0, modified: [], missing: [], unexpected: [] };
  const listed = new Set<string>([MANIFEST_NAME]);
  for (const e of manifest.entries) {
    if (!e.name || e.outcome === 'skipped') continue;
    listed.add(e.name);
    const a = actual.get(e.name);
    v.checked++;
    if (!a) v.missing.push(e.name);
    else if (a.sha256 !== e.sha256 || a.size !== e.size)
      v.modified.push({ name: e.name, expected: e.sha256 ?? '?', actual: a.sha256 });
  }
  for (const name of actual.keys()) if (!listed.has(name)) v.unexpected.push(name);
  v.ok = v.missing.length === 0 && v.modified.length === 0 && v.unexpected.length === 0;
  return v;
}

/** Today's checks on the bundled facts. */
async function rerunChecks(facts: Facts, ctx: Context): Promise<InspectResult['rerun']> {
  const r = await runChecks({
    ctx,
    checks: allChecks,
    collectors: new Map(),
    target: facts.target,
    givenFacts: facts,
    deadlineMs: 15_000,
  });
  return { summary: summarize(r.findings), findings: r.findings.map(brief) };
}

/** Entries inflated and hashed at once: zlib inflates on the thread pool, one core each. */
const CONCURRENCY = Math.max(1, Math.min(os.availableParallelism(), 4));

/** One pass over the entries: hashes and sizes of all, the JSON parts kept, the logs' tails to the timeline. */
async function readEntries(file: string, key: string | undefined, tmp: string) {
  const actual = new Map<string, { sha256: string; size: number }>();
  const kept = new Map<string, Buffer>();
  const timeline = new TimelineCollector();
  const how = await readBundleEntries(file, { key, tmp, concurrency: CONCURRENCY }, async (entry, stream) => {
    const tail = entry.name.startsWith('logs/') ? new LogTail(entry.name, entry.index) : undefined;
    const r = await consumeEntry(entry.name, stream, KEEP_JSON.has(entry.name), tail);
    actual.set(entry.name, { sha256: r.sha256, size: r.size });
    if (r.data) kept.set(entry.name, r.data);
    if (tail) timeline.add(tail);
  });
  return { ...how, actual, kept, timeline };
}

/**
 * Read a bundle (a .zip, an encrypted .zip.p7m with `key`, or the folder an unzipped bundle
 * makes): verify it, summarise it and re-run today's checks on its facts. Pure reading: the
 * renderers (render-text.ts, the HTML report) turn the result into words.
 */
export async function inspectBundle(
  file: string,
  opts: { key?: string; hours: number; ctx: Context },
): Promise<InspectResult> {
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'upwork-doctor-inspect-'));
  try {
    const { encrypted, folder, actual, kept, timeline } = await readEntries(file, opts.key, tmp);
    const m = await readPart<Manifest>(kept.get(MANIFEST_NAME), MANIFEST_NAME, MANIFEST_SCHEMA);
    if (!m.value)
      throw new UserError(
        m.problem
          ? `${escapeControl(file)}: ${m.problem}, so nothing in it can be verified.`
          : `${escapeControl(file)} has no manifest.json, so it is not an upwork-doctor bundle (or it was damaged).`,
      );
    const manifest = m.value;
    const report = await readPart<RecordedReport>(kept.get('report.json'), 'report.json', REPORT_SCHEMA);
    const cache = await readPart<Record<string, unknown>>(
      kept.get('cache/cache.json'),
      'cache/cache.json',
      CACHE_SCHEMA,
    );
    const facts = await readFacts(kept.get('facts.json'));
    const rerun = facts.facts ? await rerunChecks(facts.facts, opts.ctx) : null;
    const rerunError = facts.facts ? undefined : (facts.problem ?? 'the bundle has no facts.json');
    const problems = [report.problem, cache.problem, facts.problem].filter((p): p is string => Boolean(p));
    return {
      file,
      encrypted,
      folder,
      manifest,
      verification: verify(manifest, actual),
      problems,
      host: { ...(report.value?.host ?? {}), hostId: manifest.hostId, platform: manifest.platform },
      trackerVersion: timeline.version,
      recorded: {
        summary: report.value?.summary ?? null,
        findings: (report.value?.findings ?? []).map(brief),
      },
      rerun,
      ...(rerunError ? { rerunError } : {}),
      cache: cache.value ?? null,
      timeline: timeline.recent(opts.hours, { problems: true }),
      events: timeline.recent(opts.hours, { max: 400 }),
    };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

interface RecordedReport {
  host?: Record<string, unknown>;
  summary?: Summary;
  findings?: Finding[];
}
