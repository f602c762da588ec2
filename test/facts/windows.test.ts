import { describe, expect, it } from 'vitest';
import { createTestContext } from '../../src/core/context.js';
import { NotCollectedError } from '../../src/core/collector.js';
import { installsCollector } from '../../src/facts/installs.js';
import { processesCollector } from '../../src/facts/processes.js';
import { securityCollector } from '../../src/facts/security.js';
import {
  decodeProductState,
  parseWindowsSnapshot,
  toArray,
  windowsScript,
  windowsSnapshot,
} from '../../src/facts/windows.js';
import { collect, fakeExec, fixture, winContext } from './os-helpers.js';

describe('decodeProductState (SecurityCenter2)', () => {
  it.each([
    [262144, 'off', true],
    [266240, 'on', true],
    [266256, 'on', false],
    [393216, 'off', true],
    [393472, 'off', true],
    [397312, 'on', true],
    [397568, 'on', true],
    [397584, 'on', false],
    [401664, 'snoozed', true],
    [405760, 'expired', true],
  ] as const)('%i → %s, up to date %s', (n, state, upToDate) => {
    const d = decodeProductState(n);
    expect(d.state).toBe(state);
    expect(d.upToDate).toBe(upToDate);
    expect(d.hex).toBe(`0x${n.toString(16).padStart(6, '0')}`);
  });
});

describe('parseWindowsSnapshot on recorded PowerShell output', () => {
  it('duplicates: three uninstall entries from three hives, a ghost, two AV products, hidden exclusions', () => {
    const s = parseWindowsSnapshot(fixture('win32', 'batch-duplicates.json'));
    expect(s.uninstall.map((u) => [u.scope, u.displayVersion, u.locationExists])).toEqual([
      ['machine-64', '5.8.0.33', true],
      ['machine-32', '5.5.0.11', false],
      ['user', '5.6.10.1', true],
    ]);
    expect(s.uninstall[2]!.key).toMatch(
      /^HKEY_CURRENT_USER\\Software\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\/,
    );
    expect(Array.isArray(s.antivirus) && s.antivirus.map((a) => a.displayName)).toEqual([
      'Windows Defender',
      'ESET Security',
    ]);
    expect(s.exclusions).toMatchObject({ state: 'not-collected', reason: 'needs-admin' });
    expect(s.defender).toMatchObject({ amRunningMode: 'Passive Mode', realTimeProtectionEnabled: false });
    expect(s.processes.map((p) => [p.pid, p.version, p.cpuEnd! - p.cpuStart!])).toEqual([
      [7412, '5.8.0.33', 600000],
      [10244, '5.6.10.1', 156250],
    ]);
    expect(s.windowMs).toBe(3011);
  });

  it('single objects where ConvertTo-Json unwrapped one-element lists, and null exclusions', () => {
    const s = parseWindowsSnapshot(fixture('win32', 'batch-old-running.json'));
    expect(Array.isArray(s.antivirus) && s.antivirus).toHaveLength(1);
    expect(s.processes).toHaveLength(1);
    expect(s.exclusions).toEqual({ state: 'collected', paths: [], processes: [] });
  });

  it('Windows Server: SecurityCenter2 missing and exclusions denied are errors, not "none"', () => {
    const s = parseWindowsSnapshot(`\uFEFF${fixture('win32', 'batch-server.json')}`);
    expect(s.antivirus).toEqual({ error: 'Invalid namespace ' });
    expect(s.exclusions).toMatchObject({ state: 'not-collected', reason: 'error' });
    expect(s.processes).toEqual([]);
  });

  it('Defender events naming the tracker; "No events were found" is an empty list, other errors stay errors', () => {
    const s = parseWindowsSnapshot(fixture('win32', 'batch-defender-blocked.json'));
    expect(Array.isArray(s.defenderEvents) && s.defenderEvents.map((e) => [e.id, e.time])).toEqual([
      [1117, '2026-11-17T15:02:41.8830000Z'],
      [1123, '2026-11-17T14:48:09.5120000Z'],
    ]);
    expect(parseWindowsSnapshot(fixture('win32', 'batch-clean.json')).defenderEvents).toEqual([]);
    expect(parseWindowsSnapshot(fixture('win32', 'batch-server.json')).defenderEvents).toEqual({
      error: 'Attempted to perform an unauthorized operation.',
    });
  });

  it('rejects output that is not the script object', () => {
    expect(() => parseWindowsSnapshot('{"foo":1}')).toThrow(/unexpected/);
    expect(() => parseWindowsSnapshot('Get-CimInstance : Access denied')).toThrow();
  });

  it('toArray copes with null, one object and lists', () => {
    expect(toArray(null)).toEqual([]);
    expect(toArray({ a: 1 })).toEqual([{ a: 1 }]);
    expect(toArray([1, 2])).toEqual([1, 2]);
  });
});

describe('windowsSnapshot: one batched PowerShell call', () => {
  it('runs PowerShell once for the installs, processes and security collectors, with an encoded script', async () => {
    const { ctx, exec } = winContext('batch-clean.json');
    const run = { options: { cpuWindowSec: 0.05 } };
    const [inst, procs, sec] = await Promise.all([
      collect(installsCollector, ctx, run),
      collect(processesCollector, ctx, run),
      collect(securityCollector, ctx, run),
    ]);
    expect(exec.calls.filter((c) => c.file === 'powershell.exe')).toHaveLength(1);
    // The next run (a re-check after a fix) asks again.
    await collect(installsCollector, ctx, { options: { cpuWindowSec: 0.05 } });
    expect(exec.calls.filter((c) => c.file === 'powershell.exe')).toHaveLength(2);
    const args = exec.calls[0]!.args;
    expect(args.slice(0, 5)).toEqual([
      '-NoProfile',
      '-NonInteractive',
      '-ExecutionPolicy',
      'Bypass',
      '-EncodedCommand',
    ]);
    const script = Buffer.from(args[5]!, 'base64').toString('utf16le');
    expect(script).toContain('root/SecurityCenter2');
    expect(script).toContain('WOW6432Node');
    expect(script).toContain('HKCU:\\Software\\Microsoft\\Windows\\CurrentVersion\\Uninstall');
    expect(script).toContain('Start-Sleep -Milliseconds 50');
    expect(inst.value.installs).toHaveLength(1);
    expect(procs.value.tracker.map((p) => p.name)).toEqual(['Upwork.exe', 'Upwork.exe', 'Upwork Helper.exe']);
    expect(sec.value.products[0]).toMatchObject({
      name: 'Windows Defender',
      state: 'on',
      vendor: 'Microsoft',
    });
    expect(inst.sources[0]!.ref).toMatch(/^powershell\.exe/);
  });

  it('the script interpolates only the window, as an integer', () => {
    expect(windowsScript(2999.6)).toContain('Start-Sleep -Milliseconds 3000');
  });

  it('PowerShell failing or timing out becomes not-collected with the reason', async () => {
    const fail = createTestContext({
      platform: 'win32',
      exec: fakeExec({
        'powershell.exe': { code: 1, stderr: 'powershell.exe is blocked by group policy\r\n' },
      }),
    });
    await expect(windowsSnapshot({ ctx: fail, options: {} })).rejects.toMatchObject({
      reason: 'error',
      message: expect.stringMatching(/blocked by group policy/),
    });
    const slow = createTestContext({
      platform: 'win32',
      exec: fakeExec({ 'powershell.exe': { code: null, timedOut: true, signal: 'SIGTERM' } }),
    });
    const e = await windowsSnapshot({ ctx: slow, options: {} }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(NotCollectedError);
    expect((e as NotCollectedError).reason).toBe('timeout');
  });
});
