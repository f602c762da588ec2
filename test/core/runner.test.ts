import { describe, expect, it } from 'vitest';
import type { Check } from '../../src/core/check.js';
import { defineCheck, missingFacts } from '../../src/core/check.js';
import type { Collector } from '../../src/core/collector.js';
import { NotCollectedError } from '../../src/core/collector.js';
import { createTestContext } from '../../src/core/context.js';
import type { TargetInfo } from '../../src/core/facts.js';
import { exitCodeFor, runChecks } from '../../src/core/runner.js';

const target: TargetInfo = { kind: 'embedded', dataDir: '/tmp/x', found: true, reason: 'test' };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function fake(id: string, run: Check['run'], extra: Partial<Check> = {}): Check {
  return defineCheck({
    id,
    title: id,
    category: 'system',
    platforms: ['linux'],
    needs: [],
    docs: '',
    codePrefix: 'UWD-T',
    run,
    ...extra,
  });
}
const pass = (id: string) => fake(id, () => ({ status: 'pass', code: 'UWD-T-001', summary: 'ok' }));
// Collectors keyed by fact names that tests make up; the runner treats keys as strings.
const coll = (key: string, collect: Collector['collect'], timeoutMs = 1000) =>
  ({ key, title: key, timeoutMs, collect }) as unknown as Collector;

describe('runner', () => {
  it('a crashing check becomes an error finding and the run goes on (exit 2)', async () => {
    const ctx = createTestContext();
    const r = await runChecks({
      ctx,
      target,
      collectors: new Map(),
      checks: [
        pass('a-first'),
        fake('b-crash', () => {
          throw new Error('boom');
        }),
        pass('c-last'),
      ],
    });
    expect(r.findings.map((f) => [f.id, f.status])).toEqual([
      ['a-first', 'pass'],
      ['b-crash', 'error'],
      ['c-last', 'pass'],
    ]);
    expect(r.findings[1]!.summary).toMatch(/boom/);
    expect(r.findings[1]!.evidence.stack).toMatch(/Error: boom/);
    expect(exitCodeFor(r)).toBe(2);
  });

  it('a check that never resolves times out on its own timeout; others still finish (exit 2)', async () => {
    const ctx = createTestContext();
    const r = await runChecks({
      ctx,
      target,
      collectors: new Map(),
      checkTimeoutMs: 150,
      checks: [fake('hang', () => new Promise(() => undefined)), pass('fine')],
    });
    expect(r.findings.map((f) => f.status)).toEqual(['timeout', 'pass']);
    expect(r.findings[0]!.durationMs).toBeGreaterThanOrEqual(140);
    expect(r.deadlineHit).toBe(false);
    expect(exitCodeFor(r)).toBe(2);
  });

  it('the global deadline ends the run on time and reports unfinished checks (exit 3)', async () => {
    const ctx = createTestContext();
    const t0 = performance.now();
    const r = await runChecks({
      ctx,
      target,
      collectors: new Map([['slowfact', coll('slowfact', () => new Promise(() => undefined), 60_000)]]),
      deadlineMs: 300,
      checkTimeoutMs: 60_000,
      checks: [
        fake(
          'needs-slow',
          (facts) =>
            missingFacts({ needs: ['slowfact' as never], codePrefix: 'UWD-T' }, facts) ?? {
              status: 'pass',
              code: 'UWD-T-001',
              summary: 'x',
            },
          { needs: ['slowfact' as never] },
        ),
        fake('slow-check', () =>
          sleep(10_000).then(() => ({ status: 'pass' as const, code: 'UWD-T-001', summary: 'late' })),
        ),
        pass('quick'),
      ],
    });
    const elapsed = performance.now() - t0;
    expect(elapsed).toBeLessThan(300 + 250);
    expect(r.deadlineHit).toBe(true);
    expect(r.findings.map((f) => [f.id, f.status])).toEqual([
      ['needs-slow', 'timeout'],
      ['slow-check', 'timeout'],
      ['quick', 'pass'],
    ]);
    expect(r.findings[1]!.summary).toMatch(/deadline/);
    expect(exitCodeFor(r)).toBe(3);
  });

  it('collects each needed fact once, and records not-collected reasons', async () => {
    const ctx = createTestContext();
    let calls = 0;
    const collectors = new Map<string, Collector>([
      [
        'alpha',
        coll('alpha', async ({ source }) => {
          calls++;
          source('command', 'echo alpha');
          return 42 as never;
        }),
      ],
      [
        'beta',
        coll('beta', async () => {
          throw new NotCollectedError('needs-admin', 'run as admin');
        }),
      ],
      [
        'gamma',
        coll('gamma', async () => {
          throw new Error('kaput');
        }),
      ],
    ]);
    const needs = ['alpha', 'beta', 'gamma'] as never[];
    const r = await runChecks({
      ctx,
      target,
      collectors,
      checks: [
        pass('one'),
        fake('two', () => ({ status: 'pass', code: 'UWD-T-1', summary: 's' }), { needs }),
        fake('three', () => ({ status: 'pass', code: 'UWD-T-1', summary: 's' }), { needs }),
      ],
    });
    expect(calls).toBe(1);
    const items = r.facts.items as Record<string, unknown>;
    expect(items.alpha).toMatchObject({
      state: 'collected',
      value: 42,
      sources: [{ kind: 'command', ref: 'echo alpha' }],
    });
    expect(items.beta).toMatchObject({
      state: 'not-collected',
      reason: 'needs-admin',
      message: 'run as admin',
    });
    expect(items.gamma).toMatchObject({ state: 'not-collected', reason: 'error' });
    expect((items.gamma as { message: string }).message).toMatch(/kaput/);
  });

  it('a collector over its own timeout is not-collected with reason timeout', async () => {
    const ctx = createTestContext();
    const r = await runChecks({
      ctx,
      target,
      collectors: new Map([['slow', coll('slow', () => sleep(5000) as never, 100)]]),
      checks: [
        fake('c', (facts) => missingFacts({ needs: ['slow' as never], codePrefix: 'UWD-T' }, facts)!, {
          needs: ['slow' as never],
        }),
      ],
    });
    expect((r.facts.items as Record<string, { state: string; reason?: string }>).slow).toMatchObject({
      state: 'not-collected',
      reason: 'timeout',
    });
    expect(r.findings[0]!.status).toBe('timeout');
  });

  it('keeps findings in check order whatever order they finish in, each with its duration', async () => {
    const ctx = createTestContext();
    const r = await runChecks({
      ctx,
      target,
      collectors: new Map(),
      checks: [80, 10, 40].map((ms, i) =>
        fake(`c${i}`, () =>
          sleep(ms).then(() => ({ status: 'pass' as const, code: 'UWD-T-1', summary: 's' })),
        ),
      ),
    });
    expect(r.findings.map((f) => f.id)).toEqual(['c0', 'c1', 'c2']);
    expect(r.findings[0]!.durationMs).toBeGreaterThanOrEqual(70);
  });

  it('bounds concurrency with the pool', async () => {
    const ctx = createTestContext();
    let active = 0;
    let peak = 0;
    const checks = Array.from({ length: 10 }, (_, i) =>
      fake(`p${i}`, async () => {
        active++;
        peak = Math.max(peak, active);
        await sleep(20);
        active--;
        return { status: 'pass' as const, code: 'UWD-T-1', summary: 's' };
      }),
    );
    await runChecks({ ctx, target, collectors: new Map(), checks, concurrency: 3 });
    expect(peak).toBe(3);
  });

  it('says on stderr which check is still running and what it waits on', async () => {
    const ctx = createTestContext();
    await runChecks({
      ctx,
      target,
      slowNoticeMs: 100,
      collectors: new Map([
        [
          'w',
          coll('w', async ({ waitingOn }) => {
            waitingOn('sampling CPU');
            await sleep(400);
            return 1 as never;
          }),
        ],
      ]),
      checks: [
        fake('waiter', () => ({ status: 'pass', code: 'UWD-T-1', summary: 's' }), { needs: ['w' as never] }),
      ],
    });
    expect(ctx.err.join('')).toMatch(/still running: collecting w \(waiting on sampling CPU\)/);
  });

  it('exit codes: warn is 0 unless strict, fail is 1', () => {
    const f = (status: 'pass' | 'warn' | 'fail') => ({ findings: [{ status } as never], deadlineHit: false });
    expect(exitCodeFor(f('pass'))).toBe(0);
    expect(exitCodeFor(f('warn'))).toBe(0);
    expect(exitCodeFor(f('warn'), true)).toBe(1);
    expect(exitCodeFor(f('fail'))).toBe(1);
  });
});
