import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createTestContext } from '../../src/core/context.js';
import {
  installsCollector,
  parseDpkgQuery,
  parseFlatpakList,
  parseInfoPlist,
  parseMdfind,
  parseRpmQuery,
  parseSnapList,
} from '../../src/facts/installs.js';
import { tempDir } from '../helpers/cli.js';
import { collect, fakeExec, fixture, winContext } from './os-helpers.js';

describe('install parsers on recorded outputs', () => {
  it('Info.plist (XML)', () => {
    expect(parseInfoPlist(fixture('darwin', 'Upwork.app-Info.plist'))).toEqual({
      bundleId: 'com.upwork.Upwork',
      name: 'Upwork',
      shortVersion: '5.8.0.33',
      bundleVersion: '5.8.0.33',
    });
    expect(() => parseInfoPlist('bplist00\u00d1\u0001')).toThrow(/XML/);
  });

  it('dpkg-query keeps installed packages only (not removed-with-config)', () => {
    expect(parseDpkgQuery(fixture('linux', 'dpkg-query.txt'))).toEqual([
      { name: 'upwork', version: '5.8.0.33' },
    ]);
    expect(parseDpkgQuery(fixture('linux', 'dpkg-query-removed.txt'))).toEqual([]);
  });

  it('rpm, snap and flatpak', () => {
    expect(parseRpmQuery(fixture('linux', 'rpm-q.txt'))).toEqual([
      { name: 'upwork', version: '5.8.0.33-1', arch: 'x86_64' },
    ]);
    expect(parseRpmQuery(fixture('linux', 'rpm-q-none.txt'))).toEqual([]);
    expect(parseSnapList(fixture('linux', 'snap-list.txt'))).toEqual([
      { name: 'upwork', version: '5.6.10.1', rev: '27' },
    ]);
    expect(parseSnapList(fixture('linux', 'snap-list-none.stderr'))).toEqual([]);
    expect(parseFlatpakList(fixture('linux', 'flatpak-list.txt'))).toEqual([
      { app: 'com.upwork.Upwork', version: '5.7.2.5', installation: 'user' },
    ]);
  });

  it('mdfind: top-level bundles only, not the helpers inside them', () => {
    expect(parseMdfind(fixture('darwin', 'mdfind.txt'))).toEqual([
      '/Applications/Upwork.app',
      '/Users/freelancer/Downloads/Upwork.app',
    ]);
  });
});

describe('installs collector', () => {
  it('Windows: every hive, ghosts marked, uninstall strings kept', async () => {
    const { ctx } = winContext('batch-duplicates.json');
    const { value } = await collect(installsCollector, ctx);
    expect(value.installs.map((i) => [i.scope, i.version, i.ghost])).toEqual([
      ['machine-64', '5.8.0.33', false],
      ['machine-32', '5.5.0.11', true],
      ['user', '5.6.10.1', false],
    ]);
    expect(value.installs[2]!.uninstall).toMatch(/Uninstall Upwork\.exe" \/currentuser$/);
    expect(value.searched).toHaveLength(3);
  });

  it('Linux: dpkg, snap, flatpak and an AppImage in ~/Applications; missing tools are skipped', async () => {
    const home = tempDir('uwd-inst-');
    mkdirSync(path.join(home, 'Applications'));
    writeFileSync(path.join(home, 'Applications', 'Upwork-5.7.0.10-x86_64.AppImage'), 'ELF');
    writeFileSync(path.join(home, 'Applications', 'Other.AppImage'), 'ELF');
    const exec = fakeExec({
      'dpkg-query': { stdout: fixture('linux', 'dpkg-query.txt') },
      snap: { stdout: fixture('linux', 'snap-list.txt') },
      flatpak: { stdout: fixture('linux', 'flatpak-list.txt') },
    });
    const ctx = createTestContext({ platform: 'linux', homedir: home, exec });
    const { value, sources } = await collect(installsCollector, ctx);
    expect(value.installs.map((i) => [i.source, i.version])).toEqual([
      ['dpkg', '5.8.0.33'],
      ['snap', '5.6.10.1'],
      ['flatpak', '5.7.2.5'],
      ['appimage', '5.7.0.10'],
    ]);
    expect(value.installs[3]!.location).toBe(
      path.join(home, 'Applications', 'Upwork-5.7.0.10-x86_64.AppImage'),
    );
    expect(value.installs[2]!.uninstall).toBe('flatpak uninstall --user com.upwork.Upwork');
    // rpm is not on this machine: not searched, not an error.
    expect(value.searched.some((s) => s.startsWith('rpm'))).toBe(false);
    expect(exec.calls.find((c) => c.file === 'dpkg-query')!.args).toEqual([
      '-W',
      '-f',
      '${Package}\\t${Version}\\t${Status}\\n',
      'upwork*',
    ]);
    expect(sources.map((s) => s.ref)).toContain('snap list upwork');
  });

  it('macOS: bundles from the folders and Spotlight, versions from Info.plist', async () => {
    const home = tempDir('uwd-mac-');
    const bundle = (dir: string, plist: string) => {
      mkdirSync(path.join(dir, 'Upwork.app', 'Contents'), { recursive: true });
      writeFileSync(path.join(dir, 'Upwork.app', 'Contents', 'Info.plist'), fixture('darwin', plist));
      return path.join(dir, 'Upwork.app');
    };
    const user = bundle(path.join(home, 'Applications'), 'Upwork.app-Info.plist');
    const old = bundle(path.join(home, 'Old Stuff'), 'Upwork-old.app-Info.plist');
    const exec = fakeExec({ mdfind: { stdout: `${old}\n${old}/Contents/Frameworks/Upwork Helper.app\n` } });
    const ctx = createTestContext({ platform: 'darwin', homedir: home, exec });
    const { value } = await collect(installsCollector, ctx);
    expect(value.installs.map((i) => [i.location, i.version, i.scope])).toEqual([
      [user, '5.8.0.33', 'user'],
      [old, '5.6.10.1', 'user'],
    ]);
    expect(value.installs[0]!.ref).toBe(path.join(user, 'Contents', 'Info.plist'));
  });

  it('macOS: a binary Info.plist is converted with plutil (argument array, no shell)', async () => {
    const home = tempDir('uwd-mac-');
    const plist = path.join(home, 'Applications', 'Upwork.app', 'Contents', 'Info.plist');
    mkdirSync(path.dirname(plist), { recursive: true });
    writeFileSync(plist, Buffer.concat([Buffer.from('bplist00'), Buffer.alloc(40)]));
    const exec = fakeExec({
      plutil: { stdout: fixture('darwin', 'Upwork.app-Info.plist') },
      mdfind: { stdout: '' },
    });
    const ctx = createTestContext({ platform: 'darwin', homedir: home, exec });
    const { value } = await collect(installsCollector, ctx);
    expect(value.installs.map((i) => i.version)).toEqual(['5.8.0.33']);
    expect(exec.calls.find((c) => c.file === 'plutil')!.args).toEqual(['-convert', 'xml1', '-o', '-', plist]);
  });
});
