/**
 * Shared by the engine-fix tests: real scenario folders built by the engine, a work-diary server
 * running at the scenario's simulated moment (as `engine serve` would), a FixEnv with a real clock,
 * and fingerprints of the cache (by segment) and of a whole file tree (by bytes).
 */
import { createHash } from 'node:crypto';
import { lstatSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { onTestFinished } from 'vitest';
import { createTestContext } from '../../src/core/context.js';
import type { Context } from '../../src/core/context.js';
import { enginePaths, inspectCache } from '../../src/engine/index.js';
import { SCENARIO_MARKER, buildScenario, loadScenario } from '../../src/engine/scenarios.js';
import type { ScenarioMarker } from '../../src/engine/scenarios.js';
import { startServer } from '../../src/engine/server/index.js';
import type { RunningServer } from '../../src/engine/server/index.js';
import type { FixEnv } from '../../src/fixes/fix.js';
import { tempDir } from '../helpers/cli.js';

/** Cleanup registration: vitest's global hook, or the test context's one in concurrent tests. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type OnFinished = (fn: () => any) => void;

/** A temp folder removed when the test ends. */
export function tempFolder(prefix: string, onFinished?: OnFinished): string {
  if (!onFinished) return tempDir(prefix);
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  onFinished(() => rmSync(dir, { recursive: true, force: true, maxRetries: 3 }));
  return dir;
}

/** Build a scenario into a fresh temp folder through the real engine. */
export async function scenarioDir(
  name: string,
  opts: { useHelper?: boolean; onFinished?: OnFinished } = {},
): Promise<string> {
  const dir = tempFolder(`uwd-${name}-`, opts.onFinished);
  await buildScenario(await loadScenario(name), dir, { now: Date.now(), useHelper: opts.useHelper ?? false });
  return dir;
}

export function markerOf(dir: string): ScenarioMarker {
  return JSON.parse(
    readFileSync(path.join(enginePaths(dir).engineDir, SCENARIO_MARKER), 'utf8'),
  ) as ScenarioMarker;
}

/**
 * The folder's work-diary server at the scenario's moment and with its faults; it writes
 * server.json, so the doctor's run (and the fixes) use it. Stopped when the test ends.
 */
export async function scenarioServer(
  dir: string,
  onFinished: OnFinished = onTestFinished,
): Promise<RunningServer> {
  const m = markerOf(dir);
  const server = await startServer({
    dataDir: dir,
    faults: m.faults,
    clock: { now: () => Date.now() + m.clockOffsetMs, mono: () => Math.floor(performance.now()) },
  });
  onFinished(() => server.close());
  return server;
}

/** A FixEnv on the real clock (the engine's server checks segment times against it). */
export function engineEnv(
  dataDir: string,
  over: Partial<Context> = {},
): FixEnv & { ctx: ReturnType<typeof createTestContext> } {
  const ctx = createTestContext({ now: () => Date.now(), hostname: os.hostname(), ...over });
  return {
    ctx,
    registry: {
      read: async () => null,
      write: async () => {
        throw new Error('no registry in engine tests');
      },
      remove: async () => undefined,
    },
    target: { kind: 'embedded', dataDir, found: true, reason: 'test' },
    options: {},
  };
}

export interface SegmentPrint {
  segment: string;
  state: string;
  receiptId: string | null;
  rejection: string | null;
}

/** The cache as the engine reads it: every segment's content, state and receipt. */
export async function cachePrint(dir: string): Promise<Map<string, SegmentPrint>> {
  const insp = await inspectCache(enginePaths(dir).cacheDir);
  const out = new Map<string, SegmentPrint>();
  for (const [key, s] of Object.entries(insp.state.segments)) {
    out.set(key, {
      segment: JSON.stringify(s.segment),
      state: s.state,
      receiptId: s.receipt?.receiptId ?? null,
      rejection: s.rejection?.code ?? null,
    });
  }
  return out;
}

/** sha256 of every regular file under `dir` (relative path → hash), skipping paths `skip` matches. */
export function treePrint(dir: string, skip: (rel: string) => boolean = () => false): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const n of readdirSync(d).sort()) {
      const p = path.join(d, n);
      const rel = path.relative(dir, p);
      if (skip(rel)) continue;
      // lstat: links (engine/bin/Upwork Helper → node) are not the folder's data.
      const st = lstatSync(p, { throwIfNoEntry: false });
      if (!st) continue;
      if (st.isDirectory()) walk(p);
      else if (st.isFile()) out[rel] = createHash('sha256').update(readFileSync(p)).digest('hex');
    }
  };
  walk(dir);
  return out;
}

/** CPU used by a process over a window, % of one core, from /proc/<pid>/stat (Linux). */
export async function cpuPercentOf(pid: number, windowMs: number): Promise<number> {
  const ticks = () => {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]);
  };
  const a = ticks();
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, windowMs));
  const b = ticks();
  return ((b - a) / 100 / ((performance.now() - t0) / 1000)) * 100;
}
