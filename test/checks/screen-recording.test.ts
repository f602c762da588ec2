import { describe, expect, it } from 'vitest';
import { screenRecording } from '../../src/checks/screen-recording.js';
import { createTestContext } from '../../src/core/context.js';
import type { Facts } from '../../src/core/facts.js';
import type { LinuxSession, MacPermission, ScreenFacts, ScreenshotInfo } from '../../src/facts/screen.js';
import { screenCollector } from '../../src/facts/screen.js';
import { screenRecordingFix } from '../../src/fixes/screen-recording.js';
import { collect, fakeExec, fixture } from '../facts/os-helpers.js';
import { makeFacts, missing } from '../helpers/facts.js';

const shot = (
  verdict: ScreenshotInfo['verdict'],
  modifiedAt = '2026-11-18T09:50:00.000Z',
): ScreenshotInfo => ({
  file: `/data/Upwork/Cache/blobs/sha256/ab/${verdict}.png`,
  modifiedAt,
  bytes: 4000,
  width: 1920,
  height: 1080,
  blackRatio: verdict === 'black' ? 0.995 : 0.1,
  meanLuma: verdict === 'black' ? 1 : 90,
  verdict,
});
const screen = (over: Partial<ScreenFacts>, shots: ScreenshotInfo[] = [shot('ok')]): ScreenFacts => ({
  macPermission: null,
  linuxSession: null,
  screenshots: { folder: '/data', found: shots.length, analysed: shots },
  ...over,
});

/** The macOS permission as the collector reads it from recorded sqlite3 output. */
async function tcc(pragma: string, rows: string): Promise<MacPermission> {
  const exec = fakeExec({
    sqlite3: (args) => ({
      stdout: fixture('darwin', args[2] === 'PRAGMA table_info(access)' ? pragma : rows),
    }),
  });
  return (await collect(screenCollector, createTestContext({ platform: 'darwin', exec }))).value
    .macPermission!;
}
async function tccDenied(): Promise<MacPermission> {
  const exec = fakeExec({ sqlite3: { code: 14, stderr: fixture('darwin', 'tcc-denied.stderr') } });
  return (await collect(screenCollector, createTestContext({ platform: 'darwin', exec }))).value
    .macPermission!;
}

const session = (over: Partial<LinuxSession>): LinuxSession => ({
  sessionType: 'x11',
  desktop: 'GNOME',
  ...over,
});

const mac = async (p: Promise<MacPermission>, shots?: ScreenshotInfo[]) =>
  makeFacts({ screen: screen({ macPermission: await p }, shots) }, { platform: 'darwin' });
const lin = (s: LinuxSession, shots?: ScreenshotInfo[]) =>
  makeFacts({ screen: screen({ linuxSession: s }, shots) });
const win = (shots?: ScreenshotInfo[]) => makeFacts({ screen: screen({}, shots) }, { platform: 'win32' });

type Row = [string, () => Promise<Facts> | Facts, string, string];
const table: Row[] = [
  // macOS, from recorded TCC rows
  [
    'darwin: allowed (11+)',
    () => mac(tcc('tcc-pragma-sonoma.txt', 'tcc-rows-allowed.txt')),
    'pass',
    'UWD-SCREEN-001',
  ],
  [
    'darwin: allowed (10.15)',
    () => mac(tcc('tcc-pragma-catalina.txt', 'tcc-rows-catalina.txt')),
    'pass',
    'UWD-SCREEN-001',
  ],
  [
    'darwin: denied',
    () => mac(tcc('tcc-pragma-sonoma.txt', 'tcc-rows-denied.txt')),
    'fail',
    'UWD-SCREEN-002',
  ],
  [
    'darwin: never granted',
    () => mac(tcc('tcc-pragma-sonoma.txt', 'tcc-rows-none.txt')),
    'fail',
    'UWD-SCREEN-003',
  ],
  [
    'darwin: allowed but a blank screenshot',
    () => mac(tcc('tcc-pragma-sonoma.txt', 'tcc-rows-allowed.txt'), [shot('blank')]),
    'warn',
    'UWD-SCREEN-007',
  ],
  ['darwin: no Full Disk Access', () => mac(tccDenied()), 'skip', 'UWD-SCREEN-006'],
  [
    'darwin: no Full Disk Access but black screenshots',
    () => mac(tccDenied(), [shot('black'), shot('ok')]),
    'fail',
    'UWD-SCREEN-005',
  ],
  [
    'darwin: fact not collected',
    () => makeFacts({ screen: missing('timeout') }, { platform: 'darwin' }),
    'timeout',
    'UWD-SCREEN-000',
  ],
  // Linux
  ['linux: X11', () => lin(session({})), 'pass', 'UWD-SCREEN-001'],
  [
    'linux: Wayland (the app captures only on Xorg)',
    () => lin(session({ sessionType: 'wayland' })),
    'fail',
    'UWD-SCREEN-008',
  ],
  [
    'linux: Wayland on KDE',
    () => lin(session({ sessionType: 'wayland', desktop: 'KDE' })),
    'fail',
    'UWD-SCREEN-008',
  ],
  [
    'linux: X11 but the last screenshot is black',
    () => lin(session({}), [shot('black')]),
    'fail',
    'UWD-SCREEN-005',
  ],
  ['linux: over SSH', () => lin(session({ sessionType: 'unknown' })), 'skip', 'UWD-SCREEN-009'],
  ['linux: fact not collected', () => makeFacts({ screen: missing('error') }), 'skip', 'UWD-SCREEN-000'],
  // Windows
  ['win32: screenshots fine', () => win(), 'pass', 'UWD-SCREEN-001'],
  ['win32: a black screenshot', () => win([shot('ok'), shot('black')]), 'fail', 'UWD-SCREEN-005'],
  ['win32: a blank screenshot', () => win([shot('blank')]), 'warn', 'UWD-SCREEN-007'],
  [
    'win32: a black screenshot from last month is not counted',
    () => win([shot('black', '2026-10-01T10:00:00.000Z')]),
    'pass',
    'UWD-SCREEN-001',
  ],
  [
    'win32: fact not collected',
    () => makeFacts({ screen: missing('error') }, { platform: 'win32' }),
    'skip',
    'UWD-SCREEN-000',
  ],
];

describe('screen-recording', () => {
  it.each(table)('%s → %s %s', async (_name, facts, status, code) => {
    const f = await screenRecording.run(await facts());
    expect(f.status).toBe(status);
    expect(f.code).toBe(code);
  });

  it('without Full Disk Access it says so, and never passes', async () => {
    const f = await screenRecording.run(await mac(tccDenied()));
    expect(f.summary).toMatch(/needs Full Disk Access/);
    expect(f.evidence).toMatchObject({ tcc: { state: 'not-collected', reason: 'needs-full-disk-access' } });
  });

  it('denied: points at the Screen Recording pane and the screen-recording fix, with the TCC row as evidence', async () => {
    const f = await screenRecording.run(await mac(tcc('tcc-pragma-sonoma.txt', 'tcc-rows-denied.txt')));
    expect(f.remediation?.fixIds).toEqual(['screen-recording']);
    expect(f.remediation?.commands).toContain(
      'open "x-apple.systempreferences:com.apple.preference.security?Privacy_ScreenCapture"',
    );
    expect(f.remediation?.commands).toContain('tccutil reset ScreenCapture com.upwork.Upwork');
    expect(f.evidence).toMatchObject({
      tcc: { db: '/Library/Application Support/com.apple.TCC/TCC.db', rows: [{ authValue: 0 }] },
    });
  });

  it('black screenshots: counts them and names the files', async () => {
    const f = await screenRecording.run(win([shot('black'), shot('ok')]));
    expect(f.summary).toMatch(/1 of the tracker's 2 most recent screenshots is black/);
    expect(f.details!.join('\n')).toMatch(/black\.png \(100 % dark pixels\)/);
  });
});

describe('screen-recording on Wayland', () => {
  it('fails with Xorg advice only (GNOME "Ubuntu on Xorg", KDE "Plasma (X11)"), no portal or PipeWire', async () => {
    const f = await screenRecording.run(lin(session({ sessionType: 'wayland' })));
    expect(f.summary).toMatch(/Wayland.*only in an Xorg session/);
    expect(f.remediation?.text).toMatch(/"Ubuntu on Xorg".*"Plasma \(X11\)"/);
    expect(JSON.stringify(f.remediation)).not.toMatch(/portal|pipewire|apt install/i);
  });
});

/** Wording (issue 12 item 16): counts that fit, and the advice equal to the fix's plan. */
const shots = (black: number, ok: number) => [
  ...Array.from({ length: black }, () => shot('black')),
  ...Array.from({ length: ok }, () => shot('ok')),
];

describe('screen-recording words', () => {
  it.each([
    [1, 0, "The tracker's only recent screenshot is black"],
    [3, 7, "3 of the tracker's 10 most recent screenshots are black"],
    [1, 9, "1 of the tracker's 10 most recent screenshots is black"],
    [4, 0, "All 4 of the tracker's most recent screenshots are black"],
  ])('%i black of %i more: "%s"', async (black, ok, says) => {
    const f = await screenRecording.run(win(shots(black, ok)));
    expect(f.summary).toBe(`${says}, so clients see nothing for that time.`);
    expect(f.details!.join('\n')).not.toMatch(/\(s\)/);
  });

  it('one screenshot examined: "1 screenshot", never "1 screenshot(s)"', async () => {
    const f = await screenRecording.run(lin(session({}), shots(1, 0)));
    expect(f.details![0]).toMatch(/^1 screenshot from the last 7 days examined/);
  });

  it('no "Not checked" beside screenshots that were examined (terminal outside a graphical session)', async () => {
    const f = await screenRecording.run(lin(session({ sessionType: 'unknown' }), shots(0, 10)));
    expect(f.status).toBe('skip');
    expect(f.summary).not.toMatch(/Not checked/);
    expect(f.summary).toMatch(/^Partly checked: the tracker's 10 recent screenshots are not black, but/);
    const none = await screenRecording.run(lin(session({ sessionType: 'unknown' }), []));
    expect(none.summary).toMatch(/^Not checked: /);
  });

  it.each([
    ['darwin', undefined],
    ['linux', 'wayland'],
    ['linux', 'x11'],
    ['linux', 'unknown'],
    ['win32', undefined],
  ] as const)('%s (%s): the advice and the fix plan give the same steps', async (platform, type) => {
    const facts = makeFacts(
      { screen: screen(type ? { linuxSession: session({ sessionType: type }) } : {}, shots(2, 3)) },
      { platform },
    );
    const f = await screenRecording.run(facts);
    expect(f.code).toBe('UWD-SCREEN-005');
    const plan = screenRecordingFix.plan(facts);
    const text = f.remediation!.text;
    // Every step of the plan, in order, is a numbered step of the advice.
    plan.forEach((s, i) => expect(text).toContain(`${i + 1}. ${s.title}`));
    expect(text).not.toContain(`${plan.length + 1}. `);
    const planCommands = plan.flatMap((s) =>
      s.action.kind === 'manual' && s.action.command ? [s.action.command] : [],
    );
    for (const c of planCommands) expect(f.remediation!.commands).toContain(c);
    // On Xorg the answer is not "log in with Xorg"; elsewhere on Linux it is.
    if (platform === 'linux') expect(/Xorg session/.test(text)).toBe(type !== 'x11');
    if (platform === 'darwin') {
      expect(text).toMatch(/System Settings/);
      expect(f.remediation!.commands).toContain('tccutil reset ScreenCapture com.upwork.Upwork');
    }
  });
});
