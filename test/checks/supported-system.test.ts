import { describe, expect, it } from 'vitest';
import { supportedSystem } from '../../src/checks/supported-system.js';
import { createTestContext } from '../../src/core/context.js';
import type { Facts } from '../../src/core/facts.js';
import { parseOsRelease, systemCollector, windowsName, type SystemFacts } from '../../src/facts/system.js';
import { collect, fakeExec, fixture } from '../facts/os-helpers.js';
import { makeFacts, missing } from '../helpers/facts.js';

const linux = (file: string, machine = 'x86_64'): SystemFacts => {
  const r = parseOsRelease(fixture('linux', file));
  return {
    id: r.ID!,
    version: r.VERSION_ID ?? null,
    name: r.PRETTY_NAME!,
    machine,
    is64Bit: machine !== 'i686',
  };
};
const win = (release: string, machine = 'x86_64'): SystemFacts => {
  const { version, build } = windowsName(release);
  return {
    id: 'windows',
    version,
    name: `Windows ${version}`,
    machine,
    is64Bit: machine === 'x86_64',
    build,
  };
};
const mac = (version: string): SystemFacts => ({
  id: 'macos',
  version,
  name: `macOS ${version}`,
  machine: 'arm64',
  is64Bit: true,
});
const on = (platform: NodeJS.Platform, s: SystemFacts) => makeFacts({ system: s }, { platform });

const table: [string, Facts, string, string][] = [
  ['Ubuntu 22.04 64-bit', on('linux', linux('os-release-ubuntu-22.04.txt')), 'pass', 'UWD-SYS-001'],
  [
    'Fedora 40: not officially supported',
    on('linux', linux('os-release-fedora-40.txt')),
    'warn',
    'UWD-SYS-002',
  ],
  ['Ubuntu 22.04 32-bit', on('linux', linux('os-release-ubuntu-22.04.txt', 'i686')), 'fail', 'UWD-SYS-004'],
  ['Windows 11 (build 22631)', on('win32', win('10.0.22631')), 'pass', 'UWD-SYS-001'],
  ['Windows 10 (build 19045)', on('win32', win('10.0.19045')), 'pass', 'UWD-SYS-001'],
  ['Windows 8.1', on('win32', win('6.3.9600')), 'fail', 'UWD-SYS-003'],
  ['Windows 10 32-bit', on('win32', win('10.0.19045', 'i686')), 'fail', 'UWD-SYS-004'],
  ['macOS 14.5', on('darwin', mac('14.5')), 'pass', 'UWD-SYS-001'],
  ['macOS 13.0', on('darwin', mac('13.0')), 'pass', 'UWD-SYS-001'],
  ['macOS 12.7', on('darwin', mac('12.7.4')), 'fail', 'UWD-SYS-003'],
  ['not collected', makeFacts({ system: missing('error') }), 'skip', 'UWD-SYS-000'],
];

describe('supported-system', () => {
  it.each(table)('%s → %s %s', async (_n, facts, status, code) => {
    const f = await supportedSystem.run(facts);
    expect([f.status, f.code]).toEqual([status, code]);
  });

  it('names the system and what Upwork supports', async () => {
    const f = await supportedSystem.run(on('linux', linux('os-release-fedora-40.txt')));
    expect(f.summary).toMatch(/^Fedora Linux 40 \(Workstation Edition\) is not officially supported/);
    expect(f.details?.join(' ')).toMatch(/Ubuntu 22\.04 64-bit/);
  });

  it('Windows 11 is 10.0 with a build of 22000 or more', () => {
    expect(windowsName('10.0.22000')).toEqual({ version: '11', build: 22000 });
    expect(windowsName('10.0.21999')).toEqual({ version: '10', build: 21999 });
  });

  it('macOS: sw_vers gives the version; a failing sw_vers is not collected', async () => {
    const ok = createTestContext({ platform: 'darwin', exec: fakeExec({ sw_vers: { stdout: '14.5\n' } }) });
    expect((await collect(systemCollector, ok)).value).toMatchObject({ id: 'macos', version: '14.5' });
    const bad = createTestContext({
      platform: 'darwin',
      exec: fakeExec({ sw_vers: { code: 1, stderr: 'no' } }),
    });
    await expect(collect(systemCollector, bad)).rejects.toMatchObject({ reason: 'error' });
  });
});
