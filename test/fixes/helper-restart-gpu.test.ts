/**
 * helper-restart-gpu (src/fixes/helper-restart-gpu.js): the plan by table on every OS, then the real
 * thing: a real `Upwork Helper` process spinning a core without --enable-gpu is restarted with the
 * flag, and its CPU, measured from /proc over a window before and after, falls below the helper-cpu
 * warning threshold. Tracking on refuses; undo restores the launch settings byte for byte.
 */
import { describe, expect, it, onTestFinished } from 'vitest';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WARN_OVER } from '../../src/checks/helper-cpu.js';
import type { Facts } from '../../src/core/facts.js';
import { UserError } from '../../src/core/errors.js';
import { readHelperPidfile, startHelper } from '../../src/engine/helper/index.js';
import type { TrackerProcess } from '../../src/facts/processes.js';
import { OP_RESTART_HELPER, createEngineOps } from '../../src/fixes/engine-ops.js';
import { MAC_RELAUNCH, helperRestartGpu } from '../../src/fixes/helper-restart-gpu.js';
import { makeFacts } from '../helpers/facts.js';
import { cpuPercentOf, engineEnv, scenarioDir } from './engine-ops-helpers.js';

function proc(over: Partial<TrackerProcess> = {}): TrackerProcess {
  return {
    pid: 4242,
    ppid: 1,
    name: 'Upwork Helper',
    role: 'helper',
    path: null,
    command: null,
    version: null,
    cpuPercent: 97,
    ...over,
  };
}
const processes = (tracker: TrackerProcess[]) => ({ windowSec: 3, cores: 4, method: 'test', tracker });
const engineTarget = {
  kind: 'scenario' as const,
  dataDir: '/data',
  found: true,
  reason: 'test',
  scenario: 'helper-cpu',
};

describe('helper-restart-gpu plan (src/fixes/helper-restart-gpu.js)', () => {
  const rows: {
    name: string;
    facts: Facts;
    kinds: string[];
    text?: RegExp;
    not?: RegExp;
    command?: string;
  }[] = [
    {
      name: 'embedded engine: restart its Helper with the flag',
      facts: makeFacts({ processes: processes([proc()]) }, { target: engineTarget }),
      kinds: ['engine'],
      text: /--enable-gpu.*pid 4242.*97 %.*tracking is off/,
    },
    {
      name: 'installed app on macOS: quit, then exactly the documented command',
      facts: makeFacts({ processes: processes([proc()]) }, { platform: 'darwin' }),
      kinds: ['manual'],
      command: MAC_RELAUNCH,
      text: /Stop tracking first.*quit Upwork/,
    },
    {
      name: 'installed app on Windows: quit and restart Upwork.exe by pid and path (no Helper, no switch)',
      facts: makeFacts(
        {
          processes: processes([
            proc({ name: 'Upwork.exe', role: 'app', path: 'C:\\Program Files\\Upwork\\Upwork.exe' }),
          ]),
        },
        { platform: 'win32' },
      ),
      kinds: ['manual'],
      text: /tray icon.*Upwork\.exe.*taskkill \/PID 4242 \/T/,
      not: /enable-gpu|Upwork Helper/,
    },
    {
      name: 'installed app on Linux: a busy renderer, quit and restart upwork (no Helper, no switch)',
      facts: makeFacts({
        processes: processes([
          proc({ pid: 10, name: 'upwork', role: 'app', path: '/opt/Upwork/upwork', cpuPercent: 1 }),
          proc({ name: 'upwork', role: 'renderer', path: '/opt/Upwork/upwork', cpuPercent: 90 }),
        ]),
      }),
      kinds: ['manual'],
      text: /upwork \(pid 4242\) used 90 %.*start upwork again.*kill 10/,
      not: /enable-gpu|Upwork Helper/,
    },
    {
      name: 'nothing busy (e.g. two copies running, not CPU): nothing to restart',
      facts: makeFacts({
        processes: processes([proc({ cpuPercent: 3 }), proc({ pid: 7, cpuPercent: null })]),
      }),
      kinds: [],
    },
    { name: 'processes not collected: nothing', facts: makeFacts({}), kinds: [] },
  ];
  it.each(rows)('$name', ({ facts, kinds, text, not, command }) => {
    const steps = helperRestartGpu.plan(facts);
    expect(steps.map((s) => s.action.kind)).toEqual(kinds);
    if (kinds[0] === 'engine')
      expect(steps[0]!.action).toEqual({
        kind: 'engine',
        op: OP_RESTART_HELPER,
        args: { dataDir: '/data', flags: ['--enable-gpu'] },
      });
    if (command) expect(steps[0]!.action).toMatchObject({ command });
    if (text) expect(JSON.stringify(steps)).toMatch(text);
    if (not) expect(JSON.stringify(steps)).not.toMatch(not);
    expect(helperRestartGpu.plan(facts)).toEqual(steps);
  });
});

const linux = process.platform === 'linux';

describe.skipIf(!linux)('restart-helper on a real Helper process', () => {
  it('restarts a CPU-burning Helper with --enable-gpu: its CPU falls below the threshold; twice is a no-op; undo restores the launch settings', async () => {
    const dir = await scenarioDir('helper-cpu');
    const markerFile = path.join(dir, 'engine', 'scenario.json');
    const markerBefore = readFileSync(markerFile, 'utf8');
    expect(JSON.parse(markerBefore)).toMatchObject({ helper: { mode: 'cpu', enableGpu: false } });
    // As the engine runs it for a session: the scenario's mode, without the flag.
    const burning = await startHelper({ dataDir: dir, mode: 'cpu', enableGpu: false, maxSeconds: 120 });
    onTestFinished(() => burning.stop());
    const cpuBefore = await cpuPercentOf(burning.pid, 1000);
    expect(cpuBefore).toBeGreaterThan(WARN_OVER);

    const ops = createEngineOps();
    onTestFinished(() => ops.close());
    const env = { ...engineEnv(dir), engine: ops };
    const prior = await ops.capture!(OP_RESTART_HELPER, { dataDir: dir }, env);
    expect(prior).toMatchObject({
      helper: { pid: burning.pid, gpu: false, mode: 'cpu' },
      launchText: markerBefore,
    });
    const r = await ops.run(OP_RESTART_HELPER, { dataDir: dir }, env);
    expect(r.changed).toBe(true);
    expect(r.message).toMatch(new RegExp(`pid ${burning.pid} → \\d+`));
    expect(await burning.exited).not.toBeUndefined();

    const pf = await readHelperPidfile(dir);
    expect(pf).toMatchObject({ gpu: true, mode: 'cpu' });
    expect(pf!.pid).not.toBe(burning.pid);
    expect(readFileSync(`/proc/${pf!.pid}/cmdline`, 'utf8').split('\0')).toContain('--enable-gpu');
    // Past its start-up, the restarted Helper idles.
    await new Promise((res) => setTimeout(res, 300));
    const cpuAfter = await cpuPercentOf(pf!.pid, 1000);
    expect(cpuAfter).toBeLessThan(WARN_OVER);
    expect(JSON.parse(readFileSync(markerFile, 'utf8'))).toMatchObject({ helper: { enableGpu: true } });

    const again = await ops.run(OP_RESTART_HELPER, { dataDir: dir }, env);
    expect(again.changed).toBe(false);
    expect((await readHelperPidfile(dir))!.pid).toBe(pf!.pid);

    // Undo in the same run (a rollback): launch settings byte-identical, the Helper as it ran.
    await ops.undo!(OP_RESTART_HELPER, r.state, env);
    expect(readFileSync(markerFile, 'utf8')).toBe(markerBefore);
    const back = await readHelperPidfile(dir);
    expect(back).toMatchObject({ gpu: false, mode: 'cpu' });
    await ops.close();
  }, 30_000);

  it('tracking on (the tracker holds the cache): refuses, nothing changes', async () => {
    const dir = await scenarioDir('helper-cpu');
    const markerBefore = readFileSync(path.join(dir, 'engine', 'scenario.json'), 'utf8');
    const burning = await startHelper({ dataDir: dir, mode: 'cpu', enableGpu: false, maxSeconds: 60 });
    onTestFinished(() => burning.stop());
    // A live process holding the cache lock, as `engine track` does while tracking.
    const tracker = spawn('sleep', ['30'], { stdio: 'ignore' });
    onTestFinished(() => void tracker.kill());
    writeFileSync(
      path.join(dir, 'Upwork', 'Cache', 'LOCK'),
      JSON.stringify({ pid: tracker.pid, startedAt: Date.now(), host: os.hostname() }),
    );
    const ops = createEngineOps();
    const err = await ops
      .run(OP_RESTART_HELPER, { dataDir: dir }, { ...engineEnv(dir), engine: ops })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(/Tracking is on.*pid \d+.*nothing was changed/);
    expect((await readHelperPidfile(dir))!.pid).toBe(burning.pid);
    expect(readFileSync(path.join(dir, 'engine', 'scenario.json'), 'utf8')).toBe(markerBefore);
  }, 30_000);
});
