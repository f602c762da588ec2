import { spawn } from 'node:child_process';
import { describe, expect, it, onTestFinished } from 'vitest';
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
      ['Upwork Helper.exe', 'helper', '5.8.0.33', 97.3],
    ]);
  });

  it('Windows: a GPU child of Upwork.exe is classified from its --type switch', async () => {
    const { ctx } = winContext('batch-clean.json');
    const { value } = await collect(processesCollector, ctx);
    expect(value.tracker.map((p) => p.role)).toEqual(['app', 'gpu', 'helper']);
  });
});

/**
 * A real node child titled like the tracker's Helper, killed when the test ends. The busy one spins
 * in 20 ms slices so it can still answer "how much CPU have you used?" (process.cpuUsage), which
 * lets the test compare our measurement with the truth even on a loaded 2-core CI machine.
 */
async function spawnHelper(busy: boolean): Promise<{ pid: number; usage(): Promise<number> }> {
  const code = `process.title='Upwork Helper';
    const end=Date.now()+20000;
    process.on('message',()=>{const u=process.cpuUsage();process.send((u.user+u.system)/1000)});
    ${busy ? 'const spin=()=>{const t=Date.now()+20;while(Date.now()<t){} if(Date.now()<end) setImmediate(spin)};spin();' : 'setTimeout(()=>{},20000);'}
    process.send(0);`;
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'ignore', 'ignore', 'ipc'] });
  onTestFinished(() => void child.kill('SIGKILL'));
  await new Promise((resolve, reject) => {
    child.once('message', resolve);
    child.once('error', reject);
  });
  return {
    pid: child.pid!,
    usage: () =>
      new Promise<number>((resolve) => {
        child.once('message', (ms) => resolve(ms as number));
        child.send('usage');
      }),
  };
}

describe.skipIf(process.platform !== 'linux')('processes collector live on Linux', () => {
  it('finds real processes named "Upwork Helper" and measures the CPU they really used', async () => {
    const [busy, idle] = await Promise.all([spawnHelper(true), spawnHelper(false)]);
    const ctx = createTestContext({ platform: 'linux' });
    const u0 = await busy.usage();
    const t0 = performance.now();
    const { value, sources } = await collect(processesCollector, ctx, { options: { cpuWindowSec: 1 } });
    const truth = (((await busy.usage()) - u0) / (performance.now() - t0)) * 100;
    const byPid = new Map(value.tracker.map((p) => [p.pid, p]));
    const b = byPid.get(busy.pid);
    const i = byPid.get(idle.pid);
    expect(b).toMatchObject({ name: 'Upwork Helper', role: 'helper', path: process.execPath });
    expect(i).toMatchObject({ name: 'Upwork Helper', role: 'helper' });
    // The child's own account of its CPU time over (slightly more than) the same window.
    expect(Math.abs(b!.cpuPercent! - truth)).toBeLessThan(15 + truth * 0.25);
    expect(b!.cpuPercent!).toBeGreaterThan(i!.cpuPercent! + 10);
    expect(i!.cpuPercent!).toBeLessThan(10);
    expect(value.windowSec).toBeGreaterThanOrEqual(0.9);
    expect(value.method).toMatch(/proc/);
    expect(sources.map((s) => s.ref)).toContain('/proc/<pid>/stat (utime+stime), sampled twice');
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
