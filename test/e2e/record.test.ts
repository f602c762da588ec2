/**
 * --record then --facts: the recording is redacted (no home folder, host or user name) and
 * replaying it on another "machine" (another HOME) gives the same findings. Runs the built CLI
 * against real things: a real busy `upwork --type=renderer` from an install folder, real PNGs, real log files.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Report } from '../../src/report/model.js';
import { windowsFacts } from '../checks/os-facts.js';
import { workLike, writePng } from '../facts/os-helpers.js';
import { runCli, tempDir } from '../helpers/cli.js';
import { fakeInstall, startFakeUpwork } from '../helpers/fake-app.js';

const ONLY = 'antivirus,duplicate-installs,helper-cpu,screen-recording';

/** A busy `upwork --type=renderer` from an install folder laid out like the real app's. */
async function busyHelper(): Promise<number> {
  return (await startFakeUpwork(fakeInstall(), { type: 'renderer', busy: true })).pid;
}

const brief = (r: Report) => r.findings.map((f) => ({ id: f.id, status: f.status, code: f.code }));

describe.skipIf(process.platform !== 'linux')('--record then --facts', () => {
  it('records redacted facts that replay to the same findings elsewhere', async () => {
    const home = tempDir('uwd-rec-home-');
    const data = path.join(home, '.Upwork');
    const blobs = path.join(data, 'Upwork', 'Cache', 'blobs', 'sha256');
    writePng(path.join(blobs, '1f', '1f2e3d.png'), 200, 120, () => [0, 0, 0]);
    writePng(path.join(blobs, '9a', '9a8b7c.png'), 200, 120, workLike);
    mkdirSync(path.join(data, 'Upwork', 'Logs'), { recursive: true });
    writeFileSync(
      path.join(data, 'Upwork', 'Logs', 'upwork.log'),
      `[info] started from ${home}/Applications\n[error] upload failed: read ECONNRESET\n`,
    );
    const pid = await busyHelper();
    const file = path.join(home, 'facts.json');

    const live = await runCli(
      ['--target', 'installed', '--only', ONLY, '--cpu-window', '1', '--record', file, '--json'],
      { home, env: { DISPLAY: ':0', XDG_SESSION_TYPE: 'x11' } },
    );
    expect(live.stderr).toMatch(/Facts recorded to/);
    const liveReport = JSON.parse(live.stdout) as Report;
    const byId = new Map(liveReport.findings.map((f) => [f.id, f]));
    expect(byId.get('screen-recording')).toMatchObject({ status: 'fail', code: 'UWD-SCREEN-005' });
    // Its status depends on how busy the machine is; that it was found and measured does not.
    expect(JSON.stringify(byId.get('helper-cpu')!.evidence)).toContain(`"pid":${pid}`);
    // --cpu-window reaches the collector: the window measured is about 1 s, not the default 3 s.
    expect(byId.get('helper-cpu')!.evidence.windowSec).toBeGreaterThanOrEqual(0.9);
    expect(byId.get('helper-cpu')!.evidence.windowSec).toBeLessThan(2.5);
    expect(live.code).toBe(1); // screen-recording fails

    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain(home);
    expect(text).not.toMatch(
      new RegExp(`(?<![\\w-])${os.hostname().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![\\w-])`, 'i'),
    );
    expect(text).toContain('<HOME>/.Upwork');
    const recorded = JSON.parse(text) as { host: { hostname: string }; items: Record<string, unknown> };
    expect(recorded.host.hostname).toBe('<HOST>');
    expect(Object.keys(recorded.items).sort()).toEqual(['installs', 'processes', 'screen', 'security']);

    // Replay on "another machine": a different home, no data folder, no busy process needed.
    const replay = await runCli(['--facts', file, '--only', ONLY, '--json'], {
      home: tempDir('uwd-rec-other-'),
    });
    const replayReport = JSON.parse(replay.stdout) as Report;
    expect(brief(replayReport)).toEqual(brief(liveReport));
    expect(replay.code).toBe(live.code);
    const shot = replayReport.findings.find((f) => f.id === 'screen-recording')!;
    expect(shot.details.join('\n')).toMatch(
      /<HOME>\/\.Upwork\/Upwork\/Cache\/blobs\/sha256\/1f\/1f2e3d\.png/,
    );
  });
});

describe('--facts replays facts recorded on another OS', () => {
  it('Windows facts (from recorded PowerShell output) give the Windows findings on this machine', async () => {
    const dir = tempDir('uwd-winfacts-');
    const file = path.join(dir, 'windows-facts.json');
    writeFileSync(file, JSON.stringify(await windowsFacts('batch-duplicates.json')));
    const r = await runCli(['--facts', file, '--only', 'antivirus,duplicate-installs,helper-cpu', '--json']);
    const report = JSON.parse(r.stdout) as Report;
    expect(brief(report)).toEqual([
      { id: 'antivirus', status: 'pass', code: 'UWD-AV-001' },
      { id: 'duplicate-installs', status: 'fail', code: 'UWD-DUP-004' },
      { id: 'helper-cpu', status: 'fail', code: 'UWD-CPU-004' },
    ]);
    expect(r.code).toBe(1);
    const dup = report.findings.find((f) => f.id === 'duplicate-installs')!;
    expect(dup.remediation?.commands.join('\n')).toMatch(/Uninstall Upwork\.exe" \/currentuser/);
  });
});
