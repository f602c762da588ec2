/**
 * Issue 11's acceptance on homes laid out as the real app leaves them (fixtures/installed/): the
 * built CLI with `--target installed`, HOME pointed at a temporary copy of each fixture (so nothing
 * writes into the repository), and on Linux a busy `upwork --type=renderer` started from a copy of
 * the node binary in a temporary install folder, with a name-alike elsewhere that must be ignored.
 */
import { cpSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Report } from '../../src/report/model.js';
import { ROOT, runCli, tempDir } from '../helpers/cli.js';
import { fakeInstall, startFakeUpwork } from '../helpers/fake-app.js';

function homeOf(os: 'linux' | 'darwin' | 'win32'): string {
  const home = tempDir(`uwd-installed-${os}-`);
  cpSync(path.join(ROOT, 'fixtures', 'installed', os, 'home'), home, { recursive: true });
  return home;
}

const byId = (stdout: string) => new Map((JSON.parse(stdout) as Report).findings.map((f) => [f.id, f]));

describe.skipIf(process.platform !== 'linux')('--target installed on the real Linux layout', () => {
  it("Wayland, log evidence, the install's busy renderer; no Helper advice; no Chromium cache", async () => {
    const home = homeOf('linux');
    const install = fakeInstall();
    const busy = await startFakeUpwork(install, { type: 'renderer', busy: true });
    const alike = await startFakeUpwork(fakeInstall({ layout: false }), { type: 'renderer', busy: true });
    const r = await runCli(
      [
        '--target',
        'installed',
        '--only',
        'screen-recording,tracker-logs,helper-cpu,cache-fullness',
        '--cpu-window',
        '1.5',
        '--json',
      ],
      { home, env: { XDG_SESSION_TYPE: 'wayland', WAYLAND_DISPLAY: 'wayland-0' } },
    );
    expect(r.code, r.stderr).toBe(1);
    const f = byId(r.stdout);
    expect(f.get('screen-recording')).toMatchObject({ status: 'fail', code: 'UWD-SCREEN-008' });
    expect(f.get('screen-recording')!.remediation!.text).toMatch(/"Ubuntu on Xorg".*"Plasma \(X11\)"/);
    const sr = f.get('screen-recording')!;
    expect(JSON.stringify([sr.summary, sr.details, sr.remediation])).not.toMatch(/portal|pipewire/i);
    expect(f.get('tracker-logs')).toMatchObject({ status: 'fail', code: 'UWD-LOG-002' });
    expect(f.get('tracker-logs')!.details!.join('\n')).toMatch(
      /From the logs \(upwork\.\.20261130\.log, 2026-11-30T09:10:31\.604\)/,
    );
    const cpu = f.get('helper-cpu')!;
    const procs = (cpu.evidence as { processes: { pid: number; role: string }[] }).processes;
    expect(procs.map((p) => p.pid)).toContain(busy.pid);
    expect(procs.map((p) => p.pid)).not.toContain(alike.pid);
    expect(procs.find((p) => p.pid === busy.pid)?.role).toBe('renderer');
    expect(cpu.details!.join('\n')).toContain(`Not the tracker, ignored: upwork (pid ${alike.pid}`);
    expect(JSON.stringify(cpu.remediation ?? {})).not.toMatch(/Upwork Helper|enable-gpu/);
    // Chromium's caches are never the offline cache.
    const cache = JSON.stringify(f.get('cache-fullness'));
    expect(cache).not.toMatch(/UserData/);
  });

  it('the bundle carries the daily logs, redacted, and no Chromium cache', async () => {
    const home = homeOf('linux');
    const out = tempDir('uwd-installed-out-');
    const r = await runCli(['bundle', '--target', 'installed', '--out', out, '--yes', '--json'], { home });
    expect(r.code, r.stderr).toBe(0);
    const { path: bundle } = JSON.parse(r.stdout) as { path: string };
    const { execFileSync } = await import('node:child_process');
    const names = execFileSync('unzip', ['-Z1', bundle], { encoding: 'utf8' }).split('\n');
    for (const n of [
      'upwork..20261130.log',
      'upwork..20261129.log',
      'upwork.cmon.20261130.log',
      'dash..upwork.20261130.log',
    ])
      expect(names).toContain(`logs/tracker/${n}`);
    expect(names.join('\n')).not.toMatch(/Cache_Data|GPUCache|Code Cache/);
    const text = execFileSync('unzip', ['-p', bundle, 'logs/tracker/upwork..20261130.log'], {
      encoding: 'utf8',
    });
    expect(text).toContain('Electron Screensnap failed');
    expect(text).not.toContain(home);
  });
});

describe('--target installed on the macOS and Windows layouts (logs read on any OS)', () => {
  it.each([
    ['darwin', 'Library/Application Support/Upwork', 'pass', 'UWD-LOG-001'],
    ['win32', 'AppData/Local/Upwork', 'fail', 'UWD-LOG-002'],
  ] as const)('%s', async (os, data, status, code) => {
    const home = homeOf(os);
    const r = await runCli(
      ['--target', 'installed', '--data-dir', path.join(home, data), '--only', 'tracker-logs', '--json'],
      {
        home,
      },
    );
    const f = byId(r.stdout).get('tracker-logs')!;
    expect([f.status, f.code], f.summary).toEqual([status, code]);
    if (os === 'win32') expect(f.details!.join('\n')).toMatch(/HTTP 407 Proxy Authentication Required/);
    expect(readFileSync(path.join(ROOT, 'fixtures', 'installed', os, 'README.md'), 'utf8')).toMatch(
      /Synthetic/,
    );
  });
});
