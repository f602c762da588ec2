/**
 * Facts files from outside (`--facts`, `facts.json` in a bundle) are checked against the schema
 * derived from the Facts type: a bad one gets one line naming the first bad field (exit 2 through
 * UserError), never a check that crashes on it or a run that reads as healthy.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checks as allChecks } from '../../src/checks/index.js';
import { createTestContext } from '../../src/core/context.js';
import { UserError } from '../../src/core/errors.js';
import type { Facts } from '../../src/core/facts.js';
import { MAX_FACTS_DEPTH, parseFactsText } from '../../src/core/facts-file.js';
import { jsonDepth } from '../../src/core/json-check.js';
import { exitCodeFor, runChecks, summarize } from '../../src/core/runner.js';
import { buildReport } from '../../src/cli/run-check.js';
import { renderReport } from '../../src/report/render.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const RECORDED = readFileSync(path.join(HERE, 'fixtures/recorded-facts.json'), 'utf8');
const recorded = () => JSON.parse(RECORDED) as Record<string, unknown>;

/** Today's checks on given facts, as `--facts` runs them. */
const replay = (facts: Facts) =>
  runChecks({
    ctx: createTestContext(),
    checks: allChecks,
    collectors: new Map(),
    target: facts.target,
    givenFacts: facts,
    deadlineMs: 5_000,
  });

async function rejection(text: string): Promise<string> {
  const e = await parseFactsText(text, 'f.json').then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e, 'a bad facts file must be refused').toBeInstanceOf(UserError);
  const msg = (e as UserError).message;
  expect(msg).not.toMatch(/\n/);
  return msg;
}

/** Set (or delete, with undefined) the value at a path of keys. */
function edit(
  obj: Record<string, unknown>,
  keys: (string | number)[],
  value: unknown,
): Record<string, unknown> {
  let at = obj as Record<string | number, unknown>;
  for (const k of keys.slice(0, -1)) at = at[k] as Record<string | number, unknown>;
  const last = keys.at(-1)!;
  if (value === undefined) delete at[last];
  else at[last] = value;
  return obj;
}

describe('parseFactsText', () => {
  it('reads a file recorded from a real run', async () => {
    const f = await parseFactsText(RECORDED, 'f.json');
    expect(Object.keys(f.items).length).toBeGreaterThanOrEqual(10);
  });

  const cases: [string, () => unknown, RegExp][] = [
    [
      'a list where contracts are',
      () => edit(recorded(), ['items', 'contracts', 'value', 'contracts'], {}),
      /^f\.json .*: items\.contracts\.value\.contracts must be a list \(got an object\)/,
    ],
    [
      'a number as the data folder',
      () => edit(recorded(), ['target', 'dataDir'], 5),
      /target\.dataDir must be text \(got number 5\)/,
    ],
    [
      'an unknown fact state',
      () => edit(recorded(), ['items', 'disk', 'state'], 'maybe'),
      /items\.disk\.state has an unknown value "maybe"/,
    ],
    ['no factsVersion', () => edit(recorded(), ['factsVersion'], undefined), /factsVersion is missing/],
    [
      'a missing value',
      () => edit(recorded(), ['items', 'disk', 'value'], undefined),
      /items\.disk\.value is missing/,
    ],
    ['a list at the top', () => [1, 2], /the top level must be an object \(got a list\)/],
    [
      'an unknown not-collected reason',
      () =>
        edit(recorded(), ['items', 'clock'], {
          state: 'not-collected',
          reason: 'bored',
          message: 'm',
          sources: [],
          durationMs: 1,
        }),
      /items\.clock\.reason must be one of "needs-admin"/,
    ],
    [
      'a control character in a key',
      () => edit(recorded(), ['target', 'kind'], 'x\u202e\u0000'),
      /target\.kind must be one of .* \(got "x\\u202e\\x00"\)/,
    ],
  ];
  it.each(cases)('refuses %s with one line naming the field', async (_name, make, expected) => {
    expect(await rejection(JSON.stringify(make()))).toMatch(expected);
  });

  it('refuses 20,000-deep nesting without overflowing the stack', async () => {
    const deep = `{"factsVersion":1,"x":${'['.repeat(20_000)}${']'.repeat(20_000)}}`;
    expect(jsonDepth(deep)).toBe(20_001);
    expect(await rejection(deep)).toMatch(new RegExp(`nests deeper than ${MAX_FACTS_DEPTH} levels`));
  });

  it('counts depth outside strings only', () => {
    expect(jsonDepth('{"a":"[[[[{{{\\"[[","b":[1,[2]]}')).toBe(3);
  });
});

/** Every path to a value in a JSON document. */
function paths(v: unknown, at: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = at.length ? [at] : [];
  if (Array.isArray(v)) v.forEach((x, i) => out.push(...paths(x, [...at, i])));
  else if (v && typeof v === 'object')
    for (const [k, x] of Object.entries(v)) out.push(...paths(x, [...at, k]));
  return out;
}

/**
 * A new value for the field at `at`: half of the time of the same JSON type (a number out of any
 * range, an empty or huge string, a list emptied or doubled), which the schema lets through and
 * the checks must survive; otherwise any JSON value, or the field deleted.
 */
function mutation(at: (string | number)[]): fc.Arbitrary<unknown> {
  const orig = at.reduce<unknown>((v, k) => (v as Record<string | number, unknown>)[k], recorded());
  const same =
    typeof orig === 'number'
      ? fc.oneof(
          fc.double({ noNaN: true, noDefaultInfinity: true }),
          fc.integer(),
          fc.constantFrom(0, -1, 1e300),
        )
      : typeof orig === 'string'
        ? fc.oneof(fc.string(), fc.constantFrom('', '\u0000\u202e', 'x'.repeat(5000)))
        : Array.isArray(orig)
          ? fc.constantFrom([], [...orig, ...orig])
          : fc.jsonValue({ maxDepth: 2 });
  return fc.oneof(same, fc.jsonValue({ maxDepth: 3 }), fc.constant(undefined));
}

describe('malformed facts files (property)', () => {
  const all = paths(recorded());

  it('a mutated recorded file is refused in one line, or every check runs on it without crashing', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: all.length - 1 }).chain((i) => fc.tuple(fc.constant(i), mutation(all[i]!))),
        async ([i, value]) => {
          const text = JSON.stringify(edit(recorded(), all[i]!, value));
          let facts: Facts;
          try {
            facts = await parseFactsText(text, 'f.json');
          } catch (e) {
            expect(e).toBeInstanceOf(UserError);
            expect((e as Error).message).not.toMatch(/\n/);
            return;
          }
          const r = await replay(facts);
          const crashed = r.findings.filter((f) => f.status === 'error');
          expect(
            crashed.map((f) => `${f.id}: ${f.summary}`),
            `${all[i]!.join('.')} = ${JSON.stringify(value)}`,
          ).toEqual([]);
          const report = buildReport(r, exitCodeFor(r, false));
          for (const format of ['text', 'json', 'junit', 'html'] as const)
            expect(() => renderReport(report, format, { color: false, unicode: true })).not.toThrow();
        },
      ),
      { numRuns: 300 },
    );
  });

  it('garbage is never read as facts (so never "0 passed … exit 0")', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue({ maxDepth: 4 }), async (value) => {
        await rejection(JSON.stringify(value) ?? 'null');
      }),
      { numRuns: 200 },
    );
  });
});

describe('the schema', () => {
  it('is the one derived from the Facts type today (npm run facts-schema)', () => {
    const script = path.join(HERE, '../../scripts/facts-schema.mjs');
    expect(() => execFileSync(process.execPath, [script, '--check'], { stdio: 'pipe' })).not.toThrow();
  }, 120_000);

  it('summarises a replay like the checks do', async () => {
    const facts = await parseFactsText(RECORDED, 'f.json');
    const r = await replay(facts);
    expect(summarize(r.findings).error).toBe(0);
  });
});
