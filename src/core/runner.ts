/**
 * The runner: collectors and checks start concurrently on a bounded pool. A check starts as soon as
 * the facts it needs are in. Each collector and check has its own timeout and the run has one
 * global deadline; a crash or timeout becomes a finding and the run goes on. Findings come out in
 * the order of the check list, whatever order they finished in.
 */
import type { Check } from './check.js';
import type { Collector, RunOptions } from './collector.js';
import { NotCollectedError } from './collector.js';
import type { Context } from './context.js';
import { errorMessage } from './errors.js';
import { ExitCode } from './exit-codes.js';
import type { Fact, FactKey, FactSource, Facts, TargetInfo } from './facts.js';
import { FACTS_VERSION, notCollected } from './facts.js';
import type { Finding, CheckOutcome } from './finding.js';
import { remediation } from './finding.js';

export interface RunConfig {
  ctx: Context;
  checks: readonly Check[];
  collectors: ReadonlyMap<string, Collector>;
  target: TargetInfo;
  options?: RunOptions;
  /** The global deadline, ms (default 15 000). */
  deadlineMs?: number;
  /** Pool size (default 8). */
  concurrency?: number;
  /** Default per-check timeout, ms (default 5 000). */
  checkTimeoutMs?: number;
  /** After how long a still-running unit is announced on stderr (default 2 000). */
  slowNoticeMs?: number;
  /** Facts already collected (e.g. --facts replay); collectors for these keys do not run. */
  givenFacts?: Facts;
}

export interface RunResult {
  facts: Facts;
  findings: Finding[];
  /** The global deadline cut the run short. */
  deadlineHit: boolean;
  startedAt: string;
  durationMs: number;
}

/** A tiny counting semaphore: the bounded pool. */
class Pool {
  private active = 0;
  private readonly queue: (() => void)[] = [];
  constructor(private readonly size: number) {}
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.size) await new Promise<void>((r) => this.queue.push(r));
    this.active++;
    try {
      return await fn();
    } finally {
      this.active--;
      this.queue.shift()?.();
    }
  }
}

type Race<T> =
  { kind: 'done'; value: T } | { kind: 'error'; error: unknown } | { kind: 'timeout' } | { kind: 'deadline' };

/** Run `fn` against its own timeout and the global deadline, without ever rejecting. */
function race<T>(
  fn: (signal: AbortSignal) => Promise<T>,
  timeoutMs: number,
  deadline: AbortSignal,
): Promise<Race<T>> {
  if (deadline.aborted) return Promise.resolve({ kind: 'deadline' });
  const ac = new AbortController();
  return new Promise((resolve) => {
    let settled = false;
    const finish = (r: Race<T>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      deadline.removeEventListener('abort', onDeadline);
      if (r.kind !== 'done' && r.kind !== 'error') ac.abort();
      resolve(r);
    };
    const timer = setTimeout(() => finish({ kind: 'timeout' }), timeoutMs);
    const onDeadline = () => finish({ kind: 'deadline' });
    deadline.addEventListener('abort', onDeadline, { once: true });
    Promise.resolve()
      .then(() => fn(ac.signal))
      .then(
        (value) => finish({ kind: 'done', value }),
        (error: unknown) => finish({ kind: 'error', error }),
      );
  });
}

interface Running {
  label: string;
  startedAt: number;
  waitingOn: string;
  announced: boolean;
}

export async function runChecks(config: RunConfig): Promise<RunResult> {
  const { ctx, checks, collectors, target } = config;
  const options = config.options ?? {};
  const deadlineMs = config.deadlineMs ?? 15_000;
  const checkTimeoutMs = config.checkTimeoutMs ?? 5_000;
  const slowNoticeMs = config.slowNoticeMs ?? 2_000;
  const pool = new Pool(Math.max(1, config.concurrency ?? 8));
  const t0 = ctx.monotonic();
  const startedAt = new Date(ctx.now()).toISOString();

  const deadline = new AbortController();
  const deadlineTimer = setTimeout(() => deadline.abort(), deadlineMs);

  const running = new Set<Running>();
  const slowTimer = setInterval(
    () => {
      const now = ctx.monotonic();
      for (const r of running) {
        if (!r.announced && now - r.startedAt >= slowNoticeMs) {
          r.announced = true;
          ctx.logger.progress(
            `… still running: ${r.label}${r.waitingOn ? ` (waiting on ${r.waitingOn})` : ''}`,
          );
        }
      }
    },
    Math.max(50, Math.min(500, slowNoticeMs / 4)),
  );

  const items: Facts['items'] = {};
  const facts: Facts = {
    factsVersion: FACTS_VERSION,
    collectedAt: startedAt,
    platform: ctx.platform,
    target,
    host: { hostname: ctx.hostname, os: ctx.platform, arch: ctx.arch, node: process.version },
    items,
  };
  if (config.givenFacts) {
    Object.assign(items, config.givenFacts.items);
    facts.collectedAt = config.givenFacts.collectedAt;
    facts.platform = config.givenFacts.platform;
    facts.target = config.givenFacts.target;
    facts.host = config.givenFacts.host;
    facts.factsVersion = config.givenFacts.factsVersion;
  }

  const factPromises = new Map<string, Promise<void>>();
  const collectFact = (key: FactKey): Promise<void> => {
    const existing = factPromises.get(key);
    if (existing) return existing;
    let p: Promise<void>;
    if (items[key]) {
      p = Promise.resolve();
    } else {
      const collector = collectors.get(key);
      if (!collector) {
        (items as Record<string, Fact<unknown>>)[key] = notCollected(
          'error',
          `no collector provides "${key}"`,
        );
        p = Promise.resolve();
      } else if (collector.platforms && !collector.platforms.includes(ctx.platform as 'linux')) {
        (items as Record<string, Fact<unknown>>)[key] = notCollected(
          'not-applicable',
          `${collector.title} is not collected on ${ctx.platform}`,
        );
        p = Promise.resolve();
      } else {
        p = pool.run(async () => {
          const sources: FactSource[] = [];
          const entry: Running = {
            label: `collecting ${collector.title}`,
            startedAt: ctx.monotonic(),
            waitingOn: '',
            announced: false,
          };
          running.add(entry);
          const r = await race(
            (signal) =>
              collector.collect({
                ctx,
                target: facts.target,
                options,
                signal,
                source: (kind, ref) => void sources.push({ kind, ref }),
                waitingOn: (what) => void (entry.waitingOn = what),
              }),
            collector.timeoutMs,
            deadline.signal,
          );
          running.delete(entry);
          const durationMs = Math.round(ctx.monotonic() - entry.startedAt);
          let fact: Fact<unknown>;
          if (r.kind === 'done') fact = { state: 'collected', value: r.value, sources, durationMs };
          else if (r.kind === 'error' && r.error instanceof NotCollectedError)
            fact = notCollected(
              r.error.reason,
              r.error.message,
              [...sources, ...r.error.sources],
              durationMs,
            );
          else if (r.kind === 'error')
            fact = notCollected(
              'error',
              `${collector.title} failed: ${errorMessage(r.error)}`,
              sources,
              durationMs,
            );
          else if (r.kind === 'timeout')
            fact = notCollected(
              'timeout',
              `${collector.title} did not finish within ${collector.timeoutMs} ms`,
              sources,
              durationMs,
            );
          else
            fact = notCollected(
              'timeout',
              `${collector.title} was cut short by the run's deadline`,
              sources,
              durationMs,
            );
          (items as Record<string, Fact<unknown>>)[key] = fact;
        });
      }
    }
    factPromises.set(key, p);
    return p;
  };

  const runOne = async (check: Check): Promise<Finding> => {
    await Promise.all(check.needs.map((k) => collectFact(k)));
    const base = {
      id: check.id,
      title: check.title,
      details: [] as string[],
      evidence: {} as Record<string, unknown>,
    };
    if (deadline.signal.aborted) {
      return {
        ...base,
        status: 'timeout',
        code: `${check.codePrefix}-TIMEOUT`,
        summary: `Not finished: the run's deadline (${deadlineMs / 1000} s) cut this check short.`,
        durationMs: 0,
      };
    }
    return pool.run(async () => {
      const entry: Running = { label: check.id, startedAt: ctx.monotonic(), waitingOn: '', announced: false };
      running.add(entry);
      const timeoutMs = check.timeoutMs ?? checkTimeoutMs;
      const r = await race<CheckOutcome>(async () => check.run(facts), timeoutMs, deadline.signal);
      running.delete(entry);
      const durationMs = Math.round(ctx.monotonic() - entry.startedAt);
      if (r.kind === 'done') {
        const o = r.value;
        return {
          ...base,
          status: o.status,
          code: o.code,
          summary: o.summary,
          details: o.details ?? [],
          evidence: o.evidence ?? {},
          ...(o.remediation ? { remediation: remediation(o.remediation) } : {}),
          durationMs,
        };
      }
      if (r.kind === 'error') {
        const stack = r.error instanceof Error ? r.error.stack : undefined;
        return {
          ...base,
          status: 'error',
          code: `${check.codePrefix}-CRASH`,
          summary: `The check itself failed: ${errorMessage(r.error)}. This is a bug in upwork-doctor, not a problem with your tracker.`,
          evidence: stack ? { stack } : {},
          durationMs,
        };
      }
      if (r.kind === 'timeout') {
        return {
          ...base,
          status: 'timeout',
          code: `${check.codePrefix}-TIMEOUT`,
          summary: `The check did not finish within ${timeoutMs / 1000} s.`,
          durationMs,
        };
      }
      return {
        ...base,
        status: 'timeout',
        code: `${check.codePrefix}-TIMEOUT`,
        summary: `Not finished: the run's deadline (${deadlineMs / 1000} s) cut this check short.`,
        durationMs,
      };
    });
  };

  // Every check resolves by the deadline: race() settles them all when it fires.
  const findings = await Promise.all(checks.map((c) => runOne(c)));
  clearTimeout(deadlineTimer);
  clearInterval(slowTimer);
  return {
    facts,
    findings,
    deadlineHit: deadline.signal.aborted,
    startedAt,
    durationMs: Math.round(ctx.monotonic() - t0),
  };
}

export interface Summary {
  pass: number;
  warn: number;
  fail: number;
  skip: number;
  error: number;
  timeout: number;
  total: number;
}

export function summarize(findings: readonly Finding[]): Summary {
  const s: Summary = { pass: 0, warn: 0, fail: 0, skip: 0, error: 0, timeout: 0, total: findings.length };
  for (const f of findings) s[f.status]++;
  return s;
}

/**
 * 3 when the deadline cut the run short; 2 when a check crashed or timed out (the tool failed);
 * 1 when a check failed (or warned, with --strict); else 0.
 */
export function exitCodeFor(result: Pick<RunResult, 'findings' | 'deadlineHit'>, strict = false): number {
  if (result.deadlineHit) return ExitCode.Deadline;
  const s = summarize(result.findings);
  if (s.error > 0 || s.timeout > 0) return ExitCode.Usage;
  if (s.fail > 0 || (strict && s.warn > 0)) return ExitCode.Failed;
  return ExitCode.Ok;
}
