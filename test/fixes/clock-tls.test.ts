/**
 * clock-sync and tls-protocols: plans by table (facts in, steps out, per OS), then each applied to
 * a fake machine (timedatectl through a command table; the Windows registry through the emulated
 * reg.exe loaded from recorded `reg query` output) with the real check re-run on fresh facts.
 */
import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { clockSkew } from '../../src/checks/clock-skew.js';
import { tlsSettings } from '../../src/checks/tls-settings.js';
import { runFixCommand } from '../../src/cli/run-fix.js';
import { runUndoCommand } from '../../src/cli/run-undo.js';
import type { Collector } from '../../src/core/collector.js';
import { defineCollector } from '../../src/core/collector.js';
import { clockSync } from '../../src/fixes/clock-sync.js';
import type { Step } from '../../src/fixes/fix.js';
import { realRegistry } from '../../src/fixes/registry.js';
import { INTERNET_SETTINGS, tlsProtocols } from '../../src/fixes/tls-protocols.js';
import type { ClockFacts, ClockSync } from '../../src/facts/clock.js';
import type { TlsFacts } from '../../src/facts/tls.js';
import { makeFacts } from '../helpers/facts.js';
import { MemoryRegistry, commandTable, fixContext, host } from './helpers.js';

const kinds = (s: Step[]) =>
  s.map((x) => (x.action.kind === 'manual' ? `manual:${x.action.reason}` : x.action.kind));

const clock = (sync: Partial<ClockSync>, offsetMs = 1_000): ClockFacts => ({
  service: { url: 'https://svc/', offsetMs, uncertaintyMs: 100, samples: [] },
  serviceUrl: 'https://svc/',
  sync: { source: 'timedatectl', automatic: true, synchronized: true, ...sync },
  timeZone: 'UTC',
  utcOffsetMinutes: 0,
});

describe('clock-sync plan', () => {
  it.each([
    ['linux, sync off', 'linux', clock({ automatic: false }), ['exec', 'manual:guidance']],
    ['linux, sync on, clock fine', 'linux', clock({}), []],
    [
      'linux, sync on, 10 min off',
      'linux',
      clock({}, 600_000 + 7_000),
      ['manual:needs-admin', 'manual:guidance'],
    ],
    [
      'linux, off by 3 h (time zone)',
      'linux',
      clock({ automatic: false }, 3 * 3_600_000 + 2_000),
      ['manual:guidance', 'exec', 'manual:guidance'],
    ],
    [
      'windows, sync off',
      'win32',
      clock({ source: 'w32tm', automatic: false }),
      ['manual:needs-admin', 'manual:guidance'],
    ],
    [
      'macOS, sync off',
      'darwin',
      clock({ source: 'systemsetup', automatic: false }),
      ['manual:needs-admin', 'manual:guidance'],
    ],
  ] as const)('%s', (_n, platform, c, want) => {
    expect(kinds(clockSync.plan(makeFacts({ clock: c }, { platform })))).toEqual(want);
  });

  it('windows opens Date & time settings and prints the w32tm command', () => {
    const [s] = clockSync.plan(
      makeFacts({ clock: clock({ source: 'w32tm', automatic: false }) }, { platform: 'win32' }),
    );
    expect(s?.action).toMatchObject({
      open: { target: 'ms-settings:dateandtime' },
      command: expect.stringContaining('w32tm /config'),
    });
  });
});

describe('clock-sync on a fake Linux machine', () => {
  function machine(deny = false) {
    const state = { ntp: false };
    const table = commandTable(() => [
      { cmd: 'timedatectl show --property=NTP --value', result: { stdout: state.ntp ? 'yes\n' : 'no\n' } },
      {
        cmd: 'timedatectl --no-ask-password set-ntp true',
        ...(deny
          ? { result: { code: 1, stderr: 'Failed to set ntp: Interactive authentication required.' } }
          : { effect: () => void (state.ntp = true) }),
      },
      { cmd: 'timedatectl --no-ask-password set-ntp false', effect: () => void (state.ntp = false) },
    ]);
    const collector = defineCollector({
      key: 'clock',
      scope: 'world',
      title: 'clock',
      timeoutMs: 1000,
      async collect({ ctx }) {
        const r = await ctx.exec('timedatectl', ['show', '--property=NTP', '--value'], { timeoutMs: 1000 });
        return clock({ automatic: r.stdout.trim() === 'yes' });
      },
    }) as Collector;
    const ctx = fixContext({ exec: table.exec });
    const seams = { collectors: new Map([['clock', collector]]), checks: [clockSkew], fixes: [clockSync] };
    return {
      state,
      table,
      ctx,
      fix: (o: Record<string, unknown>) => runFixCommand({ dataDir: ctx.home, ...o }, host, ctx, seams),
    };
  }

  it('dry run changes nothing; --yes turns NTP on (check passes); twice is a no-op; undo turns it off', async () => {
    const m = machine();
    expect(await m.fix({ dryRun: true })).toBe(0);
    expect(m.state.ntp).toBe(false);
    expect(m.table.calls.filter((c) => c.includes('set-ntp'))).toEqual([]);
    expect(m.ctx.out.join('')).toContain('$ timedatectl --no-ask-password set-ntp true');

    expect(await m.fix({ yes: true })).toBe(0);
    expect(m.state.ntp).toBe(true);
    expect(m.ctx.out.join('')).toMatch(/clock-sync: fixed \(clock-skew warn → pass\)/);

    const calls = m.table.calls.length;
    expect(await m.fix({ yes: true })).toBe(0);
    expect(m.table.calls.slice(calls).filter((c) => c.includes('set-ntp'))).toEqual([]);

    expect(await runUndoCommand(undefined, {}, host, m.ctx)).toBe(0);
    expect(m.state.ntp).toBe(false);
  });

  it('when polkit refuses, the fix fails cleanly with the reason and nothing changed', async () => {
    const m = machine(true);
    expect(await m.fix({ yes: true })).toBe(1);
    expect(m.state.ntp).toBe(false);
    expect(m.ctx.out.join('')).toMatch(
      /clock-sync: failed, rolled back: .*Interactive authentication required/,
    );
  });
});

const tls = (user: number | null, over: Partial<TlsFacts> = {}): TlsFacts => ({
  url: 'https://svc/',
  host: 'svc',
  port: 443,
  reached: true,
  message: 'ok',
  protocol: 'TLSv1.3',
  cipher: 'TLS_AES_256_GCM_SHA384',
  authorizedNode: true,
  authorizedOs: true,
  chain: [],
  windows: { secureProtocols: { user, policyUser: null, policyMachine: null }, schannel: {} },
  ...over,
});

describe('tls-protocols plan', () => {
  it.each([
    ['user value without TLS 1.2', tls(0xa0), ['registry-set', 'manual:guidance']],
    ['user value with TLS 1.2', tls(0xa80), []],
    ['absent value', tls(null), []],
    [
      'machine policy without TLS 1.2',
      tls(0xa80, {
        windows: { secureProtocols: { user: 0xa80, policyUser: null, policyMachine: 0xa0 }, schannel: {} },
      }),
      ['manual:needs-admin', 'manual:guidance'],
    ],
    [
      'SCHANNEL TLS 1.2 disabled',
      tls(0xa80, {
        windows: {
          secureProtocols: { user: 0xa80, policyUser: null, policyMachine: null },
          schannel: { 'TLS 1.2': { enabled: 0, disabledByDefault: null } },
        },
      }),
      ['manual:needs-admin', 'manual:guidance'],
    ],
  ] as const)('windows: %s', (_n, t, want) => {
    expect(kinds(tlsProtocols.plan(makeFacts({ tls: t }, { platform: 'win32' })))).toEqual(want);
  });

  it('elsewhere: explains the interceptor and the hosts to exempt', () => {
    const t = tls(null, {
      windows: undefined,
      interception: {
        detected: true,
        issuer: 'CN=ESET SSL Filter CA',
        vendor: 'ESET',
        product: 'ESET SSL Filter',
        kind: 'antivirus',
        evidence: [],
        exemptHosts: ['www.upwork.com'],
      },
    });
    const s = tlsProtocols.plan(makeFacts({ tls: t }, { platform: 'linux' }));
    expect(kinds(s)).toEqual(['manual:guidance', 'manual:guidance']);
    const a = s[0]!.action;
    expect(a.kind === 'manual' && a.lines.join(' ')).toMatch(/In ESET, exclude www\.upwork\.com .* HTTPS/);
  });
});

describe('tls-protocols on the emulated Windows registry', () => {
  function machine(fixture: string) {
    const reg = MemoryRegistry.fromFixture(fixture);
    const collector = defineCollector({
      key: 'tls',
      scope: 'world',
      title: 'tls',
      timeoutMs: 1000,
      async collect({ ctx }) {
        const v = await realRegistry(ctx).read(INTERNET_SETTINGS, 'SecureProtocols');
        return tls(v?.type === 'REG_DWORD' ? v.data : null);
      },
    }) as Collector;
    const ctx = fixContext({ exec: reg.exec, platform: 'win32' });
    // Journals under a real folder: the win32 context would join the doctor's folder with backslashes.
    const journalRoot = path.join(ctx.home, 'runs');
    const seams = {
      collectors: new Map([['tls', collector]]),
      checks: [tlsSettings],
      fixes: [tlsProtocols],
      journalRoot,
    };
    return {
      reg,
      ctx,
      fix: (o: Record<string, unknown>) => runFixCommand({ dataDir: ctx.home, ...o }, host, ctx, seams),
      undo: () => runUndoCommand(undefined, {}, host, ctx, { journalRoot }),
    };
  }

  it('dry run is byte-identical; --yes adds 1.2 and 1.3 (check passes); twice is a no-op; undo restores 0xA0 exactly', async () => {
    const m = machine('internet-settings-0xa0.txt');
    const before = m.reg.snapshot();
    expect(await m.fix({ dryRun: true })).toBe(0);
    expect(m.reg.snapshot()).toBe(before);
    expect(m.ctx.out.join('')).toContain(
      '$ reg add "HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Internet Settings" /v SecureProtocols /t REG_DWORD /d 10400 /f',
    );

    expect(await m.fix({ yes: true })).toBe(0);
    expect(m.reg.get(INTERNET_SETTINGS, 'SecureProtocols')).toEqual({ type: 'REG_DWORD', data: 0x28a0 });
    expect(m.ctx.out.join('')).toMatch(/tls-protocols: fixed \(tls-settings fail → pass\)/);

    const after = m.reg.snapshot();
    expect(await m.fix({ yes: true })).toBe(0);
    expect(m.reg.snapshot()).toBe(after);

    expect(await m.undo()).toBe(0);
    expect(m.reg.snapshot()).toBe(before);
  });

  it('a healthy registry (0xA80) plans nothing and stays byte-identical', async () => {
    const m = machine('internet-settings-0xa80.txt');
    const before = m.reg.snapshot();
    expect(await m.fix({ yes: true })).toBe(0);
    expect(m.ctx.out.join('')).toContain('Nothing to fix');
    expect(m.reg.snapshot()).toBe(before);
  });
});
