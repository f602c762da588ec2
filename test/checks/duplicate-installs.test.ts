import { describe, expect, it } from 'vitest';
import { compareVersions, duplicateInstalls, installOf } from '../../src/checks/duplicate-installs.js';
import type { Facts } from '../../src/core/facts.js';
import type { InstallRecord } from '../../src/facts/installs.js';
import { makeFacts, missing } from '../helpers/facts.js';
import { proc, procs, windowsFacts } from './os-facts.js';

const inst = (over: Partial<InstallRecord>): InstallRecord => ({
  source: 'app-bundle',
  name: 'Upwork',
  version: '5.8.0.33',
  location: '/Applications/Upwork.app',
  scope: 'machine',
  ref: '/Applications/Upwork.app/Contents/Info.plist',
  ghost: false,
  uninstall: 'move "/Applications/Upwork.app" to the Trash',
  ...over,
});
const installs = (list: InstallRecord[]) => ({ installs: list, searched: ['/Applications'] });
const macApp = '/Applications/Upwork.app/Contents/MacOS/Upwork';
const dlApp = '/Users/freelancer/Downloads/Upwork.app/Contents/MacOS/Upwork';
const darwin = (list: InstallRecord[], running: Parameters<typeof procs>[0] = []) =>
  makeFacts({ installs: installs(list), processes: procs(running) }, { platform: 'darwin' });
const linux = (list: InstallRecord[], running: Parameters<typeof procs>[0] = []) =>
  makeFacts(
    { installs: { installs: list, searched: ['dpkg-query'] }, processes: procs(running) },
    { platform: 'linux' },
  );
const dpkg = inst({
  source: 'dpkg',
  location: null,
  ref: 'dpkg-query -W upwork*',
  uninstall: 'sudo apt remove upwork',
});
const appImage = inst({
  source: 'appimage',
  version: '5.6.10.1',
  location: '/home/u/Applications/Upwork-5.6.10.1.AppImage',
  scope: 'user',
});

type Row = [string, () => Promise<Facts> | Facts, string, string];
const table: Row[] = [
  // Windows: recorded PowerShell output
  ['win32: one machine install', () => windowsFacts('batch-clean.json'), 'pass', 'UWD-DUP-001'],
  [
    'win32: machine + per-user copies both running',
    () => windowsFacts('batch-duplicates.json'),
    'fail',
    'UWD-DUP-004',
  ],
  [
    'win32: the older per-user copy runs',
    () => windowsFacts('batch-old-running.json'),
    'fail',
    'UWD-DUP-005',
  ],
  ['win32: nothing installed (Server)', () => windowsFacts('batch-server.json'), 'pass', 'UWD-DUP-006'],
  [
    'win32: machine + per-user installed, nothing running',
    async () => {
      const f = await windowsFacts('batch-old-running.json');
      return makeFacts(
        { installs: (f.items.installs as unknown as { value: never }).value, processes: procs([]) },
        { platform: 'win32' },
      );
    },
    'warn',
    'UWD-DUP-002',
  ],
  [
    'win32: not collected',
    () => makeFacts({ installs: missing('error'), processes: procs([]) }, { platform: 'win32' }),
    'skip',
    'UWD-DUP-000',
  ],
  // macOS
  [
    'darwin: one bundle, running',
    () => darwin([inst({})], [proc({ role: 'app', path: macApp })]),
    'pass',
    'UWD-DUP-001',
  ],
  [
    'darwin: two bundles, one running',
    () =>
      darwin(
        [inst({}), inst({ location: '/Users/freelancer/Downloads/Upwork.app', version: '5.8.0.33' })],
        [proc({ role: 'app', path: macApp })],
      ),
    'warn',
    'UWD-DUP-002',
  ],
  [
    'darwin: the old Downloads copy runs',
    () =>
      darwin(
        [inst({}), inst({ location: '/Users/freelancer/Downloads/Upwork.app', version: '5.6.10.1' })],
        [proc({ role: 'app', path: dlApp })],
      ),
    'fail',
    'UWD-DUP-005',
  ],
  [
    'darwin: both run',
    () =>
      darwin(
        [inst({}), inst({ location: '/Users/freelancer/Downloads/Upwork.app', version: '5.8.0.33' })],
        [proc({ role: 'app', path: macApp }), proc({ pid: 77, role: 'app', path: dlApp })],
      ),
    'fail',
    'UWD-DUP-004',
  ],
  [
    'darwin: not collected',
    () => makeFacts({ installs: missing('timeout') }, { platform: 'darwin' }),
    'timeout',
    'UWD-DUP-000',
  ],
  // Linux
  [
    'linux: the .deb only',
    () => linux([dpkg], [proc({ role: 'app', path: '/opt/Upwork/upwork' })]),
    'pass',
    'UWD-DUP-001',
  ],
  ['linux: .deb and an AppImage', () => linux([dpkg, appImage]), 'warn', 'UWD-DUP-002'],
  [
    'linux: .deb and AppImage both running',
    () =>
      linux(
        [dpkg, appImage],
        [
          proc({ role: 'app', path: '/opt/Upwork/upwork' }),
          proc({ pid: 9, role: 'app', path: '/tmp/.mount_UpworkXyZ/upwork' }),
        ],
      ),
    'fail',
    'UWD-DUP-004',
  ],
  ['linux: not collected', () => makeFacts({ installs: missing('error') }), 'skip', 'UWD-DUP-000'],
  ['linux: nothing installed', () => linux([]), 'pass', 'UWD-DUP-006'],
];

describe('duplicate-installs', () => {
  it.each(table)('%s → %s %s', async (_name, facts, status, code) => {
    const f = await duplicateInstalls.run(await facts());
    expect(f.status).toBe(status);
    expect(f.code).toBe(code);
  });

  it('a leftover uninstall entry alone warns, and names the registry key', async () => {
    const ghost = inst({
      source: 'registry',
      scope: 'machine-32',
      ghost: true,
      ref: 'HKEY_LOCAL_MACHINE\\SOFTWARE\\WOW6432Node\\X\\{B27E}',
    });
    const f = await duplicateInstalls.run(
      makeFacts(
        { installs: installs([inst({ source: 'registry' }), ghost]), processes: procs([]) },
        { platform: 'win32' },
      ),
    );
    expect(f.status).toBe('warn');
    expect(f.code).toBe('UWD-DUP-003');
    expect(f.remediation?.commands).toEqual([
      'reg delete "HKEY_LOCAL_MACHINE\\SOFTWARE\\WOW6432Node\\X\\{B27E}"',
    ]);
  });

  it('the Windows duplicate finding lists every copy, where it was read, and how to remove it', async () => {
    const f = await duplicateInstalls.run(await windowsFacts('batch-duplicates.json'));
    expect(f.details!.join('\n')).toMatch(
      /5\.5\.0\.11 — registry \(machine-32\).*\[folder missing: leftover entry\]/,
    );
    expect(f.remediation?.fixIds).toEqual(['duplicates']);
    expect(f.remediation?.commands!.join('\n')).toMatch(/MsiExec\.exe \/X\{3F0D62A4/);
    expect(f.evidence).toMatchObject({ newestInstalled: '5.8.0.33' });
  });

  it('the old-copy finding says which version runs and which is newest', async () => {
    const f = await duplicateInstalls.run(await windowsFacts('batch-old-running.json'));
    expect(f.summary).toMatch(/older Upwork \(5\.6\.10\.1\).*5\.8\.0\.33 is installed/);
  });

  it('without a process list it still judges installs, and says so', async () => {
    const f = await duplicateInstalls.run(
      makeFacts({ installs: installs([inst({})]), processes: missing('error') }),
    );
    expect(f.status).toBe('pass');
    expect(f.details!.join(' ')).toMatch(/Running copies could not be checked/);
  });

  it.each([
    ['5.10.0', '5.9.2', 1],
    ['5.8.0.33', '5.8.0.33', 0],
    ['5.6.10.1', '5.8.0.33', -1],
    ['5.8', '5.8.0.0', 0],
    ['5.8.0-1', '5.8.0-2', -1],
  ])('compareVersions(%s, %s) = %i', (a, b, c) => {
    expect(compareVersions(a, b)).toBe(c);
  });

  it('installOf matches an executable to the install folder that holds it, case-insensitively on Windows paths', () => {
    const a = inst({ location: 'C:\\Program Files\\Upwork\\' });
    const b = inst({ location: 'C:\\Users\\f\\AppData\\Local\\Programs\\Upwork' });
    expect(installOf({ path: 'c:\\program files\\upwork\\Upwork.exe' }, [a, b])).toBe(a);
    expect(installOf({ path: 'C:\\Users\\f\\AppData\\Local\\Programs\\Upwork\\Upwork.exe' }, [a, b])).toBe(b);
    expect(installOf({ path: 'C:\\Program Files\\UpworkOld\\Upwork.exe' }, [a, b])).toBeUndefined();
  });
});
