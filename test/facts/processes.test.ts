import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/cli.js';
import { fakeInstall, startFakeUpwork } from '../helpers/fake-app.js';
import { createTestContext } from '../../src/core/context.js';
import {
  classifyRole,
  commandName,
  cpuPercent,
  isTrackerName,
  listProcesses,
  parseMacPs,
  parseProcStat,
  parsePsTime,
  processesCollector,
} from '../../src/facts/processes.js';
import { collect, fakeExec, fixture, winContext } from './os-helpers.js';

describe('process parsers', () => {
  it('parseProcStat reads utime+stime even with spaces and parentheses in the name', () => {
    const a = parseProcStat(fixture('linux', 'proc-stat-helper-1.txt'))!;
    const b = parseProcStat(fixture('linux', 'proc-stat-helper-2.txt'))!;
    expect(a).toEqual({ ticks: 15211 + 2390, ppid: 48190 });
    expect(cpuPercent((b.ticks - a.ticks) / 100, 3)).toBe(87.7);
    expect(parseProcStat('9 (a) b) S 1 1 1 0 -1 0 0 0 0 0 5 6 0 0')).toEqual({ ticks: 11, ppid: 1 });
    expect(parseProcStat('garbage')).toBeUndefined();
  });

  it.each([
    ['0:01.23', 1.23],
    ['4:12.55', 252.55],
    ['1:02:03.50', 3723.5],
    ['2-01:00:00', 2 * 86400 + 3600],
    ['0:01,50', 1.5],
    ['nonsense', undefined],
  ])('parsePsTime(%s) = %s', (s, v) => {
    expect(parsePsTime(s)).toBe(v);
  });

  it('parseMacPs keeps full paths with spaces', () => {
    const rows = parseMacPs(fixture('darwin', 'ps-sample1.txt'));
    expect(rows.find((r) => r.pid === 1890)).toEqual({
      pid: 1890,
      ppid: 1873,
      cpuSeconds: 151.07,
      comm: '/Applications/Upwork.app/Contents/Frameworks/Upwork Helper (GPU).app/Contents/MacOS/Upwork Helper (GPU)',
    });
    expect(rows).toHaveLength(10);
  });

  it.each([
    ['Upwork', true],
    ['Upwork Helper', true],
    ['Upwork Helper.exe', true],
    ['upwork', true],
    ['Upwork Helper (GPU)', true],
    ['/opt/Upwork/upwork', true],
    ['upwork-doctor', false],
    ['node', false],
    ['UpworkUpdater', false],
  ])('isTrackerName(%s) = %s', (n, v) => {
    expect(isTrackerName(n)).toBe(v);
  });

  it.each([
    ['Upwork', null, 'app'],
    ['Upwork Helper', null, 'helper'],
    ['Upwork Helper (GPU)', null, 'gpu'],
    ['Upwork Helper (Renderer)', null, 'renderer'],
    ['Upwork.exe', '"C:\\x\\Upwork.exe" --type=gpu-process --foo', 'gpu'],
    ['Upwork.exe', '"C:\\x\\Upwork.exe" --type=renderer', 'renderer'],
    [
      'Upwork.exe',
      '"C:\\x\\Upwork.exe" --type=utility --utility-sub-type=network.mojom.NetworkService',
      'utility',
    ],
    ['Upwork.exe', '"C:\\x\\Upwork.exe"', 'app'],
  ] as const)('classifyRole(%s, %s) = %s', (n, cmd, role) => {
    expect(classifyRole(n, cmd)).toBe(role);
  });
});

describe('processes collector with recorded outputs', () => {
  it('macOS: two ps samples → % of one core per helper, window from the monotonic clock', async () => {
    let n = 0;
    let t = 1000;
    const ctx = createTestContext({
      platform: 'darwin',
      monotonic: () => (t += 1500),
      exec: fakeExec({
        ps: () => ({ stdout: fixture('darwin', n++ === 0 ? 'ps-sample1.txt' : 'ps-sample2.txt') }),
      }),
    });
    const { value, sources } = await collect(processesCollector, ctx);
    expect(value.windowSec).toBe(1.5);
    expect(value.tracker.map((p) => [p.name, p.role, p.cpuPercent])).toEqual([
      ['Upwork', 'app', 4],
      ['Upwork Helper (GPU)', 'gpu', 192],
      ['Upwork Helper', 'helper', 2],
      ['Upwork Helper (Renderer)', 'renderer', 2.7],
    ]);
    expect(sources[0]!.ref).toMatch(/^ps -axww -o pid=,ppid=,time=,comm=/);
  });

  it('macOS: a failing ps is not-collected, not "nothing running"', async () => {
    const ctx = createTestContext({
      platform: 'darwin',
      exec: fakeExec({ ps: { code: 1, stderr: 'ps: Operation not permitted' } }),
    });
    await expect(collect(processesCollector, ctx)).rejects.toMatchObject({
      reason: 'error',
      message: /Operation not permitted/,
    });
  });

  it('commandName: the program of a command line, for titled processes', () => {
    expect(commandName('Upwork Helper')).toBe('Upwork Helper');
    expect(commandName('/opt/Upwork/upwork --type=renderer --lang=en-US')).toBe('upwork');
    expect(commandName('node -e "process.title=1"')).toBe('node');
  });

  it('Windows: Win32_Process times (100 ns) over the measured window', async () => {
    const { ctx } = winContext('batch-busy-helper.json');
    const { value } = await collect(processesCollector, ctx);
    expect(value.method).toMatch(/Win32_Process/);
    expect(value.cores).toBe(4);
    expect(value.tracker.map((p) => [p.name, p.role, p.version, p.cpuPercent])).toEqual([
      ['Upwork.exe', 'app', '5.8.0.33', 2],
      ['Upwork.exe', 'renderer', '5.8.0.33', 97.3],
    ]);
  });

  it('Windows: CPU sampled across the window, so a burst in the middle shows and a gap stays a gap', async () => {
    const { ctx } = winContext('batch-busy-renderer-samples.json');
    const { value } = await collect(processesCollector, ctx);
    // The window is measured from the first listing (180 ms into the script) to the end (3345 ms).
    expect(value.windowSec).toBe(3.17);
    expect(value.method).toMatch(/Get-Process TotalProcessorTime in between/);
    const renderer = value.samples!.series.find((s) => s.role === 'renderer')!;
    expect(renderer.points).toHaveLength(12);
    expect(renderer.points.map((p) => p.t)).toEqual([
      251, 502, 753, 1004, 1255, 1506, 1757, 2008, 2259, 2510, 2761, 3165,
    ]);
    expect(renderer.points.map((p) => Math.round(p.cpu!))).toEqual([
      5, 5, 5, 5, 100, 100, 100, 100, 100, 100, 5, 5,
    ]);
    // The average over the window is what the verdict reads; the samples are time-weighted to it.
    const avg = value.tracker.find((p) => p.role === 'renderer')!.cpuPercent!;
    expect(avg).toBe(50.2);
    let prev = 0;
    const weighted = renderer.points.reduce((a, p) => {
      const w = a + p.cpu! * (p.t - prev);
      prev = p.t;
      return w;
    }, 0);
    expect(weighted / 3165).toBeCloseTo(avg, 0);
    // The app's CPU time could not be read in sample 6: the two intervals around it are unknown.
    const app = value.samples!.series.find((s) => s.role === 'app')!;
    expect(app.points.map((p) => p.cpu)).toEqual([2, 2, 2, 2, 2, null, null, 2, 2, 2, 2, 2]);
    expect(value.samples!.intervalMs).toBe(264);
  });

  it('Windows: a GPU child of Upwork.exe is classified from its --type switch', async () => {
    const { ctx } = winContext('batch-clean.json');
    const { value } = await collect(processesCollector, ctx);
    expect(value.tracker.map((p) => p.role)).toEqual(['app', 'gpu', 'renderer']);
  });
});

describe.skipIf(process.platform !== 'linux')('processes collector live on Linux', () => {
  it("measures the install's busy `upwork --type=renderer` over samples; a name-alike elsewhere is ignored", async () => {
    const install = fakeInstall();
    const elsewhere = fakeInstall({ layout: false });
    const [busy, idle, alike] = await Promise.all([
      startFakeUpwork(install, { type: 'renderer', busy: true }),
      startFakeUpwork(install, { type: 'gpu-process', busy: false }),
      startFakeUpwork(elsewhere, { type: 'renderer', busy: true }),
    ]);
    const ctx = createTestContext({ platform: 'linux' });
    const u0 = await busy.usage();
    const t0 = performance.now();
    const target = { installDirs: [] }; // found by its layout (resources/app.asar), as an AppImage mount would be
    const { value, sources } = await collect(processesCollector, ctx, {
      options: { cpuWindowSec: 1 },
      target,
    });
    const truth = (((await busy.usage()) - u0) / (performance.now() - t0)) * 100;
    const byPid = new Map(value.tracker.map((p) => [p.pid, p]));
    const b = byPid.get(busy.pid);
    const i = byPid.get(idle.pid);
    expect(b).toMatchObject({ name: 'upwork', role: 'renderer', path: path.join(install, 'upwork') });
    expect(i).toMatchObject({ name: 'upwork', role: 'gpu' });
    expect(byPid.has(alike.pid)).toBe(false);
    expect(value.ignored).toContainEqual({
      pid: alike.pid,
      name: 'upwork',
      path: path.join(elsewhere, 'upwork'),
    });
    expect(value.scope?.installDirs).toEqual([install]);
    // The child's own account of its CPU time over (slightly more than) the same window.
    expect(Math.abs(b!.cpuPercent! - truth)).toBeLessThan(15 + truth * 0.25);
    // A loaded 2-core CI box may give the busy loop only part of a core: compare, do not fix a level.
    expect(b!.cpuPercent!).toBeGreaterThan(i!.cpuPercent!);
    expect(i!.cpuPercent!).toBeLessThan(10);
    expect(value.windowSec).toBeGreaterThanOrEqual(0.9);
    // Samples at short intervals across the window, in time order, averaging to the window's figure.
    const series = value.samples!.series.find((s) => s.pid === busy.pid)!;
    expect(series.points.length).toBeGreaterThanOrEqual(5);
    const ts = series.points.map((p) => p.t);
    expect(ts).toEqual([...ts].sort((x, y) => x - y));
    expect(ts.at(-1)).toBeGreaterThanOrEqual(900);
    // The samples add up to the window's average (time-weighted), so the chart and the verdict agree.
    let prevT = 0;
    const weighted = series.points.reduce((sum, p) => {
      const dt = p.t - prevT;
      prevT = p.t;
      return sum + p.cpu! * dt;
    }, 0);
    expect(Math.abs(weighted / ts.at(-1)! - b!.cpuPercent!)).toBeLessThan(5);
    expect(value.samples!.intervalMs).toBeLessThanOrEqual(200);
    expect(sources.map((s) => s.ref)).toContain('/proc/<pid>/stat (utime+stime), every 100 ms');
  });

  it('on the reference engine only the pids it recorded (and their children) are the tracker', async () => {
    const data = tempDir('uwd-engine-');
    const install = fakeInstall();
    const [recorded, other] = await Promise.all([
      startFakeUpwork(fakeInstall({ layout: false }), { busy: false }),
      startFakeUpwork(install, { type: 'renderer', busy: false }),
    ]);
    mkdirSync(path.join(data, 'engine'), { recursive: true });
    writeFileSync(path.join(data, 'engine', 'helper.json'), JSON.stringify({ pid: recorded.pid }));
    // The doctor's own pid (an in-process engine) is never the tracker.
    writeFileSync(path.join(data, 'engine', 'status.json'), JSON.stringify({ pid: process.pid }));
    const ctx = createTestContext({ platform: 'linux' });
    const { value } = await collect(processesCollector, ctx, {
      dataDir: data,
      options: { cpuWindowSec: 0.2 },
      target: { kind: 'scenario' },
    });
    expect(value.tracker.map((p) => p.pid)).toEqual([recorded.pid]);
    expect(value.scope?.enginePids).toEqual([recorded.pid]);
    expect(value.ignored?.map((p) => p.pid)).toContain(other.pid);
  });

  it('listProcesses is memoised per run (keyed by the options object), not across runs', async () => {
    const ctx = createTestContext({ platform: 'linux' });
    const run1 = { cpuWindowSec: 1 };
    expect(listProcesses({ ctx, options: run1 })).toBe(listProcesses({ ctx, options: run1 }));
    expect(listProcesses({ ctx, options: run1 })).not.toBe(
      listProcesses({ ctx, options: { cpuWindowSec: 1 } }),
    );
    const list = await listProcesses({ ctx, options: run1 });
    expect(list.some((p) => p.pid === process.pid)).toBe(true);
  });
});
