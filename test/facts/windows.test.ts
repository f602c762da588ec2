import { describe, expect, it } from 'vitest';
import { createTestContext } from '../../src/core/context.js';
import type { ExecResult } from '../../src/core/context.js';
import { NotCollectedError } from '../../src/core/collector.js';
import { clockCollector } from '../../src/facts/clock.js';
import { installsCollector } from '../../src/facts/installs.js';
import { processesCollector } from '../../src/facts/processes.js';
import { proxyCollector, readProxyFacts } from '../../src/facts/proxy.js';
import { securityCollector } from '../../src/facts/security.js';
import { tlsCollector } from '../../src/facts/tls.js';
import {
  decodeProductState,
  parseWindowsSnapshot,
  toArray,
  windowsScript,
  windowsSection,
  windowsSnapshot,
} from '../../src/facts/windows.js';
import { makeCa, makeLeaf } from '../network/helpers/pki.js';
import { httpsServer, portOf } from '../network/helpers/servers.js';
import { collect, fakeExec, fixture, winBatch, winContext } from './os-helpers.js';

const decodeScript = (args: readonly string[]) => Buffer.from(args[5]!, 'base64').toString('utf16le');
const powershellCalls = (exec: { calls: { file: string; args: string[] }[] }) =>
  exec.calls.filter((c) => c.file === 'powershell.exe');

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
    expect(script).toContain('$left=50-');
    expect(inst.value.installs).toHaveLength(1);
    expect(procs.value.tracker.map((p) => p.name)).toEqual(['Upwork.exe', 'Upwork.exe', 'Upwork.exe']);
    expect(sec.value.products[0]).toMatchObject({
      name: 'Windows Defender',
      state: 'on',
      vendor: 'Microsoft',
    });
    expect(inst.sources[0]!.ref).toMatch(/^powershell\.exe/);
  });

  it('the script interpolates only the window, as integers: samples every interval, the rest slept', () => {
    const script = windowsScript(2999.6);
    // 3 s at 250 ms: 11 samples between the two listings, then sleep what is left of 3000 ms.
    expect(script).toContain('for($i=1;$i -le 11;$i++){Start-Sleep -Milliseconds 250;');
    expect(script).toContain('$left=3000-($sw.ElapsedMilliseconds-$o.sample1At)');
    expect(script.indexOf('$o.sample1=Snap')).toBeLessThan(script.indexOf('$o.cpuSamples='));
    expect(script.indexOf('$o.cpuSamples=')).toBeLessThan(script.indexOf('$o.sample2=Snap'));
    // A window shorter than one interval: no samples in between, the two listings still bound it.
    expect(windowsScript(100)).toContain('$i -le 0;');
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

describe('the proxy, clock and TLS collectors read the same batch', () => {
  it('a full Windows run (installs, security, processes, tls, clock, proxy) makes exactly one powershell.exe call', async () => {
    const ca = makeCa('/CN=Batch Test Root/O=upwork-doctor tests');
    const server = await httpsServer(makeLeaf(ca));
    // The CA is in the batch's root store only (not --extra-ca): the OS verdict must come from it.
    const der = ca.cert.replace(/-----(BEGIN|END) CERTIFICATE-----|\s/g, '');
    const tlsSection = JSON.parse(fixture('win32', 'tls-settings-tls12-off-policy.json')) as Record<
      string,
      unknown
    >;
    const exec = fakeExec({
      'powershell.exe': {
        stdout: winBatch(
          'batch-clean.json',
          { proxy: 'proxy-wininet-manual.json', clock: 'clock-w32tm-synced.json' },
          { tlsSettings: { ...tlsSection, roots: [der] } },
        ),
      },
    });
    const ctx = createTestContext({
      platform: 'win32',
      now: () => Date.now(),
      homedir: 'C:\\Users\\freelancer',
      env: { LOCALAPPDATA: 'C:\\Users\\freelancer\\AppData\\Local' },
      exec,
    });
    const run = { options: { cpuWindowSec: 0.05, serviceUrl: `https://localhost:${portOf(server)}/` } };
    // The network collectors first: they must start the batch, not a call of their own.
    const [tls, clock, proxy, inst, procs, sec] = await Promise.all([
      collect(tlsCollector, ctx, run),
      collect(clockCollector, ctx, run),
      collect(proxyCollector, ctx, run),
      collect(installsCollector, ctx, run),
      collect(processesCollector, ctx, run),
      collect(securityCollector, ctx, run),
    ]);
    expect(powershellCalls(exec)).toHaveLength(1);
    expect(exec.calls.map((c) => c.file)).toEqual(['powershell.exe']);

    // WinINET's <local> bypass sent the probe straight to localhost: the handshake happened.
    expect(proxy.value.system).toMatchObject({ source: 'WinINET', mode: 'manual' });
    expect(proxy.value.winhttp).toMatchObject({ mode: 'direct' });
    expect(tls.value).toMatchObject({ reached: true, authorizedNode: false, authorizedOs: true });
    expect(tls.value.windows?.secureProtocols.policyMachine).toBe(0x280);
    expect(clock.value.sync).toMatchObject({ source: 'w32tm', automatic: true, server: 'time.windows.com' });
    expect(inst.value.installs).toHaveLength(1);
    expect(procs.value.tracker).toHaveLength(3);
    expect(sec.value.products[0]).toMatchObject({ name: 'Windows Defender' });

    const script = decodeScript(powershellCalls(exec)[0]!.args);
    for (const section of ['proxySettings', 'timeService', 'tlsSettings']) {
      expect(script).toContain(`$o.${section}=`);
      expect(script).toContain(`catch{$o.${section}Error=$_.Exception.Message}`);
      // Before the CPU window, so a failure there cannot cost them.
      expect(script.indexOf(`$o.${section}=`)).toBeLessThan(script.indexOf('Start-Sleep'));
    }
    expect(script).toContain('netsh.exe winhttp show proxy');
    expect(script).toContain('w32tm.exe /query /status');
    expect(script).toContain('SCHANNEL\\Protocols\\$n\\Client');
    expect(script).toContain('Get-WinEvent');
    expect(script.trimEnd().split('\n').at(-1)).toBe('$o | ConvertTo-Json -Depth 6 -Compress');
  });

  it('one failing section never loses the others', async () => {
    const exec = fakeExec({
      'powershell.exe': {
        stdout: winBatch(
          'batch-duplicates.json',
          { proxy: 'proxy-wininet-pac.json' },
          { tlsSettingsError: 'Cannot find drive. A drive with the name Cert does not exist.\r\n' },
        ),
      },
    });
    const ctx = createTestContext({ platform: 'win32', exec });
    const options = { cpuWindowSec: 0.05 };
    await expect(windowsSection(ctx, 'tlsSettings', options, 1_000)).rejects.toMatchObject({
      reason: 'error',
      message: 'PowerShell: Cannot find drive. A drive with the name Cert does not exist.',
    });
    // Absent (an older script, or PowerShell died mid-way) is an error too, never "all defaults".
    await expect(windowsSection(ctx, 'timeService', options, 1_000)).rejects.toMatchObject({
      reason: 'error',
      message: expect.stringMatching(/no timeService/),
    });
    const proxy = await readProxyFacts({ ctx, options, source: () => undefined, waitingOn: () => undefined });
    expect(proxy.system).toMatchObject({ mode: 'pac', pacUrl: 'http://wpad.corp.example/proxy.pac' });
    const inst = await collect(installsCollector, ctx, { options });
    expect(inst.value.installs.length).toBeGreaterThan(1);
    expect(powershellCalls(exec)).toHaveLength(1);
  });

  it('the clock collector turns a missing time section into "unknown", never "synchronised"', async () => {
    const { ctx } = winContext('batch-clean.json');
    const { value } = await collect(clockCollector, ctx, {
      options: { cpuWindowSec: 0.05, serviceUrl: 'https://upwork-doctor-dead.invalid/' },
    });
    expect(value.sync).toMatchObject({ source: 'none', automatic: null, synchronized: null });
    expect(value.sync.note).toMatch(/PowerShell did not return the time settings .*no timeService/);
  });

  it('without run options: joins the batch the run already started, else makes a proxy-only call', async () => {
    const inRun = winContext('batch-clean.json', {}, { proxy: 'proxy-wininet-pac.json' });
    const options = { cpuWindowSec: 0.05 };
    const started = windowsSnapshot({ ctx: inRun.ctx, options });
    // What the service probe does: it has the Context only.
    const joined = await readProxyFacts({
      ctx: inRun.ctx,
      source: () => undefined,
      waitingOn: () => undefined,
    });
    await started;
    expect(joined.system?.mode).toBe('pac');
    expect(powershellCalls(inRun.exec)).toHaveLength(1);

    // The network command: no run, so only the proxy section runs (no CPU window, no CIM queries).
    const alone = winContext('batch-clean.json', {}, { proxy: 'proxy-direct-autodetect.json' });
    const f = await readProxyFacts({ ctx: alone.ctx, source: () => undefined, waitingOn: () => undefined });
    expect(f.system?.mode).toBe('auto-detect');
    await readProxyFacts({ ctx: alone.ctx, source: () => undefined, waitingOn: () => undefined });
    expect(powershellCalls(alone.exec)).toHaveLength(1);
    const script = decodeScript(powershellCalls(alone.exec)[0]!.args);
    expect(script).toContain('netsh.exe winhttp show proxy');
    expect(script).not.toMatch(/Start-Sleep|Win32_Process|SecurityCenter2|w32tm/);
    expect(windowsScript(0, 'proxy')).toBe(script);
  });

  it('a batch that never answers: the network sections give up after their own wait plus the CPU window', async () => {
    const ctx = createTestContext({
      platform: 'win32',
      exec: () => new Promise<ExecResult>(() => undefined),
    });
    const t0 = performance.now();
    const e = await windowsSection(ctx, 'proxySettings', { cpuWindowSec: 0.1 }, 100).catch((x: unknown) => x);
    const took = performance.now() - t0;
    expect(e).toBeInstanceOf(NotCollectedError);
    expect(e).toMatchObject({ reason: 'timeout', message: 'PowerShell did not answer within 0.2 s' });
    expect(took).toBeGreaterThanOrEqual(190);
    expect(took).toBeLessThan(2_000);
  });
});
