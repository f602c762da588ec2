/** Recorded OS outputs (fixtures/os/) played back through a fake ctx.exec, and collector plumbing. */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { PNG } from 'pngjs';
import path from 'node:path';
import type { Collector, RunOptions } from '../../src/core/collector.js';
import type { Context, Exec, ExecResult } from '../../src/core/context.js';
import { createTestContext } from '../../src/core/context.js';
import type { NetworkSectionKey } from '../../src/facts/windows.js';
import { windowsSection } from '../../src/facts/windows.js';
import type { FactKey, FactMap, FactSource, TargetInfo } from '../../src/core/facts.js';
import { ROOT } from '../helpers/cli.js';

export const FIXTURES = path.join(ROOT, 'fixtures', 'os');

export function fixture(os: 'win32' | 'darwin' | 'linux', name: string): string {
  return readFileSync(path.join(FIXTURES, os, name), 'utf8');
}

export type Answer = Partial<ExecResult> | ((args: readonly string[]) => Partial<ExecResult>);

/** `file` → answer; files not in the table behave as "not installed" (spawn ENOENT). */
export function fakeExec(
  table: Record<string, Answer>,
): Exec & { calls: { file: string; args: string[] }[] } {
  const calls: { file: string; args: string[] }[] = [];
  const exec = (async (file: string, args: readonly string[]) => {
    calls.push({ file, args: [...args] });
    const a = table[file];
    if (!a) return { stdout: '', stderr: `spawn ${file} ENOENT`, code: null, signal: null, timedOut: false };
    const r = typeof a === 'function' ? a(args) : a;
    return { stdout: '', stderr: '', code: 0, signal: null, timedOut: false, ...r };
  }) as unknown as Exec & { calls: { file: string; args: string[] }[] };
  exec.calls = calls;
  return exec;
}

/** The real app's install folders on each OS (research/real-app-facts.md), as detection would list them. */
export const TEST_INSTALL_DIRS = [
  'C:\\Program Files\\Upwork',
  'C:\\Users\\freelancer\\AppData\\Local\\Programs\\Upwork',
  '/Applications/Upwork.app',
  '/opt/Upwork',
];

export function testTarget(dataDir: string): TargetInfo {
  return { kind: 'installed', dataDir, found: true, reason: 'test', installDirs: TEST_INSTALL_DIRS };
}

/** Run one collector the way the runner does, returning its value and recorded sources. */
export async function collect<K extends FactKey>(
  collector: Collector<K>,
  ctx: Context,
  opts: { dataDir?: string; options?: RunOptions; target?: Partial<TargetInfo> } = {},
): Promise<{ value: FactMap[K]; sources: FactSource[] }> {
  const sources: FactSource[] = [];
  const value = await collector.collect({
    ctx,
    target: { ...testTarget(opts.dataDir ?? '/nonexistent/uwd-data'), ...opts.target },
    options: opts.options ?? { cpuWindowSec: 0.05 },
    signal: new AbortController().signal,
    source: (kind, ref) => void sources.push({ kind, ref }),
    waitingOn: () => undefined,
  });
  return { value, sources };
}

/** The per-collector recordings (fixtures/os/win32/{proxy,clock,tls}-*.json) that become batch sections. */
export interface WinSections {
  proxy?: string;
  clock?: string;
  tls?: string;
}

/**
 * The one batched PowerShell call's output: a recorded batch-*.json with the proxy, clock and TLS
 * recordings merged in as its proxySettings, timeService and tlsSettings sections; `extra` adds or
 * overrides keys (e.g. `tlsSettingsError` for a section that failed).
 */
export function winBatch(
  batchFixture: string,
  parts: WinSections = {},
  extra: Record<string, unknown> = {},
): string {
  const o = JSON.parse(fixture('win32', batchFixture).replace(/^\uFEFF/, '')) as Record<string, unknown>;
  if (parts.proxy) o.proxySettings = JSON.parse(fixture('win32', parts.proxy));
  if (parts.clock) o.timeService = JSON.parse(fixture('win32', parts.clock));
  if (parts.tls) o.tlsSettings = JSON.parse(fixture('win32', parts.tls));
  return JSON.stringify({ ...o, ...extra });
}

/** A Windows test Context whose powershell.exe answers with `winBatch(batchFixture, parts)`. */
export function winContext(batchFixture: string, overrides: Partial<Context> = {}, parts: WinSections = {}) {
  const exec = fakeExec({ 'powershell.exe': { stdout: winBatch(batchFixture, parts) } });
  const ctx = createTestContext({
    platform: 'win32',
    homedir: 'C:\\Users\\freelancer',
    env: { LOCALAPPDATA: 'C:\\Users\\freelancer\\AppData\\Local', ProgramFiles: 'C:\\Program Files' },
    exec,
    ...overrides,
  });
  return { ctx, exec };
}

/** One network section as its collector reads it: through the batch, from a fake powershell.exe. */
export function winSection(
  name: NetworkSectionKey,
  parts: WinSections,
  batchFixture = 'batch-clean.json',
): Promise<Record<string, unknown>> {
  const { ctx } = winContext(batchFixture, {}, parts);
  return windowsSection(ctx, name, { cpuWindowSec: 0.05 }, 1_000);
}

/** A real PNG written with pngjs: `paint(x, y)` gives the RGB of each pixel. */
export function writePng(
  file: string,
  w: number,
  h: number,
  paint: (x: number, y: number) => [number, number, number],
): void {
  const png = new PNG({ width: w, height: h });
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 4;
      const [r, g, b] = paint(x, y);
      png.data[i] = r;
      png.data[i + 1] = g;
      png.data[i + 2] = b;
      png.data[i + 3] = 255;
    }
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, PNG.sync.write(png));
}

/** Something that looks like work: a dark editor with light text lines and a bright sidebar. */
export const workLike = (x: number, y: number): [number, number, number] =>
  x < 40 ? [230, 230, 235] : y % 12 < 3 && (x * 7 + y) % 50 < 35 ? [200, 210, 220] : [30, 30, 30];
