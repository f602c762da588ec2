/**
 * Issue 11 item 3: what the person said about the app's status line, judged by cache-fullness like a
 * measured fact (facts in, finding out), and asked through the Context's prompts only when the run
 * is on a terminal, on the installed app, and nothing else settled the cache's state.
 */
import { describe, expect, it } from 'vitest';
import { cacheFullness } from '../../src/checks/cache-fullness.js';
import { askStatusWhenUnknown, shouldAsk } from '../../src/cli/status-question.js';
import { createTestContext } from '../../src/core/context.js';
import type { Prompts } from '../../src/core/context.js';
import type { Facts } from '../../src/core/facts.js';
import { runChecks } from '../../src/core/runner.js';
import type { StatusReport } from '../../src/facts/status-report.js';
import {
  SINCE_QUESTION,
  STATUS_QUESTION,
  askStatusReport,
  statusReportFact,
} from '../../src/facts/status-report.js';
import { unknownCacheFacts } from '../helpers/engine-facts.js';
import { makeFacts, missing } from '../helpers/facts.js';

/** Tuesday 2026-12-01 17:00 UTC: its week locks Monday 2026-12-07 12:00 UTC. */
const ASKED = '2026-12-01T17:00:00.000Z';

const unknownCache = unknownCacheFacts();

function said(status: StatusReport['status'], since: StatusReport['since'], askedAt = ASKED): StatusReport {
  return { askedAt, status, since, answers: [{ question: STATUS_QUESTION, answer: status }] };
}

function judge(report: StatusReport | undefined, cache: unknown = unknownCache) {
  const items = { cache, ...(report ? { statusReport: statusReportFact(report) } : {}) };
  return cacheFullness.run(makeFacts(items as never, { collectedAt: ASKED }));
}

describe('cache-fullness judges what the person said', () => {
  it.each([
    ['caching', 'over-24h', 'fail', 'UWD-CACHE-012', /at most 24 h/],
    ['caching', '6-24h', 'warn', 'UWD-CACHE-013', /reached in at most 18 h/],
    ['caching', '1-6h', 'warn', 'UWD-CACHE-013', /reached in 18–23 h/],
    ['caching', 'unknown', 'warn', 'UWD-CACHE-013', /not known/],
    ['uploading', '1-6h', 'warn', 'UWD-CACHE-014', /may be stuck/],
    ['uploading', 'unknown', 'warn', 'UWD-CACHE-014', /within an hour/],
    ['uploading', 'under-1h', 'pass', 'UWD-CACHE-015', /catching up/],
    ['online', '6-24h', 'pass', 'UWD-CACHE-015', /nothing is waiting to upload/],
    ['other', null, 'warn', 'UWD-CACHE-016', /Look at the status line/],
  ] as const)('%s for %s → %s %s', (status, since, verdict, code, text) => {
    const f = judge(said(status, since));
    expect([f.status, f.code]).toEqual([verdict, code]);
    expect(f.summary).toMatch(/^You said/);
    expect(f.details![0]).toMatch(/^You said: the status line /);
    expect(f.details![0]).toContain('asked 2026-12-01 17:00 UTC');
    expect(JSON.stringify([f.summary, f.details, f.remediation])).toMatch(text);
    expect(f.evidence).toMatchObject({ source: 'person', statusReport: { status } });
  });

  it('names the weekly lock the cached time falls under, counted from when the person was asked', () => {
    const tuesday = judge(said('caching', '6-24h'));
    expect(tuesday.details!.join('\n')).toMatch(/locks at 2026-12-07 12:00 UTC \(in 5\.8 days\)/);
    // Asked Monday 13:00 UTC, offline for 6–24 h: it may have started last week, whose diary locked at noon.
    const monday = judge(said('caching', '6-24h', '2026-12-07T13:00:00.000Z'));
    expect(monday.details!.join('\n')).toMatch(
      /locked at 2026-12-07 12:00 UTC: time cached from it can no longer be billed/,
    );
  });

  it('without an answer the skip stands; with one, the cache that could not be collected is judged too', () => {
    expect(judge(undefined).status).toBe('skip');
    const notRead = judge(said('caching', 'over-24h'), missing('error', 'cache unreadable'));
    expect([notRead.status, notRead.code]).toEqual(['fail', 'UWD-CACHE-012']);
    expect(notRead.details!.join('\n')).toMatch(/cache unreadable/);
  });
});

/** Prompts that answer from a script and remember what they were asked. */
function scripted(answers: string[]): Prompts & { asked: string[] } {
  const asked: string[] = [];
  const next = async (q: string) => {
    asked.push(q);
    return answers.shift();
  };
  return {
    asked,
    confirm: async () => false,
    select: (q, choices) => next(q).then((a) => choices.find((c) => c.label === a)?.value),
    input: (q) => next(q),
  };
}

async function runOn(facts: Facts) {
  const ctx = createTestContext();
  return runChecks({
    ctx,
    checks: [cacheFullness],
    collectors: new Map(),
    target: facts.target,
    givenFacts: facts,
  });
}

const installedUnknown = () => makeFacts({ cache: unknownCache });

describe('asking on a terminal (cli/status-question.ts)', () => {
  it('asks both questions, records the answer as a tracker fact from the person, and judges again', async () => {
    const prompts = scripted(['Offline (caching)', 'more than 24 hours']);
    const ctx = createTestContext({ isTTY: true, isCI: false, prompts });
    const before = await runOn(installedUnknown());
    expect(before.findings[0]!.status).toBe('skip');
    const after = await askStatusWhenUnknown(before, ctx, {});
    expect(prompts.asked).toEqual([STATUS_QUESTION, SINCE_QUESTION]);
    expect(after.findings[0]).toMatchObject({ status: 'fail', code: 'UWD-CACHE-012' });
    const fact = after.facts.items.statusReport!;
    expect(fact).toMatchObject({
      state: 'collected',
      scope: 'tracker',
      sources: [{ kind: 'person', ref: 'asked on the terminal' }],
      value: {
        status: 'caching',
        since: 'over-24h',
        askedAt: new Date(ctx.now()).toISOString(),
        answers: [
          { question: STATUS_QUESTION, answer: 'Offline (caching)' },
          { question: SINCE_QUESTION, answer: 'more than 24 hours' },
        ],
      },
    });
    // Replayed (--facts): judged from the recorded answer, nobody asked again.
    const again = scripted([]);
    const replay = await runOn(JSON.parse(JSON.stringify(after.facts)) as Facts);
    expect(replay.findings[0]).toMatchObject({ status: 'fail', code: 'UWD-CACHE-012' });
    expect(shouldAsk(replay, createTestContext({ isTTY: true, isCI: false, prompts: again }), {})).toBe(
      false,
    );
  });

  it('"something else": the words typed are kept, no "since when"', async () => {
    const prompts = scripted(['something else', 'Connecting…']);
    const r = await askStatusReport(createTestContext({ isTTY: true, isCI: false, prompts }));
    expect(r).toMatchObject({ status: 'other', since: null });
    expect(r!.answers[1]!.answer).toBe('Connecting…');
    expect(judge(r).details![0]).toMatch(/reads "Connecting…"/);
  });

  it.each([
    ['no terminal', { isTTY: false, isCI: false }, {}],
    ['CI', { isTTY: true, isCI: true }, {}],
    ['--no-input', { isTTY: true, isCI: false }, { input: false }],
    ['--yes', { isTTY: true, isCI: false }, { yes: true }],
    ['--json', { isTTY: true, isCI: false }, { machine: true }],
  ])('%s: nothing is asked and the skip stands', async (_name, tty, flags) => {
    const prompts = scripted(['Online', 'under 1 hour']);
    const before = await runOn(installedUnknown());
    const after = await askStatusWhenUnknown(before, createTestContext({ ...tty, prompts }), flags);
    expect(prompts.asked).toEqual([]);
    expect(after.findings[0]!.status).toBe('skip');
    expect(after.facts.items.statusReport).toBeUndefined();
  });

  it('the reference engine, or a cache the doctor could judge, is never asked about', async () => {
    const prompts = scripted(['Online', 'under 1 hour']);
    const ctx = createTestContext({ isTTY: true, isCI: false, prompts });
    const engine = makeFacts(
      { cache: unknownCache },
      { target: { kind: 'embedded', dataDir: '/e', found: true, reason: 'test', reference: true } },
    );
    expect(shouldAsk(await runOn(engine), ctx, {})).toBe(false);
    const warned = await runOn(installedUnknown());
    warned.findings[0]!.status = 'warn';
    expect(shouldAsk(warned, ctx, {})).toBe(false);
    expect(prompts.asked).toEqual([]);
  });
});
