/**
 * `fix` on every scenario (fixtures/scenarios/*), through the built CLI, with the engine's cache
 * fingerprinted before and after (rule 1 of DESIGN.md: the un-uploaded cache is sacred):
 * - `fix --dry-run` leaves the folder byte-identical;
 * - without a terminal and without --yes, nothing changes and the exit code is 1, naming --yes;
 * - `fix --yes` changes the cache only by segments the server acknowledged (pending → acked, with
 *   the receipt the server holds); every segment is still there, none acknowledged before is lost;
 * - a second `fix --yes` changes nothing in the cache;
 * - `undo` restores everything the fixes changed except the upload, which cannot be taken back.
 * The scenario's work-diary server runs in this process at the scenario's simulated moment (as
 * `engine serve` would), so the verdicts do not depend on the day of the week the suite runs
 * (the server a plain run starts uses the real clock: a scenario built for last Wednesday would
 * find its week locked from Monday noon on).
 */
import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { ROOT, runCli, UTF8 } from '../helpers/cli.js';
import {
  cachePrint,
  scenarioDir,
  scenarioServer,
  tempFolder,
  treePrint,
} from '../fixes/engine-ops-helpers.js';
import type { OnFinished } from '../fixes/engine-ops-helpers.js';

const SCENARIOS = readdirSync(path.join(ROOT, 'fixtures', 'scenarios'))
  .filter((n) => existsSync(path.join(ROOT, 'fixtures', 'scenarios', n, 'scenario.json')))
  .sort();

/**
 * The fixes that act on the tracker's folder through the engine. The others act on this machine
 * (its clock, registry, processes) and have their own tests; none of them touches the folder.
 */
const ONLY = 'cache-upload,helper-restart-gpu,refresh-contracts';

/** What a fix run is expected to report, per scenario (others: whatever, the invariants still hold). */
const EXPECT: Record<string, { line: RegExp; code?: number }> = {
  'stuck-caching': { line: /^cache-upload: fixed \(cache-fullness fail → pass\)/m, code: 0 },
  'helper-cpu': { line: /^helper-restart-gpu: fixed \(helper-cpu (warn|fail) → pass\)/m, code: 0 },
  'cache-75': { line: /^cache-upload: failed.*TCP stage failed.*Your cached time is safe/m },
  'cache-full': { line: /^cache-upload: failed.*TCP stage failed.*Your cached time is safe/m },
  'cache-near-lock': { line: /^cache-upload: failed.*TCP stage failed.*Your cached time is safe/m },
  'device-conflict': { line: /^cache-upload: failed.*TCP stage failed.*Your cached time is safe/m },
  'contract-paused': { line: /^refresh-contracts: unchanged \(contracts warn → warn\)/m },
};

/**
 * Files any run (a plain `check` too) may write by design: the engine's log, the work-diary
 * server's own state and its server.json (a run starts its own server when it cannot reach one),
 * the connection status, the Helper's pidfile. Everything else must stay byte-identical.
 */
const runtime = (rel: string) =>
  rel.startsWith(path.join('Upwork', 'Logs')) ||
  rel.startsWith('server') ||
  rel === path.join('engine', 'server.json') ||
  rel === path.join('engine', 'status.json') ||
  rel === path.join('engine', 'helper.json');
const pick = (t: Record<string, string>, keep: (rel: string) => boolean) =>
  Object.fromEntries(Object.entries(t).filter(([k]) => keep(k)));
const inCache = (rel: string) => rel.startsWith(path.join('Upwork', 'Cache'));

/** One scenario: dry run, no consent, fix --yes, fix --yes again, undo; fingerprints throughout. */
async function fixScenario(name: string, onFinished: OnFinished): Promise<void> {
  const dir = await scenarioDir(name, { useHelper: true, onFinished });
  const server = await scenarioServer(dir, onFinished);
  const home = tempFolder('uwd-fixsc-', onFinished);
  const args = ['fix', '--target', 'embedded', '--data-dir', dir, '--cpu-window', '1', '--only', ONLY];
  const cacheDir = path.join(dir, 'Upwork', 'Cache');
  const tree0 = treePrint(dir);
  const cache0 = await cachePrint(dir);

  const dry = await runCli([...args, '--dry-run'], { home });
  expect(dry.code, dry.stderr).toBe(0);
  expect(treePrint(dir, runtime), 'dry run changed the folder').toEqual(pick(tree0, (k) => !runtime(k)));

  const planned = /^Plan: /m.test(dry.stdout);
  const hasChange = /engine operation|\$ /.test(dry.stdout);
  if (planned && hasChange) {
    const noYes = await runCli(args, { home });
    expect(noYes.code).toBe(1);
    expect(noYes.stderr).toMatch(/Nothing was changed.*--yes/);
    expect(treePrint(dir, runtime), 'fix without consent changed the folder').toEqual(
      pick(tree0, (k) => !runtime(k)),
    );
  }

  const applied = await runCli([...args, '--yes'], { home, env: UTF8 });
  const exp = EXPECT[name];
  if (exp) expect(applied.stdout, applied.stderr).toMatch(exp.line);
  if (exp?.code !== undefined) expect(applied.code, applied.stdout).toBe(exp.code);
  expect(applied.stdout + applied.stderr).not.toMatch(/\n\s+at .*\(.*:\d+:\d+\)/);

  // The fingerprint: identical, except segments the server acknowledged.
  const cache1 = await cachePrint(dir);
  expect([...cache1.keys()].sort()).toEqual([...cache0.keys()].sort());
  const held = new Set([...server.state.segments.values()].map((s) => s.receiptId));
  let acked = 0;
  for (const [key, b] of cache0) {
    const a = cache1.get(key)!;
    expect(a.segment, key).toBe(b.segment);
    if (b.state === 'pending' && a.state === 'acked') {
      acked++;
      expect(held.has(a.receiptId!), `${key}: acked without the server holding it`).toBe(true);
    } else expect(a, key).toEqual(b);
  }
  if (acked === 0) {
    // Nothing left the cache: not a byte of it changed.
    expect(pick(treePrint(dir), inCache)).toEqual(pick(tree0, inCache));
  }
  if (name === 'stuck-caching') expect(acked).toBe(18);

  // Twice: the cache does not change again.
  const cacheBytes1 = treePrint(cacheDir);
  const second = await runCli([...args, '--yes'], { home });
  expect([0, 1]).toContain(second.code);
  expect(second.stdout).not.toMatch(/^cache-upload: (fixed|improved)/m);
  expect(treePrint(cacheDir)).toEqual(cacheBytes1);

  // Undo every run, newest first: what the fixes changed comes back, except uploaded time
  // (acknowledged, billed, kept).
  const list = await runCli(['undo', '--list'], { home });
  const runs = [...list.stdout.matchAll(/^(\d{8}-\d{6}-[0-9a-f]{4})\s/gm)].map((m) => m[1]!);
  let undoErr = '';
  for (const id of runs.reverse()) {
    const u = await runCli(['undo', id], { home });
    expect(u.code, u.stdout + u.stderr).toBe(0);
    undoErr += u.stderr;
  }
  if (acked > 0) expect(undoErr).toMatch(/cannot be taken back/);
  const keep = (rel: string) => runtime(rel) || inCache(rel);
  expect(treePrint(dir, keep)).toEqual(pick(tree0, (k) => !keep(k)));
  expect(treePrint(cacheDir)).toEqual(cacheBytes1);
}

describe('fix on every scenario keeps the cache safe', () => {
  it('covers every scenario in fixtures/scenarios', () => {
    expect(SCENARIOS.length).toBeGreaterThanOrEqual(12);
    for (const name of Object.keys(EXPECT)) expect(SCENARIOS).toContain(name);
  });

  it.concurrent.for(SCENARIOS.filter((n) => n !== 'helper-cpu'))(
    '%s',
    { timeout: 180_000 },
    async (name: string, { onTestFinished }) => fixScenario(name, onTestFinished),
  );
});

// Alone, after the others: the Helper's CPU is measured, and a loaded machine would starve it.
describe('fix on the helper-cpu scenario', () => {
  it('helper-cpu', async ({ onTestFinished }) => fixScenario('helper-cpu', onTestFinished), 120_000);
});
