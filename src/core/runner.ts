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

/** What one run shares between its collectors and checks. */
interface RunState {
  ctx: Context;
  pool: Pool;
  deadline: AbortSignal;
  deadlineMs: number;
  running: Set<Running>;
  facts: Facts;
}

/** Announce on stderr, once, every unit still running after `slowNoticeMs`. */
function startSlowNotices(ctx: Context, running: Set<Running>, slowNoticeMs: number): NodeJS.Timeout {
  return setInterval(
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
}

/** The empty snapshot of this run, or the recorded one (--facts) it starts from. */
function initialFacts(config: RunConfig, startedAt: string): Facts {
  const { ctx, target, givenFacts: given } = config;
  if (given) {
    return {
      factsVersion: given.factsVersion,
      collectedAt: given.collectedAt,
      platform: given.platform,
      target: given.target,
      host: given.host,
      items: { ...given.items },
    };
  }
  return {
    factsVersion: FACTS_VERSION,
    collectedAt: startedAt,
    platform: ctx.platform,
    target,
    host: { hostname: ctx.hostname, os: ctx.platform, arch: ctx.arch, node: process.version },
    items: {},
  };
}

/**
 * The options a collector may see. World collectors never get the engine's service URL or CA (they
 * measure the real service), except a simulable one under a named scenario: then its fact is
 * marked simulated by that scenario.
 */
export function optionsFor(
  collector: Pick<Collector, 'scope' | 'simulatedByScenario'>,
  target: TargetInfo,
  options: RunOptions,
): { options: RunOptions; simulated?: { scenario: string } } {
  if (collector.scope === 'tracker') return { options };
  const { serviceUrl, extraCaPem: _ca, ...world } = options;
  if (collector.simulatedByScenario && target.kind === 'scenario' && target.scenario && serviceUrl) {
    return { options, simulated: { scenario: target.scenario } };
  }
  return { options: world };
}

/** The fact a collector's race ended with. */
function factFrom(
  r: Race<unknown>,
  collector: Collector,
  sources: FactSource[],
  durationMs: number,
): Fact<unknown> {
  if (r.kind === 'done') return { state: 'collected', value: r.value, sources, durationMs };
  if (r.kind === 'error' && r.error instanceof NotCollectedError)
    return notCollected(r.error.reason, r.error.message, [...sources, ...r.error.sources], durationMs);
  if (r.kind === 'error')
    return notCollected('error', `${collector.title} failed: ${errorMessage(r.error)}`, sources, durationMs);
  const why =
    r.kind === 'timeout'
      ? `${collector.title} did not finish within ${collector.timeoutMs} ms`
      : `${collector.title} was cut short by the run's deadline`;
  return notCollected('timeout', why, sources, durationMs);
}

/** Run one collector on the pool and store its fact, marked with its scope (and simulation). */
async function runCollector(
  state: RunState,
  collector: Collector,
  options: RunOptions,
): Promise<Fact<unknown>> {
  const { ctx } = state;
  const given = optionsFor(collector, state.facts.target, options);
  return state.pool.run(async () => {
    const sources: FactSource[] = [];
    const entry: Running = {
      label: `collecting ${collector.title}`,
      startedAt: ctx.monotonic(),
      waitingOn: '',
      announced: false,
    };
    state.running.add(entry);
    const r = await race(
      (signal) =>
        collector.collect({
          ctx,
          target: state.facts.target,
          options: given.options,
          signal,
          source: (kind, ref) => void sources.push({ kind, ref }),
          waitingOn: (what) => void (entry.waitingOn = what),
        }),
      collector.timeoutMs,
      state.deadline,
    );
    state.running.delete(entry);
    const fact = factFrom(r, collector, sources, Math.round(ctx.monotonic() - entry.startedAt));
    return { ...fact, scope: collector.scope, ...(given.simulated ? { simulated: given.simulated } : {}) };
  });
}

/** Collect each fact once, however many checks need it. */
function factCollector(
  state: RunState,
  collectors: ReadonlyMap<string, Collector>,
  options: RunOptions,
): (key: FactKey) => Promise<void> {
  const promises = new Map<string, Promise<void>>();
  const items = state.facts.items as Record<string, Fact<unknown>>;
  const platform = state.ctx.platform;
  return (key) => {
    const existing = promises.get(key);
    if (existing) return existing;
    const collector = collectors.get(key);
    let p: Promise<void> = Promise.resolve();
    if (items[key]) {
      // already there (recorded facts)
    } else if (!collector) {
      items[key] = notCollected('error', `no collector provides "${key}"`);
    } else if (collector.platforms && !collector.platforms.includes(platform as 'linux')) {
      items[key] = {
        ...notCollected('not-applicable', `${collector.title} is not collected on ${platform}`),
        scope: collector.scope,
      };
    } else {
      p = runCollector(state, collector, options).then((f) => void (items[key] = f));
    }
    promises.set(key, p);
    return p;
  };
}

/** The finding for a check that did not complete. */
function unfinished(
  check: Check,
  kind: 'error' | 'timeout' | 'deadline',
  state: RunState,
  extra: {
    error?: unknown;
    timeoutMs?: number;
  },
): Pick<Finding, 'status' | 'code' | 'summary' | 'evidence'> {
  if (kind === 'error') {
    const stack = extra.error instanceof Error ? extra.error.stack : undefined;
    return {
      status: 'error',
      code: `${check.codePrefix}-CRASH`,
      summary: `The check itself failed: ${errorMessage(extra.error)}. This is a bug in upwork-doctor, not a problem with your tracker.`,
      evidence: stack ? { stack } : {},
    };
  }
  return {
    status: 'timeout',
    code: `${check.codePrefix}-TIMEOUT`,
    summary:
      kind === 'timeout'
        ? `The check did not finish within ${(extra.timeoutMs ?? 0) / 1000} s.`
        : `Not finished: the run's deadline (${state.deadlineMs / 1000} s) cut this check short.`,
    evidence: {},
  };
}

/** Whose world a finding speaks about: simulated by a scenario, or the reference tracker's. */
export function findingOrigin(
  check: Pick<Check, 'needs'>,
  facts: Facts,
): Pick<Finding, 'simulated' | 'referenceTracker'> {
  const used = check.needs.map((k) => facts.items[k]).filter((f) => f !== undefined);
  const simulated = used.find((f) => f.simulated)?.simulated;
  const reference = facts.target.reference === true && used.some((f) => f.scope === 'tracker');
  return { ...(simulated ? { simulated } : {}), ...(reference ? { referenceTracker: true } : {}) };
}

async function runCheck(state: RunState, check: Check, checkTimeoutMs: number): Promise<Finding> {
  const { ctx } = state;
  const base = { id: check.id, title: check.title, details: [] as string[] };
  if (state.deadline.aborted) return { ...base, ...unfinished(check, 'deadline', state, {}), durationMs: 0 };
  return state.pool.run(async () => {
    const entry: Running = { label: check.id, startedAt: ctx.monotonic(), waitingOn: '', announced: false };
    state.running.add(entry);
    const timeoutMs = check.timeoutMs ?? checkTimeoutMs;
    const r = await race<CheckOutcome>(async () => check.run(state.facts), timeoutMs, state.deadline);
    state.running.delete(entry);
    const durationMs = Math.round(ctx.monotonic() - entry.startedAt);
    const origin = findingOrigin(check, state.facts);
    if (r.kind !== 'done') {
      const kind = r.kind === 'error' ? 'error' : r.kind;
      const error = r.kind === 'error' ? r.error : undefined;
      return { ...base, ...unfinished(check, kind, state, { error, timeoutMs }), durationMs, ...origin };
    }
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
      ...origin,
    };
  });
}

export async function runChecks(config: RunConfig): Promise<RunResult> {
  const { ctx, checks, collectors } = config;
  const deadlineMs = config.deadlineMs ?? 15_000;
  const checkTimeoutMs = config.checkTimeoutMs ?? 5_000;
  const t0 = ctx.monotonic();
  const startedAt = new Date(ctx.now()).toISOString();

  const deadline = new AbortController();
  const deadlineTimer = setTimeout(() => deadline.abort(), deadlineMs);
  const running = new Set<Running>();
  const slowTimer = startSlowNotices(ctx, running, config.slowNoticeMs ?? 2_000);
  const state: RunState = {
    ctx,
    pool: new Pool(Math.max(1, config.concurrency ?? 8)),
    deadline: deadline.signal,
    deadlineMs,
    running,
    facts: initialFacts(config, startedAt),
  };
  const collectFact = factCollector(state, collectors, config.options ?? {});

  // Every check resolves by the deadline: race() settles them all when it fires.
  const findings = await Promise.all(
    checks.map(async (check) => {
      await Promise.all(check.needs.map((k) => collectFact(k)));
      return runCheck(state, check, checkTimeoutMs);
    }),
  );
  clearTimeout(deadlineTimer);
  clearInterval(slowTimer);
  return {
    facts: state.facts,
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
